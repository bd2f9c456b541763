#include "linalg/solvers.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "linalg/linalg.h"

namespace ascmh {

template <class T>
std::vector<T> orth(int64_t m, int k, const T* A, int* rank) {
  *rank = 0;
  if (k == 0 || m == 0) return {};
  const int mn = static_cast<int>(std::min<int64_t>(m, k));
  std::vector<T> a(A, A + m * k), s(mn), U((size_t)m * mn), VT((size_t)mn * k);
  gesvd<T>(static_cast<int>(m), k, a.data(), s.data(), U.data(), VT.data());
  // Octave 7's orth.m: tol = max(size(A)) * s(1) * eps, rank = sum(s > tol), orth = -U(:, 1:rank).
  const T tol = static_cast<T>(std::max<int64_t>(m, k)) * s[0] * std::numeric_limits<T>::epsilon();
  int r = 0;
  while (r < mn && s[r] > tol) ++r;
  std::vector<T> out((size_t)m * r);
  for (int64_t i = 0; i < m; ++i)
    for (int j = 0; j < r; ++j) out[(size_t)(i * r + j)] = -U[(size_t)(i * mn + j)];
  *rank = r;
  return out;
}

template <class T>
std::vector<T> procrustes(int r, const T* K) {
  std::vector<T> a(K, K + (size_t)r * r), s(r), U((size_t)r * r), VT((size_t)r * r), R((size_t)r * r);
  gesvd<T>(r, r, a.data(), s.data(), U.data(), VT.data());
  gemm<T>(Op::N, Op::N, r, r, r, 1, U.data(), r, VT.data(), r, 0, R.data(), r);
  return R;
}

template <class T>
int dgh_latent_batch(int64_t n, int r, const T* Z, double threshold, const std::function<std::vector<T>(int)>& completion,
                     T* V) {
  // Temp = Z'Z - (1/n) (Z'1)(1'Z)
  std::vector<T> Temp((size_t)r * r), colsum(r, T(0));
  syrk<T>(Op::T, r, static_cast<int>(n), 1, Z, r, 0, Temp.data(), r);
  for (int64_t i = 0; i < n; ++i)
    for (int j = 0; j < r; ++j) colsum[j] += Z[i * r + j];
  const T inv_n = T(1) / static_cast<T>(n);
  for (int i = 0; i < r; ++i)
    for (int j = 0; j < r; ++j) Temp[(size_t)i * r + j] -= inv_n * colsum[i] * colsum[j];
  // [~, Lmd, QQ] = svd(Temp), as the MATLAB code does. Temp is symmetric positive semi-definite
  // up to rounding: its eigenvalues at rounding level (Wiki: ~1e-5 beside a largest ~1e12) come out
  // as singular values |lambda|, mostly above the absolute 1e-6 cut, so they are kept as the code
  // keeps them (an eigen-solver's signed values would drop about half of them).
  std::vector<T> w(r), Uunused((size_t)r * r), QQt((size_t)r * r);
  gesvd<T>(r, r, Temp.data(), w.data(), Uunused.data(), QQt.data());  // descending; rows of QQt = QQ'
  for (int i = 0; i < r; ++i)
    for (int j = 0; j < r; ++j) Temp[(size_t)i * r + j] = QQt[(size_t)j * r + i];  // Temp <- QQ (columns)
  std::vector<int> kept, rest;
  for (int j = 0; j < r; ++j) (w[j] > static_cast<T>(threshold) ? kept : rest).push_back(j);
  const int rank = static_cast<int>(kept.size()), m = r - rank;
  // V = sqrt(n) Zc (Q Lmd^-1/2 Q') + sqrt(n) P_ Q_'
  std::vector<T> Zc(Z, Z + n * r);
  for (int64_t i = 0; i < n; ++i)
    for (int j = 0; j < r; ++j) Zc[(size_t)(i * r + j)] -= colsum[j] * inv_n;
  std::vector<T> Qw((size_t)r * std::max(rank, 1)), Q((size_t)r * std::max(rank, 1));
  for (int i = 0; i < r; ++i)
    for (int a = 0; a < rank; ++a) {
      Q[(size_t)i * rank + a] = Temp[(size_t)i * r + kept[a]];
      Qw[(size_t)i * rank + a] = Q[(size_t)i * rank + a] / std::sqrt(w[kept[a]]);
    }
  std::vector<T> Tmat((size_t)r * r, T(0));
  if (rank > 0) gemm<T>(Op::N, Op::T, r, r, rank, 1, Qw.data(), rank, Q.data(), rank, 0, Tmat.data(), r);
  const T root_n = std::sqrt(static_cast<T>(n));
  gemm<T>(Op::N, Op::N, static_cast<int>(n), r, r, root_n, Zc.data(), r, Tmat.data(), r, 0, V, r);
  if (m > 0) {
    std::vector<T> Qrest((size_t)r * m);
    for (int i = 0; i < r; ++i)
      for (int a = 0; a < m; ++a) Qrest[(size_t)i * m + a] = Temp[(size_t)i * r + rest[a]];
    int rq = 0, rp = 0;
    const std::vector<T> Qbar = orth<T>(r, m, Qrest.data(), &rq);
    const std::vector<T> draws = completion(m);
    const std::vector<T> Pbar = orth<T>(n, m, draws.data(), &rp);
    const int q = std::min(rq, rp);  // [P P_] [Q Q_]' needs as many columns on both sides
    if (q > 0) {
      std::vector<T> Qb((size_t)r * q), Pb((size_t)n * q);
      for (int i = 0; i < r; ++i)
        for (int a = 0; a < q; ++a) Qb[(size_t)i * q + a] = Qbar[(size_t)i * rq + a];
      for (int64_t i = 0; i < n; ++i)
        for (int a = 0; a < q; ++a) Pb[(size_t)(i * q + a)] = Pbar[(size_t)(i * rp + a)];
      gemm<T>(Op::N, Op::T, static_cast<int>(n), r, q, root_n, Pb.data(), q, Qb.data(), q, 1, V, r);
    }
  }
  return rank;
}

template <class T>
void ridge_lowrank_eigen(int k, const T* K, T lambda, int p, const T* A, T s, T* U, T* theta) {
  const size_t kk = (size_t)k * k;
  const T root = T(1) / std::sqrt(lambda);
  // Q^{-1/2} = root I + Ua diag(d) Ua^T, d_j = (lambda + s sa_j^2)^{-1/2} - root.
  const int q = std::min(k, p);
  std::vector<T> Ua, d;
  if (q > 0 && s > T(0)) {
    std::vector<T> a(A, A + (size_t)k * p), sa(q), VT((size_t)q * p);
    Ua.resize((size_t)k * q);
    gesvd<T>(k, p, a.data(), sa.data(), Ua.data(), VT.data());
    d.resize(q);
    for (int j = 0; j < q; ++j) d[j] = T(1) / std::sqrt(lambda + s * sa[j] * sa[j]) - root;
  } else {
    Ua.clear();
  }
  const int qa = static_cast<int>(d.size());
  // C = Q^{-1/2} K Q^{-1/2}: R = Q^{-1/2} K = root K + Ua D (Ua^T K); C = root R + (R Ua) D Ua^T.
  std::vector<T> C(K, K + kk);
  for (auto& v : C) v *= root;
  if (qa > 0) {
    std::vector<T> UtK((size_t)qa * k);
    gemm<T>(Op::T, Op::N, qa, k, k, 1, Ua.data(), qa, K, k, 0, UtK.data(), k);
    for (int j = 0; j < qa; ++j)
      for (int c = 0; c < k; ++c) UtK[(size_t)j * k + c] *= d[j];
    gemm<T>(Op::N, Op::N, k, k, qa, 1, Ua.data(), qa, UtK.data(), k, 1, C.data(), k);  // C = R
    std::vector<T> RU((size_t)k * qa);
    gemm<T>(Op::N, Op::N, k, qa, k, 1, C.data(), k, Ua.data(), qa, 0, RU.data(), qa);
    for (int i = 0; i < k; ++i)
      for (int j = 0; j < qa; ++j) RU[(size_t)i * qa + j] *= d[j];
    for (auto& v : C) v *= root;
    gemm<T>(Op::N, Op::T, k, k, qa, 1, RU.data(), qa, Ua.data(), qa, 1, C.data(), k);
  } else {
    for (auto& v : C) v *= root;
  }
  for (int i = 0; i < k; ++i)  // exact symmetry for the eigen-solver (rounding in the products)
    for (int j = i + 1; j < k; ++j) C[(size_t)i * k + j] = C[(size_t)j * k + i] = (C[(size_t)i * k + j] + C[(size_t)j * k + i]) / 2;
  syevd<T>(k, C.data(), theta);
  // U = Q^{-1/2} X = root X + Ua D (Ua^T X)
  for (size_t i = 0; i < kk; ++i) U[i] = root * C[i];
  if (qa > 0) {
    std::vector<T> UtX((size_t)qa * k);
    gemm<T>(Op::T, Op::N, qa, k, k, 1, Ua.data(), qa, C.data(), k, 0, UtX.data(), k);
    for (int j = 0; j < qa; ++j)
      for (int c = 0; c < k; ++c) UtX[(size_t)j * k + c] *= d[j];
    gemm<T>(Op::N, Op::N, k, k, qa, 1, Ua.data(), qa, UtX.data(), k, 1, U, k);
  }
}

template <class T>
void diagonal_sylvester(int k, int r, const T* theta, const T* Pv, const T* l, const T* R, T* Omega) {
  std::vector<T> Y((size_t)k * r);
  gemm<T>(Op::N, Op::N, k, r, r, 1, R, r, Pv, r, 0, Y.data(), r);
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < r; ++j) Y[(size_t)i * r + j] /= theta[i] * l[j] + T(1);
  gemm<T>(Op::N, Op::T, k, r, r, 1, Y.data(), r, Pv, r, 0, Omega, r);
}

template <class T>
SpdFactor<T>::SpdFactor(int n, std::vector<T> A) : n_(n), U_(std::move(A)) {
  cholesky_upper<T>(n, U_.data());
}

template <class T>
void SpdFactor<T>::solve(int nrhs, T* B) const {
  cholesky_solve<T>(n_, nrhs, U_.data(), B);
}

template std::vector<double> orth<double>(int64_t, int, const double*, int*);
template std::vector<float> orth<float>(int64_t, int, const float*, int*);
template std::vector<double> procrustes<double>(int, const double*);
template std::vector<float> procrustes<float>(int, const float*);
template int dgh_latent_batch<double>(int64_t, int, const double*, double,
                                      const std::function<std::vector<double>(int)>&, double*);
template int dgh_latent_batch<float>(int64_t, int, const float*, double, const std::function<std::vector<float>(int)>&,
                                     float*);
template void ridge_lowrank_eigen<double>(int, const double*, double, int, const double*, double, double*, double*);
template void ridge_lowrank_eigen<float>(int, const float*, float, int, const float*, float, float*, float*);
template void diagonal_sylvester<double>(int, int, const double*, const double*, const double*, const double*, double*);
template void diagonal_sylvester<float>(int, int, const float*, const float*, const float*, const float*, float*);
template class SpdFactor<double>;
template class SpdFactor<float>;

}  // namespace ascmh
