// BATCH (Wang, Luo, Nie, Song, Zhang, Xu, TKDE 2020), ported step for step from the authors'
// train_BATCH.m and evaluate_BATCH.m (yxinwang/BATCH-TKDE2020 c14bf44; ../shared/docs/baselines.md).
// Rows are samples, as in the MATLAB code: XK (n x kx), YK (n x ky), L (n x c), G = rows of L
// scaled to unit norm (NormalizeFea), B and V n x r.
//   init: B = sign(randn(n, r)), zeros -> -1; V = randn(n, r)
//   each iteration:
//     T = V'V + 1e-3 I; Ux = T \ V'XK; Uy = T \ V'YK; Ul = T \ V'L
//     Z = r G (G'B) + omega B + eta1 XK Ux' + eta2 YK Uy' + eta0 L Ul'
//     V = DGH closed form of Z (linalg/solvers.h: absolute 1e-6 eigenvalue cut, P_ not orthogonalised)
//     B = sign(r G (G'V) + omega V)   (sign(0) = 0, kept until the end)
//   B = sign(B), zeros -> -1; XW = (XK'XK + xi I) \ XK'B, YW likewise
//   query bit: XK_q XW > 0 (strict)
// Injected draws (InjectedDraws): B0 and V0 are the two randn(n, r) matrices (n x r row-major),
// `completion` the randn(n, r - r') block of each iteration that needs one.
#pragma once
#include "train/trainer.h"

namespace ascmh {

struct BatchOptions {
  int bits = 64;
  KernelSpec kernel[2];
  double eta[3] = {0.05, 0.05, 0.9};  // image, text, label reconstruction (eta1, eta2, eta0)
  double omega = 0.01;                // B-V coupling
  double xi = 0.01;                   // hash-function ridge
  int iterations = 6;
  uint64_t seed = 0;
  bool keep_latent = false;
};

// The absolute eigenvalue threshold of the V-step (train_BATCH.m: idx = diag(Lmd) > 1e-6).
constexpr double kBatchEigenThreshold = 1e-6;

template <class T>
MethodResult<T> train_batch(RowSource& image, RowSource& text, const uint8_t* labels, int64_t classes,
                            const BatchOptions& options, const InjectedDraws& injected, const MethodProgress& progress,
                            const CancelToken* cancel);

}  // namespace ascmh
