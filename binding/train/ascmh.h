// The ASCMH training loop (method page, "One iteration"), run entirely in C++.
//
// The loop never forms V (r x n) in the common case: with Phi centred, V = T (C J) for an r x r
// matrix T, so it tracks A = V Phi^T (r x K) and V G^T (r x c) and updates them through the K x K
// Gram matrix of the kernel features. Items with the same label vector (a "group") share their
// B-step argument, so products of B with the labels go through per-group sums of B. Each iteration
// then costs O(r K^2 + r n + r u c + r^3) for u groups instead of O(r K n), and the result is the
// same V, R, M, B as the page's steps. V itself is built only on request (keep_latent).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/cancel.h"
#include "core/row_source.h"
#include "features/kernel_features.h"
#include "train/phase.h"

namespace ascmh {

// How the products of the initial Gaussian Y0 are obtained (the result has the same distribution).
enum class Initialisation { automatic, drawn, sampled };

struct TrainOptions {
  int bits = 64;
  int64_t anchors[2] = {1000, 1000};  // image, text
  double lambda[2] = {0.5, 0.5};      // reconstruction weights
  double kernel_width[2] = {1, 1};    // RBF sigma as a multiple of the mean sample-anchor distance
  double alpha = 1.0;                 // similarity term
  double omega = 0.01;                // label term
  double ridge[2] = {0.1, 0.1};       // kernel ridge regression of the image / text hash function
  int iterations = 10;               // the most; fewer once converged
  double tolerance = 1e-6;           // converged: no bit of B changed and |dJ| <= tolerance |J|; 0 = never
  uint64_t seed = 0;
  double eps = 1e-6;                  // guards empty classes in the M-step
  bool keep_latent = false;           // also return V, R, M (diagnostics and tests); Y0 is then drawn
  Initialisation initialisation = Initialisation::automatic;  // tests force one way
};

struct IterationReport {
  FitPhase phase = FitPhase::none;  // set: only marks the start of a phase (train/phase.h)
  int iteration = 0;  // 1-based
  double reconstruction = 0, similarity = 0, label = 0;
  int latent_rank = 0;  // rank r' of C J at this V-step
  int64_t changed_bits = 0;  // bits of B the B-step flipped
};

template <class T>
struct TrainResult {
  RbfKernel<T> kernels[2];
  std::vector<T> W[2];          // k_m x r
  std::vector<int8_t> B;        // r x n, +1 / -1
  std::vector<IterationReport> history;
  std::vector<T> V, R, M;       // when keep_latent
  bool converged = false;
  double seconds_features = 0, seconds_iterations = 0, seconds_hash = 0;
};

// image and text are read once, in blocks (never while the BLAS lane is held); labels is n x classes.
template <class T>
TrainResult<T> train_ascmh(RowSource& image, RowSource& text, const uint8_t* labels, int64_t classes,
                           const TrainOptions& options, const std::function<void(const IterationReport&)>& progress,
                           const CancelToken* cancel);

}  // namespace ascmh
