// Thin row-major wrappers over CBLAS / LAPACKE, templated on float and double.
// LAPACK failures throw CodedError (core/error.h) with an ERR_ASCMH_LAPACK_* code.
#pragma once
#include <string>
#include <vector>

#include "core/error.h"

namespace ascmh {

enum class Op { N, T };

// C (m x n) = alpha * op(A) (m x k) * op(B) (k x n) + beta * C, all row-major.
template <class T>
void gemm(Op opA, Op opB, int m, int n, int k, T alpha, const T* A, int lda, const T* B, int ldb, T beta, T* C,
          int ldc);

// C (n x n) = alpha * A^T A + beta * C where A is k x n (Op::T), or alpha * A A^T with A n x k (Op::N).
// Both triangles of C are filled on return.
template <class T>
void syrk(Op op, int n, int k, T alpha, const T* A, int lda, T beta, T* C, int ldc);

// Thin SVD of the m x n matrix A (destroyed): A = U diag(S) VT, U m x min, VT min x n.
template <class T>
void gesvd(int m, int n, T* A, T* S, T* U, T* VT);

// Symmetric eigendecomposition of the n x n matrix A: on return column j of A is the eigenvector
// of eigenvalue w[j], ascending.
template <class T>
void syevd(int n, T* A, T* w);

// Solves A X = B for SPD A (n x n, destroyed: holds its Cholesky factor) and B n x nrhs (overwritten by X).
template <class T>
void posv(int n, int nrhs, T* A, T* B);

// posv without LAPACKE's transposed copies of A and B (fresh memory on every call): the row-major
// upper factor is LAPACK's column-major lower one of the same memory, then two row-major trsm.
// Same contract as posv (its rounding differs from posv's at the last digits).
template <class T>
void posv_in_place(int n, int nrhs, T* A, T* B);

// Full QR of the m x n matrix A (m >= n): on return Q (m x m) is orthogonal and A holds R in its
// upper triangle (n x n block).
template <class T>
void qr_full(int m, int n, T* A, T* Q);

// Cholesky A = U^T U of the SPD n x n matrix A (upper triangle of A overwritten by U, lower zeroed).
template <class T>
void cholesky_upper(int n, T* A);

// Pivoted Cholesky of the positive semi-definite n x n matrix A (dpstrf, default tolerance):
// P^T A P = U^T U with U upper triangular, of which the first `rank` rows are nonzero. On return
// A holds U (lower triangle zeroed), order[j] is the row of A moved to position j (0-based), and
// the numerical rank is returned.
int pivoted_cholesky(int n, double* A, std::vector<int>& order);

// Solves A X = B (B n x nrhs, overwritten) with the factor U of cholesky_upper (A = U^T U).
template <class T>
void cholesky_solve(int n, int nrhs, const T* U, T* B);

// B (n x nrhs) <- U^{-T} B for the upper-triangular U from cholesky_upper.
template <class T>
void solve_upper_transposed(int n, int nrhs, const T* U, T* B);

// Process-wide BLAS thread count (OpenBLAS is configured once; see blas_lane.h for the policy).
void set_blas_threads(int threads);
int blas_threads();

// Sets the BLAS thread count for a scope and restores it (the caller holds the BLAS lane, so no
// other BLAS call is in flight).
class BlasThreadsScope {
 public:
  explicit BlasThreadsScope(int threads) : saved_(blas_threads()) { set_blas_threads(threads); }
  ~BlasThreadsScope() { set_blas_threads(saved_); }
  BlasThreadsScope(const BlasThreadsScope&) = delete;
  BlasThreadsScope& operator=(const BlasThreadsScope&) = delete;

 private:
  int saved_;
};
std::string blas_config();

}  // namespace ascmh
