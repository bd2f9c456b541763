// DDASH (Qiang, Wan, Liu, Xiang, Meng, "Discriminative deep asymmetric supervised hashing for
// cross-modal retrieval", Knowledge-Based Systems 2020), reconstructed from its abstract as the
// combination of the methods it names: ADSH's asymmetric objective with discrete database codes,
// DCMH's one network per modality against one set of codes, DSDH's code-to-label mapping with DCC
// (README, "DDASH"). Items are rows: X_m (n x d_m), labels L (n x c), codes B (n x r, +1/-1), the
// query outputs U = tanh(f_image(X_Omega)), V = tanh(f_text(Y_Omega)) (m x r) of a query sample
// Omega, the mapping W (c x r, L ~ B W^T), and the graded similarity S = (1 + rho) G G^T - rho 1 1^T
// (train/label_similarity.h; never formed). The objective
//     sum_{M in {U, V}} ||M B^T - r S_Omega||^2 + gamma ||B_Omega - M||^2 + mu ||L - B W^T||^2 + nu ||W||^2
// is minimised by alternating, T times:
//   1. each network in turn, E epochs of Adam over Omega in mini-batches, with
//        dJ/dU_b = (2/n) [U_b K_B - r ((1 + rho) G_b (G^T B) - rho 1 (1^T B)) + gamma (U_b - B_b)],
//      K_B = B^T B, so no n x n and no m x n matrix (learning rate log-linear from lr0 to lr1 over T);
//   2. U, V of Omega;
//   3. B by DCC (train/dcc.h) of tr(B H B^T) - 2 tr(B^T Q), H = U^T U + V^T V + mu W^T W,
//        Q = r S_Omega^T (U + V) + gamma (U + V scattered to the rows Omega) + mu L W;
//   4. W^T = (mu B^T B + nu I)^-1 mu B^T L (an r x r SPD solve).
// Omega is every item when m = n, else a fresh seeded sample of m items each iteration.
// Initialisation: B = sgn(Gaussian), W = 0, He-initialised networks; all draws from substreams of
// the seed, so the codes do not depend on the thread count.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/cancel.h"
#include "core/row_source.h"
#include "encoders/mlp_hash.h"
#include "train/phase.h"
#include "train/label_similarity.h"

namespace ascmh {

struct DdashOptions {
  int bits = 64;
  int hidden[2] = {128, 128};  // image, text
  double gamma = 50, mu = 1, nu = 1;
  int iterations = 30, epochs = 3, batch = 64;
  double learning_rate = 1e-3, final_learning_rate = 1e-4, weight_decay = 1e-4;
  int64_t query_sample = 0;  // m: 1..n (n: every item, the sample is not redrawn)
  int dcc_sweeps = 1;
  bool sign_outputs_in_q = false;  // Q from sgn(U), sgn(V) (ADSH's MATLAB code) instead of U, V
  bool rebalance = true;           // rho as above; false: rho = 1
  uint64_t seed = 0;
  bool keep_latent = false;
};

struct DdashReport {
  FitPhase phase = FitPhase::none;  // set: only marks the start of a phase (train/phase.h)
  bool epoch = false;        // an epoch of one network, else an outer iteration
  int iteration = 0;         // 1-based
  int modality = 0;          // epoch reports: 0 image, 1 text
  int epoch_index = 0;       // epoch reports: 1-based
  int64_t changed_bits = 0;  // iteration reports: entries of B the B-step changed
  double value = 0;          // iteration: the objective after the W-step; epoch: the epoch's loss
};
using DdashProgress = std::function<void(const DdashReport&)>;

template <class T>
struct DdashResult {
  MlpHash<T> nets[2];
  std::vector<int8_t> B;  // n x r, +1 / -1
  std::vector<T> W;       // c x r
  double rho = 0;
  std::vector<DdashReport> history;              // the iteration reports
  std::map<std::string, std::vector<T>> latent;  // keep_latent: U, V (m x r), omega, Wprevious (of the last B-step)
  double seconds_features = 0, seconds_iterations = 0;
};

template <class T>
DdashResult<T> train_ddash(RowSource& image, RowSource& text, const uint8_t* labels, int64_t classes,
                           const DdashOptions& options, const DdashProgress& progress, const CancelToken* cancel);

// Buffers of ddash_batch_gradient, reused between batches.
template <class T>
struct DdashBatchScratch {
  std::vector<T> SB, UK;
  SimilarityScratch<T> similarity;
};

// The loss of one query mini-batch and its gradient (step 1), exposed for tests: U_b (rows x r)
// of items `rows`; K_B, GtB, Bsum from B; returns (1/n) (||U_b B^T - r S_b||^2 + gamma ||B_b - U_b||^2)
// and writes dJ/dU_b into dU. Caller holds the BLAS lane.
template <class T>
double ddash_batch_gradient(const LabelSimilarity<T>& S, const int64_t* rows, int64_t count, const T* U,
                            const T* B, const T* K_B, const T* GtB, const T* Bsum, int r, double gamma, T* dU,
                            DdashBatchScratch<T>* scratch = nullptr);

}  // namespace ascmh
