// Closed-form steps shared by the methods (issue 13): the DGH V-step, orthogonal Procrustes,
// MATLAB's orth, and SPD solves. Row-major throughout; the caller holds the BLAS lane.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

namespace ascmh {

// orth(A) for the m x k matrix A as GNU Octave 7's orth.m computes it: minus the left singular
// vectors of the singular values above max(m, k) * s(1) * eps, an m x rank matrix (rank in *rank).
template <class T>
std::vector<T> orth(int64_t m, int k, const T* A, int* rank);

// Orthogonal Procrustes: R = U W^T for K = U S W^T (r x r), the orthogonal R maximising tr(R^T K)
// (SCRATCH's [S1,~,S2] = svd(B V'); R = S1 * S2').
template <class T>
std::vector<T> procrustes(int r, const T* K);

// The DGH closed form of max tr(V^T Z) s.t. V^T V = n I, V^T 1 = 0 for Z (n x r), as BATCH's
// train_BATCH.m computes it (rows are samples):
//   Temp = Z'Z - (1/n)(Z'1)(1'Z); [~, Lmd, QQ] = svd(Temp) (an SVD: rounding-level eigenvalues count
//   as |lambda|); idx = diag(Lmd) > threshold (absolute);
//   Q = QQ(:, idx); Q_ = orth(QQ(:, ~idx)); P = Zc Q Lmd(idx)^(-1/2); P_ = orth(randn(n, r - r'));
//   V = sqrt(n) [P P_] [Q Q_]'
// P_ is NOT orthogonalised against 1 or P (the authors' quirk, kept). `completion(m)` returns the
// n x m Gaussian block (row-major) when r' < r. Writes V (n x r) and returns r'.
template <class T>
int dgh_latent_batch(int64_t n, int r, const T* Z, double threshold, const std::function<std::vector<T>(int)>& completion,
                     T* V);

// The generalised symmetric-definite eigenproblem K U = Q U diag(theta), U^T Q U = I, for
// Q = lambda I + s A A^T (A k x p, lambda > 0, s >= 0), the ridge-plus-low-rank form of CSMH's
// W-step. Q^{-1/2} = lambda^{-1/2} I + Ua D Ua^T comes from the thin SVD of A, so the only k x k
// factorisation is one symmetric eigendecomposition of Q^{-1/2} K Q^{-1/2} (no Cholesky, no
// triangular solves). K is k x k symmetric; writes U (k x k, column j for theta[j], ascending).
template <class T>
void ridge_lowrank_eigen(int k, const T* K, T lambda, int p, const T* A, T s, T* U, T* theta);

// Omega (k x r) solving diag(theta) Omega P + Omega = R for symmetric positive definite P
// (r x r) and theta >= 0: with P = V diag(l) V^T, Omega = ((R V) ./ (theta l^T + 1)) V^T. This is
// the generalised Sylvester equation K W P + Q W = RHS in the eigenbasis of ridge_lowrank_eigen
// (W = U Omega, R = U^T RHS). `Pv`/`l` are P's eigenvectors (columns) and eigenvalues.
template <class T>
void diagonal_sylvester(int k, int r, const T* theta, const T* Pv, const T* l, const T* R, T* Omega);

// A factored SPD matrix (Cholesky), solved against many right-hand sides.
template <class T>
class SpdFactor {
 public:
  SpdFactor() = default;
  SpdFactor(int n, std::vector<T> A);  // A (n x n) is factored
  void solve(int nrhs, T* B) const;    // B (n x nrhs) <- A^{-1} B
  int size() const { return n_; }

 private:
  int n_ = 0;
  std::vector<T> U_;
};

}  // namespace ascmh
