#include "train/scratch.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/blas_lane.h"
#include "core/error.h"
#include "core/large_array.h"
#include "core/thread_pool.h"
#include "linalg/code_products.h"
#include "linalg/linalg.h"
#include "linalg/solvers.h"

namespace ascmh {
namespace {

// Rows of F per hold of the BLAS lane while X X' is accumulated.
constexpr int64_t kLaneRows = 16384;

}  // namespace

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
  // X X' = F'F once (p x p, in row blocks per hold of the lane); mu X_m X_m' + gamma I per modality
  // from its diagonal blocks, factored once.
  std::vector<T> XX((size_t)cols * cols, T(0));
  for (int64_t b0 = 0; b0 < n; b0 += kLaneRows) {
    check_training_cancelled(cancel);
    BlasLaneGuard lane;
    const int rows = static_cast<int>(std::min(n, b0 + kLaneRows) - b0);
    syrk<T>(Op::T, ci, rows, 1, F + b0 * cols, ci, 1, XX.data(), ci);
  }
  SpdFactor<T> Sx[2];
  for (int m = 0; m < 2; ++m) {
    BlasLaneGuard lane;
    std::vector<T> S((size_t)k[m] * k[m]);
    for (int i = 0; i < k[m]; ++i)
      for (int j = 0; j < k[m]; ++j) S[(size_t)i * k[m] + j] = mu * XX[(size_t)(off[m] + i) * cols + off[m] + j];
    for (int i = 0; i < k[m]; ++i) S[(size_t)i * k[m] + i] += gamma;
    Sx[m] = SpdFactor<T>(k[m], std::move(S));
  }
  result.seconds_features = std::chrono::duration<double>(clock::now() - t0).count();
  check_training_cancelled(cancel);

  report_phase<MethodReport>(progress, FitPhase::iterations);
  const auto t1 = clock::now();
  const int64_t nr = n * r;
  std::vector<T> V0 = injected.V0.empty() ? gaussian_values<T>(o.seed, 1, nr) : injected_values<T>(injected.V0, nr, "V0");
  std::vector<T> R;
  if (injected.R0.empty()) {
    BlasLaneGuard lane;
    std::vector<T> A = gaussian_values<T>(o.seed, 2, (int64_t)r * r), s(r), U((size_t)r * r), VT((size_t)r * r);
    gesvd<T>(r, r, A.data(), s.data(), U.data(), VT.data());
    R = std::move(U);
  } else {
    R = injected_values<T>(injected.R0, (int64_t)r * r, "R0");
  }
  // V = C X + D B with X = [X; Y; L] = F' (p x n) is never formed: C and D (r x p, r x r) sit side
  // by side in CD (r x (p + r)), and with X X' = F'F, B X' and B B' (code_products.h):
  //   X V' = (X X') C' + (B X')' D',  B V' = (B X') C' + (B B') D',  V V' = C (X V') + D (B V'),
  //   R V = (R C) X + (R D) B: the one pass over F per iteration (the sign step).
  CodeProducts<T> products(r, n, cols, F, cols);
  std::vector<int8_t> B(static_cast<size_t>(nr));
  LargeArray<T> RV(static_cast<size_t>(nr));
  std::vector<T> VVt((size_t)r * r), XVt((size_t)cols * r), Ut[3], Wt[2], CD((size_t)r * (cols + r)),
      RCD((size_t)r * (cols + r)), Mv((size_t)r * r), BVt((size_t)r * r);
  const int ld = ci + r;  // of CD and RCD
  for (int it = 1; it <= o.iterations; ++it) {
    check_training_cancelled(cancel);
    MethodReport rep;
    rep.iteration = it;
    rep.latent_rank = r;
    BlasLaneGuard lane;
    // B = sign(R V) with R V >= 0 -> +1
    if (it == 1) {
      gemm<T>(Op::N, Op::N, r, ni, r, 1, R.data(), r, V0.data(), ni, 0, RV.data(), ni);
      // V V' and X V' of the initial V, then V itself is no longer needed
      syrk<T>(Op::N, r, ni, 1, V0.data(), ni, 0, VVt.data(), r);
      gemm<T>(Op::T, Op::T, ci, r, ni, 1, F, ci, V0.data(), ni, 0, XVt.data(), r);
      V0 = {};
    } else {
      gemm<T>(Op::N, Op::N, r, ld, r, 1, R.data(), r, CD.data(), ld, 0, RCD.data(), ld);
      gemm<T>(Op::N, Op::T, r, ni, ci, 1, RCD.data(), ld, F, ci, 0, RV.data(), ni);
      gemm<T>(Op::N, Op::N, r, ni, r, 1, RCD.data() + cols, ld, products.codes_as_values(), ni, 1, RV.data(), ni);
    }
    ThreadPool::instance().parallel_for(nr, 65536, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) B[i] = RV[i] >= 0 ? 1 : -1;
    });
    rep.changed_bits = products.update(B.data());  // iteration 1: every entry (there was no B before)
    // Ux' = (lx V V' + g I) \ (lx X V')' and likewise Uy', G' (each r x k_m: the transposes of Ux, Uy, G)
    for (int m = 0; m < 3; ++m) {
      const int km = m < 2 ? k[m] : c;
      std::vector<T> S(VVt);
      for (int i = 0; i < r * r; ++i) S[i] *= lambda[m];
      for (int i = 0; i < r; ++i) S[(size_t)i * r + i] += gamma;
      Ut[m].resize((size_t)r * km);
      for (int a = 0; a < km; ++a)
        for (int i = 0; i < r; ++i) Ut[m][(size_t)i * km + a] = lambda[m] * XVt[(size_t)(off[m] + a) * r + i];
      posv_in_place<T>(r, km, S.data(), Ut[m].data());
    }
    // Wx' = (mu X X' + g I) \ (mu X V') (k_m x r); Wx = its transpose
    for (int m = 0; m < 2; ++m) {
      Wt[m].resize((size_t)k[m] * r);
      for (int a = 0; a < k[m]; ++a)
        for (int i = 0; i < r; ++i) Wt[m][(size_t)a * r + i] = mu * XVt[(size_t)(off[m] + a) * r + i];
      Sx[m].solve(r, Wt[m].data());
    }
    // V = Mv \ (Acomb X + R'B), Acomb = [lx Ux' + mu Wx | ly Uy' + mu Wy | a G']: [C D] = Mv \ [Acomb R']
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
          CD[(size_t)i * ld + off[m] + a] = v;
        }
    }
    for (int i = 0; i < r; ++i)
      for (int j = 0; j < r; ++j) CD[(size_t)i * ld + cols + j] = R[(size_t)j * r + i];
    posv_in_place<T>(r, ld, Mv.data(), CD.data());
    // R = S1 S2' for [S1, ~, S2] = svd(B V'), B V' = (B X') C' + (B B') D'
    gemm<T>(Op::N, Op::T, r, r, ci, 1, products.BF(), ci, CD.data(), ld, 0, BVt.data(), r);
    gemm<T>(Op::N, Op::T, r, r, r, 1, products.BBt(), r, CD.data() + cols, ld, 1, BVt.data(), r);
    R = procrustes<T>(r, BVt.data());
    if (it < o.iterations) {
      // X V' and V V' of the new V, for the next iteration
      gemm<T>(Op::N, Op::T, ci, r, ci, 1, XX.data(), ci, CD.data(), ld, 0, XVt.data(), r);
      gemm<T>(Op::T, Op::T, ci, r, r, 1, products.BF(), ci, CD.data() + cols, ld, 1, XVt.data(), r);
      gemm<T>(Op::N, Op::N, r, r, ci, 1, CD.data(), ld, XVt.data(), r, 0, VVt.data(), r);
      gemm<T>(Op::N, Op::N, r, r, r, 1, CD.data() + cols, ld, BVt.data(), r, 1, VVt.data(), r);
      for (int i = 0; i < r; ++i)
        for (int j = 0; j < i; ++j) VVt[(size_t)i * r + j] = VVt[(size_t)j * r + i] = (VVt[(size_t)i * r + j] + VVt[(size_t)j * r + i]) / 2;
    }
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
    std::vector<T> V(static_cast<size_t>(nr));
    {
      BlasLaneGuard lane;
      gemm<T>(Op::N, Op::T, r, ni, ci, 1, CD.data(), ld, F, ci, 0, V.data(), ni);
      gemm<T>(Op::N, Op::N, r, ni, r, 1, CD.data() + cols, ld, products.codes_as_values(), ni, 1, V.data(), ni);
    }
    result.latent["V"] = std::move(V);
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
