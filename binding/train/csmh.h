// CSMH (Li, Wong, Jiang, Jiang, Fang, Xie, Wen, TKDE 2025), as reconstructed from its abstract (the
// paper's equations are not public; the README says where this reading may differ). Columns are
// samples: Phi_m (k_m x n) centred RBF kernel features, G (c x n) unit-norm label columns,
// S = 2 G^T G - 1 1^T (never formed), E (n x (c+1)) the MMD weights [1/n, L_c^T / n_c].
//   min  sum_m ||B - W_m^T Phi_m||^2 + lambda ||W_m||^2 + (beta/n) ||Phi_m^T W_m B - r S||^2
//        + alpha n ||(W_1^T Phi_1 - W_2^T Phi_2) E||^2 + eta ||W_1^T Phi_1 - W_2^T Phi_2||^2,
//   B in {-1, +1}^{r x n}.
// Once per modality (both at once, one BLAS thread each): K = Phi Phi^T, A = Phi E,
// Q = alpha n A A^T + lambda I and the generalised eigenbasis K U = Q U Theta, U^T Q U = I
// (linalg/solvers.h), in which W = U Omega and Z Z^T = Omega^T Theta Omega.
// Each of at most T iterations:
//   W_1 then W_2 (closed form): K W P + Q W = RHS, P = (1 + eta) I + (beta/n) B B^T,
//     RHS = Phi B^T + alpha n A (Z_o E)^T + eta Phi Z_o^T + (beta r/n)(2 Phi G^T (G B^T) - Phi 1 (B 1)^T),
//     solved as W = U Omega with diag(theta) Omega P + Omega = U^T RHS;
//   B by DCC (train/dcc.h): H = (beta/n) sum_m Z_m Z_m^T = (beta/n) sum_m Omega_m^T Theta_m Omega_m,
//     Q_B = Z_1 + Z_2 + (beta r/n) sum_m (2 (Z_m G^T) G - (Z_m 1) 1^T), `sweeps` sweeps.
// Init: B = sgn(randn) (0 -> +1), Z_1 = Z_2 = 0. Hash: bit where W_m^T (phi(x) - mean) >= 0.
// Stops early after an iteration that changed no bit of B and moved the objective by at most
// tolerance x |objective| (tolerance 0: every iteration runs).
// Nothing is n x n; per iteration one pass over the n x (k_1 + k_2 + c) features (Q_B), plus the
// update of B Phi^T from the flipped bits. Injected draws: anchors, and B0 (n x r, the Gaussian).
#pragma once
#include "train/trainer.h"

namespace ascmh {

struct CsmhOptions {
  int bits = 64;
  KernelSpec kernel[2];
  double alpha = 1;    // MMD (marginal + per class)
  double beta = 10;    // asymmetric label similarity
  double ridge = 0.1;  // lambda ||W_m||^2
  double eta = 0;      // paired-instance metric ||Z_1 - Z_2||^2
  int iterations = 10;
  int sweeps = 3;      // DCC sweeps per B-step
  double tolerance = 0;
  uint64_t seed = 0;
  bool keep_latent = false;
};

template <class T>
MethodResult<T> train_csmh(RowSource& image, RowSource& text, const uint8_t* labels, int64_t classes,
                           const CsmhOptions& options, const InjectedDraws& injected, const MethodProgress& progress,
                           const CancelToken* cancel);

}  // namespace ascmh
