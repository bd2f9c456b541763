#include "train/scratch.h"

#include <chrono>
#include <cmath>

#include "core/blas_lane.h"
#include "core/error.h"
#include "linalg/linalg.h"
#include "linalg/solvers.h"

namespace ascmh {

template <class T>
MethodResult<T> train_scratch(RowSource& image, RowSource& text, const uint8_t* labels, int64_t classes,
                              const ScratchOptions& o, const InjectedDraws& injected, const MethodProgress& progress,
                              const CancelToken* cancel) {
  using clock = std::chrono::steady_clock;
  if (o.iterations < 1) fail("ERR_ASCMH_OPTION", "SCRATCH needs at least one iteration (B comes from its first step)");
  MethodResult<T> result;
  const int r = o.bits;
  report_phase<MethodReport>(progress, FitPhase::features);
  const auto t0 = clock::now();
  DesignMatrix<T> D = design_matrix<T>(image, text, labels, classes, o.kernel, o.seed, injected, cancel);
  const int64_t n = D.n, cols = D.cols;
  const int ni = static_cast<int>(n), ci = static_cast<int>(cols), c = static_cast<int>(D.c);
  const int k[2] = {static_cast<int>(D.k[0]), static_cast<int>(D.k[1])};
  const int64_t off[3] = {0, D.k[0], D.K};
  const T* F = D.F.data();
  const T lambda[3] = {static_cast<T>(o.lambda_image), static_cast<T>(1 - o.lambda_image), static_cast<T>(o.alpha)};
  const T mu = static_cast<T>(o.mu), gamma = static_cast<T>(o.gamma);
  // mu X X' + gamma I per modality, factored once (X X' does not change).
  SpdFactor<T> Sx[2];
  for (int m = 0; m < 2; ++m) {
    check_training_cancelled(cancel);
    BlasLaneGuard lane;
    std::vector<T> S((size_t)k[m] * k[m]);
    syrk<T>(Op::T, k[m], ni, mu, F + off[m], ci, 0, S.data(), k[m]);
    for (int i = 0; i < k[m]; ++i) S[(size_t)i * k[m] + i] += gamma;
    Sx[m] = SpdFactor<T>(k[m], std::move(S));
  }
  result.seconds_features = std::chrono::duration<double>(clock::now() - t0).count();
  check_training_cancelled(cancel);

  report_phase<MethodReport>(progress, FitPhase::iterations);
  const auto t1 = clock::now();
  const int64_t nr = n * r;
  std::vector<T> V = injected.V0.empty() ? gaussian_values<T>(o.seed, 1, nr) : injected_values<T>(injected.V0, nr, "V0");
  std::vector<T> R;
  if (injected.R0.empty()) {
    BlasLaneGuard lane;
    std::vector<T> A = gaussian_values<T>(o.seed, 2, (int64_t)r * r), s(r), U((size_t)r * r), VT((size_t)r * r);
    gesvd<T>(r, r, A.data(), s.data(), U.data(), VT.data());
    R = std::move(U);
  } else {
    R = injected_values<T>(injected.R0, (int64_t)r * r, "R0");
  }
  std::vector<int8_t> B(static_cast<size_t>(nr), 0);
  std::vector<T> Bt(static_cast<size_t>(nr)), RV(static_cast<size_t>(nr)), VVt((size_t)r * r), FVt((size_t)cols * r),
      Ut[3], Wt[2], Acomb((size_t)r * cols), Mv((size_t)r * r), BVt((size_t)r * r);
  for (int it = 1; it <= o.iterations; ++it) {
    check_training_cancelled(cancel);
    MethodReport rep;
    rep.iteration = it;
    rep.latent_rank = r;
    BlasLaneGuard lane;
    // B = sign(R V) with R V >= 0 -> +1
    gemm<T>(Op::N, Op::N, r, ni, r, 1, R.data(), r, V.data(), ni, 0, RV.data(), ni);
    int64_t changed = 0;
    for (int64_t i = 0; i < nr; ++i) {
      const int8_t b = RV[i] >= 0 ? 1 : -1;
      changed += b != B[i];
      B[i] = b;
      Bt[i] = b;
    }
    rep.changed_bits = changed;  // iteration 1: every entry (there was no B before)
    // V V' and [X; Y; L] V' ((kx + ky + c) x r)
    syrk<T>(Op::N, r, ni, 1, V.data(), ni, 0, VVt.data(), r);
    gemm<T>(Op::T, Op::T, ci, r, ni, 1, F, ci, V.data(), ni, 0, FVt.data(), r);
    // Ux' = (lx V V' + g I) \ (lx X V')' and likewise Uy', G' (each r x k_m: the transposes of Ux, Uy, G)
    for (int m = 0; m < 3; ++m) {
      const int km = m < 2 ? k[m] : c;
      std::vector<T> S(VVt);
      for (int i = 0; i < r * r; ++i) S[i] *= lambda[m];
      for (int i = 0; i < r; ++i) S[(size_t)i * r + i] += gamma;
      Ut[m].resize((size_t)r * km);
      for (int a = 0; a < km; ++a)
        for (int i = 0; i < r; ++i) Ut[m][(size_t)i * km + a] = lambda[m] * FVt[(size_t)(off[m] + a) * r + i];
      posv<T>(r, km, S.data(), Ut[m].data());
    }
    // Wx' = (mu X X' + g I) \ (mu X V') (k_m x r); Wx = its transpose
    for (int m = 0; m < 2; ++m) {
      Wt[m].resize((size_t)k[m] * r);
      for (int a = 0; a < k[m]; ++a)
        for (int i = 0; i < r; ++i) Wt[m][(size_t)a * r + i] = mu * FVt[(size_t)(off[m] + a) * r + i];
      Sx[m].solve(r, Wt[m].data());
    }
    // V = Mv \ (Acomb [X; Y; L] + R'B), Acomb = [lx Ux' + mu Wx | ly Uy' + mu Wy | a G']
    std::fill(Mv.begin(), Mv.end(), T(0));
    for (int m = 0; m < 3; ++m) {
      const int km = m < 2 ? k[m] : c;
      syrk<T>(Op::N, r, km, lambda[m], Ut[m].data(), km, 1, Mv.data(), r);
    }
    syrk<T>(Op::T, r, r, 1, R.data(), r, 1, Mv.data(), r);
    for (int i = 0; i < r; ++i) Mv[(size_t)i * r + i] += 2 * mu + gamma;
    for (int m = 0; m < 3; ++m) {
      const int km = m < 2 ? k[m] : c;
      for (int i = 0; i < r; ++i)
        for (int a = 0; a < km; ++a) {
          T v = lambda[m] * Ut[m][(size_t)i * km + a];
          if (m < 2) v += mu * Wt[m][(size_t)a * r + i];
          Acomb[(size_t)i * cols + off[m] + a] = v;
        }
    }
    gemm<T>(Op::N, Op::T, r, ni, ci, 1, Acomb.data(), ci, F, ci, 0, V.data(), ni);
    gemm<T>(Op::T, Op::N, r, ni, r, 1, R.data(), r, Bt.data(), ni, 1, V.data(), ni);
    posv<T>(r, ni, Mv.data(), V.data());
    // R = S1 S2' for [S1, ~, S2] = svd(B V')
    gemm<T>(Op::N, Op::T, r, r, ni, 1, Bt.data(), ni, V.data(), ni, 0, BVt.data(), r);
    R = procrustes<T>(r, BVt.data());
    result.history.push_back(rep);
    if (progress) progress(rep);
  }
  result.seconds_iterations = std::chrono::duration<double>(clock::now() - t1).count();
  report_phase<MethodReport>(progress, FitPhase::hash_functions);
  // Encoders: z = R (Wx phi): W = Wx' (k x r) and the rotation R.
  for (int m = 0; m < 2; ++m) result.W[m] = Wt[m];
  result.rotation = R;
  result.strict = false;
  if (o.keep_latent) {
    result.latent["V"] = V;
    result.latent["R"] = R;
    result.latent["UxT"] = Ut[0];
    result.latent["UyT"] = Ut[1];
    result.latent["GT"] = Ut[2];
    result.latent_B = B;
  }
  result.B = std::move(B);  // r x n already: the B of the last iteration's first step
  for (int m = 0; m < 2; ++m) result.kernels[m] = std::move(D.kernels[m]);
  return result;
}

template MethodResult<double> train_scratch<double>(RowSource&, RowSource&, const uint8_t*, int64_t,
                                                    const ScratchOptions&, const InjectedDraws&, const MethodProgress&,
                                                    const CancelToken*);
template MethodResult<float> train_scratch<float>(RowSource&, RowSource&, const uint8_t*, int64_t, const ScratchOptions&,
                                                  const InjectedDraws&, const MethodProgress&, const CancelToken*);

}  // namespace ascmh
