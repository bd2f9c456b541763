#include "train/csmh.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>

#include "core/blas_lane.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "linalg/linalg.h"
#include "linalg/solvers.h"
#include "train/dcc.h"

namespace ascmh {
namespace {

// One modality's fixed quantities in its generalised eigenbasis, and its current W = U Omega.
template <class T>
struct Basis {
  int k = 0;
  int64_t offset = 0;    // first column of Phi_m^T in the design matrix
  std::vector<T> U;      // k x k
  std::vector<T> theta;  // k, ascending
  std::vector<T> At;     // U^T A, k x (c+1)
  std::vector<T> Ft;     // U^T Phi G^T, k x c
  std::vector<T> ut;     // U^T Phi 1, k (rounding level: the features are centred)
  std::vector<T> Omega;  // k x r
  std::vector<T> W;      // U Omega, k x r
};

template <class T>
double dot(const T* a, const T* b, size_t count) {
  double s = 0;
  for (size_t i = 0; i < count; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

// K, A = Phi E, Phi G^T, Phi 1 and the generalised eigenbasis of one modality (the caller holds the lane).
template <class T>
void prepare_basis(Basis<T>& bm, const T* Phi, int ni, int ci, const T* E, const T* Gn, int c, T lambda, T alpha_n) {
  const int k = bm.k, c1 = c + 1;
  std::vector<T> Km((size_t)k * k), A((size_t)k * c1), Fm((size_t)k * c), phi1(k);
  syrk<T>(Op::T, k, ni, 1, Phi, ci, 0, Km.data(), k);
  gemm<T>(Op::T, Op::N, k, c1, ni, 1, Phi, ci, E, c1, 0, A.data(), c1);
  gemm<T>(Op::T, Op::N, k, c, ni, 1, Phi, ci, Gn, ci, 0, Fm.data(), c);
  for (int a = 0; a < k; ++a) phi1[a] = A[(size_t)a * c1] * static_cast<T>(ni);
  bm.U.resize((size_t)k * k);
  bm.theta.resize(k);
  ridge_lowrank_eigen<T>(k, Km.data(), lambda, c1, A.data(), alpha_n, bm.U.data(), bm.theta.data());
  bm.At.resize((size_t)k * c1);
  bm.Ft.resize((size_t)k * c);
  bm.ut.resize(k);
  gemm<T>(Op::T, Op::N, k, c1, k, 1, bm.U.data(), k, A.data(), c1, 0, bm.At.data(), c1);
  gemm<T>(Op::T, Op::N, k, c, k, 1, bm.U.data(), k, Fm.data(), c, 0, bm.Ft.data(), c);
  gemm<T>(Op::T, Op::N, k, 1, k, 1, bm.U.data(), k, phi1.data(), 1, 0, bm.ut.data(), 1);
}

}  // namespace

template <class T>
MethodResult<T> train_csmh(RowSource& image, RowSource& text, const uint8_t* labels, int64_t classes,
                           const CsmhOptions& o, const InjectedDraws& injected, const MethodProgress& progress,
                           const CancelToken* cancel) {
  using clock = std::chrono::steady_clock;
  MethodResult<T> result;
  const int r = o.bits;
  report_phase<MethodReport>(progress, FitPhase::features);
  const auto t0 = clock::now();
  DesignMatrix<T> D = design_matrix<T>(image, text, labels, classes, o.kernel, o.seed, injected, cancel);
  const int64_t n = D.n, K = D.K, cols = D.cols;
  const int c = static_cast<int>(D.c), ni = static_cast<int>(n), ci = static_cast<int>(cols), c1 = c + 1;
  T* F = D.F.data();
  const T dn = static_cast<T>(n), alpha_n = static_cast<T>(o.alpha) * dn, beta_n = static_cast<T>(o.beta) / dn,
          beta_rn = static_cast<T>(o.beta * r) / dn, lambda = static_cast<T>(o.ridge), eta = static_cast<T>(o.eta);

  // Labels -> G (unit-norm rows, in the design matrix's label columns) and the MMD weights E.
  std::vector<int64_t> class_count(c, 0);
  for (int64_t i = 0; i < n; ++i)
    for (int j = 0; j < c; ++j) class_count[j] += labels[i * c + j] != 0;
  std::vector<T> E((size_t)n * c1, T(0));
  ThreadPool::instance().parallel_for(n, 1024, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      int count = 0;
      for (int j = 0; j < c; ++j) count += labels[i * c + j] != 0;
      const T g = count > 0 ? T(1) / std::sqrt(static_cast<T>(count)) : T(0);
      T* row = F + i * cols + K;
      E[(size_t)(i * c1)] = T(1) / dn;
      for (int j = 0; j < c; ++j) {
        const bool on = labels[i * c + j] != 0;
        row[j] = on ? g : T(0);
        E[(size_t)(i * c1 + 1 + j)] = on ? T(1) / static_cast<T>(class_count[j]) : T(0);
      }
    }
  });
  const T* Gn = F + K;  // n x c at stride cols
  check_training_cancelled(cancel);

  Basis<T> basis[2];
  for (int m = 0; m < 2; ++m) {
    basis[m].k = static_cast<int>(D.k[m]);
    basis[m].offset = m == 0 ? 0 : D.k[0];
    basis[m].Omega.assign((size_t)basis[m].k * r, T(0));
    basis[m].W.assign((size_t)basis[m].k * r, T(0));
  }
  {
    // Both modalities at once, one BLAS thread each: the eigen-solver's tridiagonalisation is
    // memory-bound level-2 BLAS that a second thread barely speeds up (README, "CSMH").
    BlasLaneGuard lane;
    BlasThreadsScope one(1);
    std::exception_ptr failed[2];
    ThreadPool::instance().parallel_for(2, 1, [&](int64_t m0, int64_t m1) {
      for (int64_t m = m0; m < m1; ++m) try {
          prepare_basis<T>(basis[m], F + basis[m].offset, ni, ci, E.data(), Gn, c, lambda, alpha_n);
        } catch (...) {
          failed[m] = std::current_exception();
        }
    });
    for (auto& e : failed)
      if (e) std::rethrow_exception(e);
  }
  E = {};
  const int k0 = basis[0].k, k1 = basis[1].k;
  std::vector<T> C12;  // Phi_1 Phi_2^T (k0 x k1), for the paired term only
  if (o.eta > 0) {
    BlasLaneGuard lane;
    C12.resize((size_t)k0 * k1);
    gemm<T>(Op::T, Op::N, k0, k1, ni, 1, F, ci, F + k0, ci, 0, C12.data(), k1);
  }
  // ||S||^2 = ||2 G^T G - 1 1^T||^2 = 4 ||G G^T||^2 - 4 ||G 1||^2 + n^2, for the objective.
  double S2 = static_cast<double>(n) * static_cast<double>(n);
  {
    std::vector<double> GG((size_t)c * c, 0.0), g1(c, 0.0);
    for (int64_t i = 0; i < n; ++i) {
      const T* g = Gn + i * cols;
      for (int a = 0; a < c; ++a) {
        g1[a] += g[a];
        if (g[a] != T(0))
          for (int b = 0; b < c; ++b) GG[(size_t)a * c + b] += static_cast<double>(g[a]) * g[b];
      }
    }
    for (const double v : GG) S2 += 4 * v * v;
    for (const double v : g1) S2 -= 4 * v * v;
  }
  result.seconds_features = std::chrono::duration<double>(clock::now() - t0).count();
  check_training_cancelled(cancel);

  report_phase<MethodReport>(progress, FitPhase::iterations);
  const auto t1 = clock::now();
  const int64_t nr = n * r;
  std::vector<int8_t> B(static_cast<size_t>(nr));
  {
    const std::vector<T> g = injected.B0.empty() ? gaussian_values<T>(o.seed, 1, nr) : injected_values<T>(injected.B0, nr, "B0");
    for (int64_t i = 0; i < nr; ++i) B[i] = g[i] >= T(0) ? 1 : -1;
  }
  std::vector<T> Bf(static_cast<size_t>(nr)), BF((size_t)r * cols), B1(r), BB((size_t)r * r);
  std::vector<T> P((size_t)r * r), l(r), R, tmp, H((size_t)r * r), ZZ[2], Mc[2], z1[2], TO, CW;
  std::vector<T> Wstack((size_t)cols * r), Qb(static_cast<size_t>(nr));
  for (int m = 0; m < 2; ++m) {
    ZZ[m].resize((size_t)r * r);
    Mc[m].resize((size_t)r * c);
    z1[m].resize(r);
  }
  // B-dependent products: B Phi^T and B G^T (one row of BF per bit), B 1, B B^T.
  auto refresh_b_terms = [&](bool full) {
    if (full) {
      for (int64_t i = 0; i < nr; ++i) Bf[i] = B[i];
      gemm<T>(Op::T, Op::N, r, ci, ni, 1, Bf.data(), r, F, ci, 0, BF.data(), ci);
    } else {
      ThreadPool::instance().parallel_for(r, 1, [&](int64_t j0, int64_t j1) {
        for (int64_t j = j0; j < j1; ++j) {
          T* row = BF.data() + j * cols;
          for (int64_t i = 0; i < n; ++i) {
            const T now = B[(size_t)(i * r + j)];
            if (now == Bf[(size_t)(i * r + j)]) continue;
            const T delta = 2 * now;  // the entry flipped from -now to now
            const T* f = F + i * cols;
            for (int64_t a = 0; a < cols; ++a) row[a] += delta * f[a];
          }
        }
      });
      for (int64_t i = 0; i < nr; ++i) Bf[i] = B[i];
    }
    std::fill(B1.begin(), B1.end(), T(0));
    for (int64_t i = 0; i < n; ++i)
      for (int j = 0; j < r; ++j) B1[j] += Bf[(size_t)(i * r + j)];
    syrk<T>(Op::T, r, ni, 1, Bf.data(), r, 0, BB.data(), r);
  };
  {
    BlasLaneGuard lane;
    refresh_b_terms(true);
  }

  double previous = 0;
  for (int it = 1; it <= o.iterations; ++it) {
    check_training_cancelled(cancel);
    MethodReport rep;
    rep.iteration = it;
    rep.latent_rank = r;
    {
      BlasLaneGuard lane;
      // P = (1 + eta) I + (beta/n) B B^T and its eigenvectors (shared by both W-steps).
      for (size_t i = 0; i < P.size(); ++i) P[i] = beta_n * BB[i];
      for (int j = 0; j < r; ++j) P[(size_t)j * r + j] += T(1) + eta;
      syevd<T>(r, P.data(), l.data());
      for (int m = 0; m < 2; ++m) {
        Basis<T>& bm = basis[m];
        const Basis<T>& bo = basis[1 - m];
        const int k = bm.k;
        // U^T RHS = U^T Phi B^T + (beta r/n)(2 Ft (G B^T) - ut (B 1)^T) + alpha n At (At_o^T Omega_o) + eta U^T Phi Phi_o^T W_o
        R.resize((size_t)k * r);
        gemm<T>(Op::T, Op::T, k, r, k, 1, bm.U.data(), k, BF.data() + bm.offset, ci, 0, R.data(), r);
        for (int a = 0; a < k; ++a)
          for (int j = 0; j < r; ++j) R[(size_t)a * r + j] -= beta_rn * bm.ut[a] * B1[j];
        gemm<T>(Op::N, Op::T, k, r, c, 2 * beta_rn, bm.Ft.data(), c, BF.data() + K, ci, 1, R.data(), r);
        tmp.assign((size_t)c1 * r, T(0));
        gemm<T>(Op::T, Op::N, c1, r, bo.k, 1, bo.At.data(), c1, bo.Omega.data(), r, 0, tmp.data(), r);
        gemm<T>(Op::N, Op::N, k, r, c1, alpha_n, bm.At.data(), c1, tmp.data(), r, 1, R.data(), r);
        if (o.eta > 0) {
          CW.resize((size_t)k * r);
          if (m == 0) gemm<T>(Op::N, Op::N, k0, r, k1, 1, C12.data(), k1, bo.W.data(), r, 0, CW.data(), r);
          else gemm<T>(Op::T, Op::N, k1, r, k0, 1, C12.data(), k1, bo.W.data(), r, 0, CW.data(), r);
          gemm<T>(Op::T, Op::N, k, r, k, eta, bm.U.data(), k, CW.data(), r, 1, R.data(), r);
        }
        diagonal_sylvester<T>(k, r, bm.theta.data(), P.data(), l.data(), R.data(), bm.Omega.data());
        gemm<T>(Op::N, Op::N, k, r, k, 1, bm.U.data(), k, bm.Omega.data(), r, 0, bm.W.data(), r);
      }
      // B-step terms: Z_m Z_m^T = Omega^T Theta Omega, Z_m G^T = Omega^T Ft, Z_m 1 = Omega^T ut.
      for (int m = 0; m < 2; ++m) {
        const Basis<T>& bm = basis[m];
        const int k = bm.k;
        TO.resize((size_t)k * r);
        for (int a = 0; a < k; ++a)
          for (int j = 0; j < r; ++j) TO[(size_t)a * r + j] = bm.theta[a] * bm.Omega[(size_t)a * r + j];
        gemm<T>(Op::T, Op::N, r, r, k, 1, bm.Omega.data(), r, TO.data(), r, 0, ZZ[m].data(), r);
        gemm<T>(Op::T, Op::N, r, c, k, 1, bm.Omega.data(), r, bm.Ft.data(), c, 0, Mc[m].data(), c);
        gemm<T>(Op::T, Op::N, r, 1, k, 1, bm.Omega.data(), r, bm.ut.data(), 1, 0, z1[m].data(), 1);
      }
      for (size_t i = 0; i < H.size(); ++i) H[i] = beta_n * (ZZ[0][i] + ZZ[1][i]);
      // Q_B^T (n x r) = [Phi_1^T Phi_2^T G^T] [W_1; W_2; (2 beta r/n) M^T] - (beta r/n) 1 (Z 1)^T
      std::copy(basis[0].W.begin(), basis[0].W.end(), Wstack.begin());
      std::copy(basis[1].W.begin(), basis[1].W.end(), Wstack.begin() + (size_t)k0 * r);
      for (int a = 0; a < c; ++a)
        for (int j = 0; j < r; ++j)
          Wstack[(size_t)(K + a) * r + j] = 2 * beta_rn * (Mc[0][(size_t)j * c + a] + Mc[1][(size_t)j * c + a]);
      gemm<T>(Op::N, Op::N, ni, r, ci, 1, F, ci, Wstack.data(), r, 0, Qb.data(), r);
    }
    std::vector<T> shift(r);
    for (int j = 0; j < r; ++j) shift[j] = beta_rn * (z1[0][j] + z1[1][j]);
    ThreadPool::instance().parallel_for(n, 1024, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        for (int j = 0; j < r; ++j) Qb[(size_t)(i * r + j)] -= shift[j];
    });
    dcc_sweeps<T>(n, r, H.data(), Qb.data(), DccLayout::items_by_bits(r), B.data(), DccLayout::items_by_bits(r), o.sweeps, cancel);
    check_training_cancelled(cancel);
    for (int64_t i = 0; i < nr; ++i) rep.changed_bits += B[i] != Bf[i];  // net: a bit flipped twice did not change
    {
      BlasLaneGuard lane;
      // Flipped entries only, unless many flipped (a GEMM is then cheaper than the row updates).
      refresh_b_terms(rep.changed_bits * 16 > nr);
      // The objective at (W_1, W_2, B) of this iteration, from r x r and k x r quantities only.
      double total = 0, mmd = 0;
      std::vector<T> ZE[2];
      for (int m = 0; m < 2; ++m) {
        const Basis<T>& bm = basis[m];
        const int k = bm.k;
        double cross = 0;  // tr(B Z_m^T) = <B Phi_m^T, W_m^T>
        for (int j = 0; j < r; ++j)
          for (int a = 0; a < k; ++a) cross += static_cast<double>(BF[(size_t)j * cols + bm.offset + a]) * bm.W[(size_t)a * r + j];
        double trZZ = 0;
        for (int j = 0; j < r; ++j) trZZ += ZZ[m][(size_t)j * r + j];
        ZE[m].assign((size_t)c1 * r, T(0));  // (Z_m E)^T = At^T Omega, (c+1) x r
        gemm<T>(Op::T, Op::N, c1, r, k, 1, bm.At.data(), c1, bm.Omega.data(), r, 0, ZE[m].data(), r);
        const double W2 = dot(bm.W.data(), bm.W.data(), bm.W.size());
        double GBZG = 0;  // tr((G B^T)(Z_m G^T))
        for (int j = 0; j < r; ++j)
          for (int a = 0; a < c; ++a) GBZG += static_cast<double>(BF[(size_t)j * cols + K + a]) * Mc[m][(size_t)j * c + a];
        const double trBZS = 2 * GBZG - dot(B1.data(), z1[m].data(), r);
        const double sim = (o.beta / static_cast<double>(n)) *
                           (dot(ZZ[m].data(), BB.data(), BB.size()) - 2.0 * r * trBZS + static_cast<double>(r) * r * S2);
        total += static_cast<double>(n) * r - 2 * cross + trZZ + o.ridge * W2 + sim;
      }
      for (size_t i = 0; i < ZE[0].size(); ++i) mmd += std::pow(static_cast<double>(ZE[0][i]) - ZE[1][i], 2);
      total += o.alpha * static_cast<double>(n) * mmd;
      if (o.eta > 0) {
        CW.resize((size_t)k0 * r);
        gemm<T>(Op::N, Op::N, k0, r, k1, 1, C12.data(), k1, basis[1].W.data(), r, 0, CW.data(), r);
        double trZZ = 0;
        for (int j = 0; j < r; ++j) trZZ += ZZ[0][(size_t)j * r + j] + ZZ[1][(size_t)j * r + j];
        total += o.eta * (trZZ - 2 * dot(basis[0].W.data(), CW.data(), CW.size()));
      }
      rep.objective = total;
    }
    result.history.push_back(rep);
    if (progress) progress(rep);
    if (o.tolerance > 0 && it > 1 && rep.changed_bits == 0 && std::fabs(previous - rep.objective) <= o.tolerance * std::fabs(rep.objective)) {
      result.converged = it < o.iterations;
      break;
    }
    previous = rep.objective;
  }
  if (o.keep_latent) {
    BlasLaneGuard lane;
    const char* names[2] = {"Z_image", "Z_text"};
    for (int m = 0; m < 2; ++m) {
      std::vector<T> Z(static_cast<size_t>(nr));
      gemm<T>(Op::N, Op::N, ni, r, basis[m].k, 1, F + basis[m].offset, ci, basis[m].W.data(), r, 0, Z.data(), r);
      result.latent[names[m]] = std::move(Z);
    }
    result.latent["H"] = H;
    result.latent["Q"] = Qb;
    result.latent["theta_image"] = basis[0].theta;
    result.latent["theta_text"] = basis[1].theta;
    result.latent_B = B;
  }
  result.seconds_iterations = std::chrono::duration<double>(clock::now() - t1).count();
  check_training_cancelled(cancel);

  // Hash functions: W_m = U_m Omega_m, already formed by the last W-steps.
  report_phase<MethodReport>(progress, FitPhase::hash_functions);
  const auto t2 = clock::now();
  for (int m = 0; m < 2; ++m) result.W[m] = std::move(basis[m].W);
  result.seconds_hash = std::chrono::duration<double>(clock::now() - t2).count();
  result.strict = false;
  hand_over(result, B, n, r, D);
  return result;
}

template MethodResult<double> train_csmh<double>(RowSource&, RowSource&, const uint8_t*, int64_t, const CsmhOptions&,
                                                 const InjectedDraws&, const MethodProgress&, const CancelToken*);
template MethodResult<float> train_csmh<float>(RowSource&, RowSource&, const uint8_t*, int64_t, const CsmhOptions&,
                                               const InjectedDraws&, const MethodProgress&, const CancelToken*);

}  // namespace ascmh
