// SCRATCH (Li, Chen, Zhang, Luo, Nie, Zhang, Xu, ACM MM 2018), one-step demo, ported step for step
// from the authors' train.m / evaluate.m / Kernelize.m / Main_Wiki.m (lichuanxiang/SCRATCH a3bad26;
// ../shared/docs/baselines.md). Columns are samples, as inside train.m: X = XK' (kx x n),
// Y = YK' (ky x n), L (c x n), V and B r x n.
//   init: V = randn(r, n); R = U of svd(randn(r, r))   (Wx, Wy = randn(...) are overwritten unused)
//   each iteration, in this order:
//     B = sign(R V), R V >= 0 -> +1
//     Ux = lx X V' / (lx V V' + g I); Uy likewise with ly = 1 - lx; G = a L V' / (a V V' + g I)
//     Wx = mu V X' / (mu X X' + g I); Wy likewise
//     V = (lx Ux'Ux + ly Uy'Uy + a G'G + R'R + (2 mu + g) I) \ (lx Ux'X + ly Uy'Y + mu Wx X + mu Wy Y + a G'L + R'B)
//     [S1, ~, S2] = svd(B V'); R = S1 S2'
//   returned: Wx, Wy, R of the last iteration and B from the START of the last iteration
//   query bit: XK_q Wx' R' >= 0
// Injected draws: V0 (r x n row-major) and R0 (r x r, already orthogonal: the svd's U).
#pragma once
#include "train/trainer.h"

namespace ascmh {

struct ScratchOptions {
  int bits = 64;
  KernelSpec kernel[2];
  double lambda_image = 0.5;  // lambdaX; lambdaY = 1 - lambdaX
  double alpha = 500;         // label term
  double mu = 1000;           // Xmu = Ymu: hash-function terms
  double gamma = 5;           // ridge of every solve
  int iterations = 20;        // >= 1
  uint64_t seed = 0;
  bool keep_latent = false;
};

template <class T>
MethodResult<T> train_scratch(RowSource& image, RowSource& text, const uint8_t* labels, int64_t classes,
                              const ScratchOptions& options, const InjectedDraws& injected,
                              const MethodProgress& progress, const CancelToken* cancel);

}  // namespace ascmh
