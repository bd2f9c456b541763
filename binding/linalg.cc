#include "linalg.h"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>

extern "C" {
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
char* openblas_get_config(void);
char* openblas_get_corename(void);
}

namespace ascmh {
namespace {

CBLAS_TRANSPOSE tr(Op op) { return op == Op::T ? CblasTrans : CblasNoTrans; }

void check_info(const char* routine, lapack_int info, const char* meaning_positive) {
  if (info == 0) return;
  if (info < 0)
    throw LinalgError("ERR_ASCMH_LAPACK_ARGUMENT",
                      std::string(routine) + ": argument " + std::to_string(-info) + " is invalid");
  throw LinalgError(std::string("ERR_ASCMH_LAPACK_") + meaning_positive,
                    std::string(routine) + " failed (info " + std::to_string(info) + ")");
}

// Fill the lower triangle from the upper one (row-major).
template <class T>
void mirror_upper(int n, T* C, int ldc) {
  for (int i = 1; i < n; ++i)
    for (int j = 0; j < i; ++j) C[(size_t)i * ldc + j] = C[(size_t)j * ldc + i];
}

}  // namespace

template <>
void gemm<double>(Op opA, Op opB, int m, int n, int k, double alpha, const double* A, int lda, const double* B,
                  int ldb, double beta, double* C, int ldc) {
  if (m == 0 || n == 0) return;
  cblas_dgemm(CblasRowMajor, tr(opA), tr(opB), m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
template <>
void gemm<float>(Op opA, Op opB, int m, int n, int k, float alpha, const float* A, int lda, const float* B, int ldb,
                 float beta, float* C, int ldc) {
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, tr(opA), tr(opB), m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <>
void syrk<double>(Op op, int n, int k, double alpha, const double* A, int lda, double beta, double* C, int ldc) {
  if (n == 0) return;
  cblas_dsyrk(CblasRowMajor, CblasUpper, tr(op), n, k, alpha, A, lda, beta, C, ldc);
  mirror_upper(n, C, ldc);
}
template <>
void syrk<float>(Op op, int n, int k, float alpha, const float* A, int lda, float beta, float* C, int ldc) {
  if (n == 0) return;
  cblas_ssyrk(CblasRowMajor, CblasUpper, tr(op), n, k, alpha, A, lda, beta, C, ldc);
  mirror_upper(n, C, ldc);
}

template <>
void gesvd<double>(int m, int n, double* A, double* S, double* U, double* VT) {
  std::vector<double> superb(std::max(1, std::min(m, n)));
  lapack_int info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'S', 'S', m, n, A, n, S, U, std::min(m, n), VT, n, superb.data());
  check_info("dgesvd", info, "NO_CONVERGENCE");
}
template <>
void gesvd<float>(int m, int n, float* A, float* S, float* U, float* VT) {
  std::vector<float> superb(std::max(1, std::min(m, n)));
  lapack_int info = LAPACKE_sgesvd(LAPACK_ROW_MAJOR, 'S', 'S', m, n, A, n, S, U, std::min(m, n), VT, n, superb.data());
  check_info("sgesvd", info, "NO_CONVERGENCE");
}

template <>
void syevd<double>(int n, double* A, double* w) {
  check_info("dsyevd", LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', n, A, n, w), "NO_CONVERGENCE");
}
template <>
void syevd<float>(int n, float* A, float* w) {
  check_info("ssyevd", LAPACKE_ssyevd(LAPACK_ROW_MAJOR, 'V', 'U', n, A, n, w), "NO_CONVERGENCE");
}

template <>
void posv<double>(int n, int nrhs, double* A, double* B) {
  check_info("dpotrf", LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', n, A, n), "NOT_POSITIVE_DEFINITE");
  check_info("dpotrs", LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', n, nrhs, A, n, B, nrhs), "SOLVE");
}
template <>
void posv<float>(int n, int nrhs, float* A, float* B) {
  check_info("spotrf", LAPACKE_spotrf(LAPACK_ROW_MAJOR, 'U', n, A, n), "NOT_POSITIVE_DEFINITE");
  check_info("spotrs", LAPACKE_spotrs(LAPACK_ROW_MAJOR, 'U', n, nrhs, A, n, B, nrhs), "SOLVE");
}

void set_blas_threads(int threads) { openblas_set_num_threads(std::max(1, threads)); }
int blas_threads() { return openblas_get_num_threads(); }
std::string blas_config() { return std::string(openblas_get_config()) + " core=" + openblas_get_corename(); }

}  // namespace ascmh
