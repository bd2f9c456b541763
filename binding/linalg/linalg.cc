#include "linalg/linalg.h"

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
    throw CodedError("ERR_ASCMH_LAPACK_ARGUMENT",
                      std::string(routine) + ": argument " + std::to_string(-info) + " is invalid");
  throw CodedError(std::string("ERR_ASCMH_LAPACK_") + meaning_positive,
                    std::string(routine) + " failed (info " + std::to_string(info) + ")");
}

// Fill the lower triangle from the upper one (row-major).
template <class T>
void mirror_upper(int n, T* C, int ldc) {
  for (int i = 1; i < n; ++i)
    for (int j = 0; j < i; ++j) C[(size_t)i * ldc + j] = C[(size_t)j * ldc + i];
}

// LAPACK on small matrices runs thousands of level-2 BLAS calls; threading each one costs more in
// wake-ups than it saves, so such problems run on one thread. Safe to toggle: BLAS callers hold
// the lane (blas_lane.h), so no other BLAS call is in flight.
class SmallProblem {
 public:
  explicit SmallProblem(int n) : active_(n <= kSmall) {
    if (active_) {
      saved_ = openblas_get_num_threads();
      openblas_set_num_threads(1);
    }
  }
  ~SmallProblem() {
    if (active_) openblas_set_num_threads(saved_);
  }

 private:
  static constexpr int kSmall = 512;
  bool active_;
  int saved_ = 1;
};

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
  SmallProblem small(std::max(m, n));
  lapack_int info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'S', 'S', m, n, A, n, S, U, std::min(m, n), VT, n, superb.data());
  check_info("dgesvd", info, "NO_CONVERGENCE");
}
template <>
void gesvd<float>(int m, int n, float* A, float* S, float* U, float* VT) {
  std::vector<float> superb(std::max(1, std::min(m, n)));
  SmallProblem small(std::max(m, n));
  lapack_int info = LAPACKE_sgesvd(LAPACK_ROW_MAJOR, 'S', 'S', m, n, A, n, S, U, std::min(m, n), VT, n, superb.data());
  check_info("sgesvd", info, "NO_CONVERGENCE");
}

template <>
void syevd<double>(int n, double* A, double* w) {
  SmallProblem small(n);
  check_info("dsyevd", LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', n, A, n, w), "NO_CONVERGENCE");
}
template <>
void syevd<float>(int n, float* A, float* w) {
  SmallProblem small(n);
  check_info("ssyevd", LAPACKE_ssyevd(LAPACK_ROW_MAJOR, 'V', 'U', n, A, n, w), "NO_CONVERGENCE");
}

template <>
void posv<double>(int n, int nrhs, double* A, double* B) {
  SmallProblem small(n);
  check_info("dpotrf", LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', n, A, n), "NOT_POSITIVE_DEFINITE");
  check_info("dpotrs", LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', n, nrhs, A, n, B, nrhs), "SOLVE");
}
template <>
void posv<float>(int n, int nrhs, float* A, float* B) {
  SmallProblem small(n);
  check_info("spotrf", LAPACKE_spotrf(LAPACK_ROW_MAJOR, 'U', n, A, n), "NOT_POSITIVE_DEFINITE");
  check_info("spotrs", LAPACKE_spotrs(LAPACK_ROW_MAJOR, 'U', n, nrhs, A, n, B, nrhs), "SOLVE");
}

template <>
void posv_in_place<double>(int n, int nrhs, double* A, double* B) {
  SmallProblem small(n);
  check_info("dpotrf", LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', n, A, n), "NOT_POSITIVE_DEFINITE");
  cblas_dtrsm(CblasRowMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, n, nrhs, 1.0, A, n, B, nrhs);
  cblas_dtrsm(CblasRowMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, n, nrhs, 1.0, A, n, B, nrhs);
}
template <>
void posv_in_place<float>(int n, int nrhs, float* A, float* B) {
  SmallProblem small(n);
  check_info("spotrf", LAPACKE_spotrf_work(LAPACK_COL_MAJOR, 'L', n, A, n), "NOT_POSITIVE_DEFINITE");
  cblas_strsm(CblasRowMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, n, nrhs, 1.0f, A, n, B, nrhs);
  cblas_strsm(CblasRowMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, n, nrhs, 1.0f, A, n, B, nrhs);
}

namespace {

template <class T>
void copy_r_and_zero_lower(int m, int n, T* A) {
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < std::min(i, n); ++j) A[(size_t)i * n + j] = 0;
}

}  // namespace

template <>
void qr_full<double>(int m, int n, double* A, double* Q) {
  SmallProblem small(m);
  std::vector<double> tau(std::max(1, n));
  check_info("dgeqrf", LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, m, n, A, n, tau.data()), "QR");
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) Q[(size_t)i * m + j] = j < n ? A[(size_t)i * n + j] : 0;
  check_info("dorgqr", LAPACKE_dorgqr(LAPACK_ROW_MAJOR, m, m, n, Q, m, tau.data()), "QR");
  copy_r_and_zero_lower(m, n, A);
}
template <>
void qr_full<float>(int m, int n, float* A, float* Q) {
  SmallProblem small(m);
  std::vector<float> tau(std::max(1, n));
  check_info("sgeqrf", LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, m, n, A, n, tau.data()), "QR");
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) Q[(size_t)i * m + j] = j < n ? A[(size_t)i * n + j] : 0;
  check_info("sorgqr", LAPACKE_sorgqr(LAPACK_ROW_MAJOR, m, m, n, Q, m, tau.data()), "QR");
  copy_r_and_zero_lower(m, n, A);
}

int pivoted_cholesky(int n, double* A, std::vector<int>& order) {
  std::vector<lapack_int> piv(n);
  lapack_int rank = 0;
  const lapack_int info = [&] {
    SmallProblem small(n);
    return LAPACKE_dpstrf(LAPACK_ROW_MAJOR, 'U', n, A, n, piv.data(), &rank, -1.0);
  }();
  if (info < 0) check_info("dpstrf", info, "");
  // info > 0 only says A is semi-definite (rank < n), which is what the pivoting is for.
  order.assign(piv.begin(), piv.end());
  for (int& j : order) --j;  // 1-based pivots
  copy_r_and_zero_lower(n, n, A);
  return static_cast<int>(rank);
}

template <>
void cholesky_upper<double>(int n, double* A) {
  SmallProblem small(n);
  check_info("dpotrf", LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', n, A, n), "NOT_POSITIVE_DEFINITE");
  copy_r_and_zero_lower(n, n, A);
}
template <>
void cholesky_upper<float>(int n, float* A) {
  SmallProblem small(n);
  check_info("spotrf", LAPACKE_spotrf(LAPACK_ROW_MAJOR, 'U', n, A, n), "NOT_POSITIVE_DEFINITE");
  copy_r_and_zero_lower(n, n, A);
}

template <>
void cholesky_solve<double>(int n, int nrhs, const double* U, double* B) {
  // Two row-major triangular solves: LAPACKE's row-major dpotrs would transpose U and B into
  // fresh buffers on every call (SCRATCH solves with the same k x k factor every iteration).
  SmallProblem small(n);
  cblas_dtrsm(CblasRowMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, n, nrhs, 1.0, U, n, B, nrhs);
  cblas_dtrsm(CblasRowMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, n, nrhs, 1.0, U, n, B, nrhs);
}
template <>
void cholesky_solve<float>(int n, int nrhs, const float* U, float* B) {
  SmallProblem small(n);
  cblas_strsm(CblasRowMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, n, nrhs, 1.0f, U, n, B, nrhs);
  cblas_strsm(CblasRowMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, n, nrhs, 1.0f, U, n, B, nrhs);
}

template <>
void solve_upper_transposed<double>(int n, int nrhs, const double* U, double* B) {
  cblas_dtrsm(CblasRowMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, n, nrhs, 1.0, U, n, B, nrhs);
}
template <>
void solve_upper_transposed<float>(int n, int nrhs, const float* U, float* B) {
  cblas_strsm(CblasRowMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, n, nrhs, 1.0f, U, n, B, nrhs);
}

void set_blas_threads(int threads) { openblas_set_num_threads(std::max(1, threads)); }
int blas_threads() { return openblas_get_num_threads(); }
std::string blas_config() { return std::string(openblas_get_config()) + " core=" + openblas_get_corename(); }

}  // namespace ascmh
