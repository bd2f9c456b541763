// RBF kernel features on seeded random anchors (method page, "Kernel features").
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/matrix_view.h"
#include "core/row_source.h"
#include "core/random.h"

namespace ascmh {

// How sigma is set and used (issue 13: the kernel is shared by the methods, configured per method).
//   mean_distance: phi = exp(-||x - a||^2 / (2 sigma^2)), sigma = width x the mean sample-anchor
//     distance (ASCMH's method page; sigma from a seeded sample of at most 2,000 training rows);
//   mean_squared_distance: phi = exp(-||x - a||^2 / (2 sigma)), sigma = width x the mean squared
//     distance over every training row and anchor (BATCH's Kernel_Feature.m, SCRATCH's Kernelize.m).
enum class SigmaRule : int { mean_distance = 0, mean_squared_distance = 1 };

template <class T>
struct RbfKernel {
  int64_t anchors = 0, dim = 0;
  SigmaRule rule = SigmaRule::mean_distance;
  std::vector<T> input_mean;    // dim, or empty: subtracted from x before the distances (SCRATCH)
  std::vector<T> anchor_rows;   // anchors x dim
  std::vector<T> anchor_norms;  // squared norms of the anchors
  std::vector<T> anchor_cols;   // anchors transposed (dim x anchors), for the sparse path
  T sigma = 1;
  std::vector<T> mean;          // training mean of phi, subtracted from every feature vector
};

// Fills anchor_norms and anchor_cols from anchor_rows (after loading a kernel, or picking its anchors).
template <class T>
void prepare_anchors(RbfKernel<T>& kernel);

// Picks the anchors and sigma (width times the mean sample-anchor distance) from the training samples X.
// Reads the rows it needs before it takes the BLAS lane (X may be fed by the JS thread).
template <class T>
RbfKernel<T> fit_rbf_kernel(RowSource& X, int64_t anchors, double width, Rng& rng);
// The same with the anchors given (row indices of X); rng draws only the sigma sample.
template <class T>
RbfKernel<T> fit_rbf_kernel_at(RowSource& X, const std::vector<int64_t>& anchors, double width, Rng& rng);

// Writes phi(x) for rows [r0, r1) of X into out (row-major, leading dimension ldo), minus the
// kernel's mean when it has one.
template <class T>
void rbf_features(const RbfKernel<T>& kernel, const MatrixView& X, int64_t r0, int64_t r1, T* out, int64_t ldo);

// The squared distances max(0, ||x - a||^2) of rows [r0, r1) of X (minus the input mean when the
// kernel has one) to the anchors, and the kernel applied to such distances in place (no mean).
// Together: rbf_features without the mean, for a sigma that needs every distance first.
template <class T>
void squared_distances(const RbfKernel<T>& kernel, const MatrixView& X, int64_t r0, int64_t r1, T* out, int64_t ldo);
template <class T>
void kernel_of_distances(const RbfKernel<T>& kernel, T* out, int64_t rows, int64_t ldo);

// As rbf_features, without BLAS, the thread pool or the BLAS lane: for a few rows (a server's
// encode), which then never wait behind a fit holding the lane. The cross products run over the
// transposed anchors, vectorised across anchors; rounding may differ from the BLAS path in the
// last bits of a feature.
template <class T>
void rbf_features_direct(const RbfKernel<T>& kernel, const MatrixView& X, int64_t r0, int64_t r1, T* out, int64_t ldo);

// Chooses the exp loop: "avx2" (the default where the CPU has it) or "baseline" (x86-64 SSE2,
// or the target's own baseline, NEON on arm64).
// Both give bit-identical features; tests use this to check the fallback. False if unavailable.
bool set_feature_kernel(const std::string& name);

// Row blocks that took the sparse distance path so far (for tests).
int64_t sparse_distance_blocks();

}  // namespace ascmh
