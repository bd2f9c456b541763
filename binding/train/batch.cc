#include "train/batch.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/blas_lane.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "linalg/linalg.h"
#include "linalg/solvers.h"

namespace ascmh {
namespace {

template <class T>
int8_t sign_of(T v) {
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

}  // namespace

template <class T>
MethodResult<T> train_batch(RowSource& image, RowSource& text, const uint8_t* labels, int64_t classes,
                            const BatchOptions& o, const InjectedDraws& injected, const MethodProgress& progress,
                            const CancelToken* cancel) {
  using clock = std::chrono::steady_clock;
  MethodResult<T> result;
  const int r = o.bits;
  report_phase<MethodReport>(progress, FitPhase::features);
  const auto t0 = clock::now();
  DesignMatrix<T> D = design_matrix<T>(image, text, labels, classes, o.kernel, o.seed, injected, cancel);
  const int64_t n = D.n, K = D.K, cols = D.cols;
  const int c = static_cast<int>(D.c), ni = static_cast<int>(n);
  const T* F = D.F.data();
  // G = NormalizeFea(L, 1): each row over max(1e-14, its squared norm)^(1/2), as pow(., -0.5).
  std::vector<T> G((size_t)n * c, T(0));
  for (int64_t i = 0; i < n; ++i) {
    int count = 0;
    for (int j = 0; j < c; ++j) count += labels[i * c + j] != 0;
    const T scale = static_cast<T>(std::pow(std::max(1e-14, static_cast<double>(count)), -0.5));
    for (int j = 0; j < c; ++j)
      if (labels[i * c + j]) G[(size_t)(i * c + j)] = scale;
  }
  result.seconds_features = std::chrono::duration<double>(clock::now() - t0).count();
  check_training_cancelled(cancel);

  report_phase<MethodReport>(progress, FitPhase::iterations);
  const auto t1 = clock::now();
  // Initialisation: B = sign(randn(n, r)) with zeros -> -1, V = randn(n, r).
  const int64_t nr = n * r;
  std::vector<T> B0 = injected.B0.empty() ? gaussian_values<T>(o.seed, 1, nr) : injected_values<T>(injected.B0, nr, "B0");
  std::vector<T> V = injected.V0.empty() ? gaussian_values<T>(o.seed, 2, nr) : injected_values<T>(injected.V0, nr, "V0");
  std::vector<int8_t> B(static_cast<size_t>(nr));
  for (int64_t i = 0; i < nr; ++i) B[i] = B0[i] > 0 ? 1 : -1;  // sign, then B(B==0) = -1
  B0 = {};
  std::vector<T> Bt(static_cast<size_t>(nr)), Z(static_cast<size_t>(nr)), VtF((size_t)r * cols), Tm((size_t)r * r),
      Wz((size_t)cols * r), GtB((size_t)c * r), GtV((size_t)c * r), Arg(static_cast<size_t>(nr));
  const T eta[3] = {static_cast<T>(o.eta[0]), static_cast<T>(o.eta[1]), static_cast<T>(o.eta[2])};
  const T omega = static_cast<T>(o.omega), rr = static_cast<T>(r);
  for (int it = 1; it <= o.iterations; ++it) {
    check_training_cancelled(cancel);
    MethodReport rep;
    rep.iteration = it;
    {
      BlasLaneGuard lane;
      for (int64_t i = 0; i < nr; ++i) Bt[i] = B[i];
      // U-step: T = V'V + 1e-3 I; [Ux Uy Ul] = T \ V'[XK YK L]
      syrk<T>(Op::T, r, ni, 1, V.data(), r, 0, Tm.data(), r);
      for (int i = 0; i < r; ++i) Tm[(size_t)i * r + i] += static_cast<T>(1e-3);
      gemm<T>(Op::T, Op::N, r, static_cast<int>(cols), ni, 1, V.data(), r, F, static_cast<int>(cols), 0, VtF.data(),
              static_cast<int>(cols));
      posv_in_place<T>(r, static_cast<int>(cols), Tm.data(), VtF.data());  // VtF now holds U = [Ux Uy Ul] (r x cols)
      // Z = r G (G'B) + omega B + [XK YK L] [eta1 Ux'; eta2 Uy'; eta0 Ul']
      for (int64_t j = 0; j < cols; ++j) {
        const T e = eta[j < D.k[0] ? 0 : j < K ? 1 : 2];
        for (int i = 0; i < r; ++i) Wz[(size_t)(j * r + i)] = e * VtF[(size_t)i * cols + j];
      }
      gemm<T>(Op::N, Op::N, ni, r, static_cast<int>(cols), 1, F, static_cast<int>(cols), Wz.data(), r, 0, Z.data(), r);
      gemm<T>(Op::T, Op::N, c, r, ni, 1, G.data(), c, Bt.data(), r, 0, GtB.data(), r);
      gemm<T>(Op::N, Op::N, ni, r, c, rr, G.data(), c, GtB.data(), r, 1, Z.data(), r);
      for (int64_t i = 0; i < nr; ++i) Z[i] += omega * Bt[i];
      // V-step
      rep.latent_rank = dgh_latent_batch<T>(
          n, r, Z.data(), kBatchEigenThreshold,
          [&](int m) {
            std::vector<T> block = gaussian_values<T>(o.seed, 16 + static_cast<uint64_t>(it), n * m);
            if (static_cast<size_t>(it - 1) < injected.completion.size()) {
              // Block it-1 is the randn(n, m') the MATLAB code drew in iteration it. Its r' (and so
              // m') is decided by an absolute threshold among eigenvalues at rounding level, so m' may
              // differ from m: its first min(m, m') columns are used, the rest stay drawn here.
              const std::vector<double>& given = injected.completion[it - 1];
              const int64_t given_cols = static_cast<int64_t>(given.size()) / n;
              if (given_cols * n != static_cast<int64_t>(given.size()))
                fail("ERR_ASCMH_OPTION", "an injected completion block is not n x m");
              for (int64_t i = 0; i < n; ++i)
                for (int64_t a = 0; a < std::min<int64_t>(m, given_cols); ++a)
                  block[(size_t)(i * m + a)] = static_cast<T>(given[(size_t)(i * given_cols + a)]);
            }
            return block;
          },
          V.data());
      // B-step: B = sign(r G (G'V) + omega V), sign(0) = 0
      gemm<T>(Op::T, Op::N, c, r, ni, 1, G.data(), c, V.data(), r, 0, GtV.data(), r);
      for (int64_t i = 0; i < nr; ++i) Arg[i] = omega * V[i];
      gemm<T>(Op::N, Op::N, ni, r, c, rr, G.data(), c, GtV.data(), r, 1, Arg.data(), r);
    }
    int64_t changed = 0;
    for (int64_t i = 0; i < nr; ++i) {
      const int8_t s = sign_of(Arg[i]);
      changed += s != B[i];
      B[i] = s;
    }
    rep.changed_bits = changed;
    result.history.push_back(rep);
    if (progress) progress(rep);
  }
  if (o.keep_latent) {
    result.latent["V"] = V;
    result.latent["Z"] = Z;
    result.latent["U"] = VtF;  // [Ux Uy Ul] (r x (kx + ky + c)) of the last U-step
    result.latent_B = B;  // n x r, with zeros where the last B-step's argument was 0
  }
  for (auto& b : B)
    if (b == 0) b = -1;  // final_B = sign(B); final_B(final_B == 0) = -1
  result.seconds_iterations = std::chrono::duration<double>(clock::now() - t1).count();
  check_training_cancelled(cancel);

  // Hash functions: XW = (XK'XK + xi I) \ (XK'B), YW likewise.
  report_phase<MethodReport>(progress, FitPhase::hash_functions);
  const auto t2 = clock::now();
  for (int64_t i = 0; i < nr; ++i) Bt[i] = B[i];
  for (int m = 0; m < 2; ++m) {
    check_training_cancelled(cancel);
    BlasLaneGuard lane;
    const int km = static_cast<int>(D.k[m]);
    const T* X = F + (m == 0 ? 0 : D.k[0]);
    std::vector<T> S((size_t)km * km);
    syrk<T>(Op::T, km, ni, 1, X, static_cast<int>(cols), 0, S.data(), km);
    for (int i = 0; i < km; ++i) S[(size_t)i * km + i] += static_cast<T>(o.xi);
    result.W[m].assign((size_t)km * r, T(0));
    gemm<T>(Op::T, Op::N, km, r, ni, 1, X, static_cast<int>(cols), Bt.data(), r, 0, result.W[m].data(), r);
    posv_in_place<T>(km, r, S.data(), result.W[m].data());
  }
  result.seconds_hash = std::chrono::duration<double>(clock::now() - t2).count();
  result.strict = true;
  hand_over(result, B, n, r, D);
  return result;
}

template MethodResult<double> train_batch<double>(RowSource&, RowSource&, const uint8_t*, int64_t, const BatchOptions&,
                                                  const InjectedDraws&, const MethodProgress&, const CancelToken*);
template MethodResult<float> train_batch<float>(RowSource&, RowSource&, const uint8_t*, int64_t, const BatchOptions&,
                                                const InjectedDraws&, const MethodProgress&, const CancelToken*);

}  // namespace ascmh
