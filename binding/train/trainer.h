// What the kernel-based methods other than ASCMH share (BATCH, SCRATCH; later DDASH, CSMH): the
// design matrix of kernel features and labels, the random draws (seeded, or injected by a test so
// a port can be compared with the authors' MATLAB code bit for bit), and the result they return.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/cancel.h"
#include "core/large_array.h"
#include "core/row_source.h"
#include "features/kernel_map.h"
#include "train/phase.h"

namespace ascmh {

struct MethodReport {
  FitPhase phase = FitPhase::none;  // set: only marks the start of a phase (train/phase.h)
  int iteration = 0;           // 1-based
  int latent_rank = 0;         // BATCH: eigenvalues of the V-step above its threshold (r' <= r); SCRATCH: r
  int64_t changed_bits = 0;    // entries of B that changed in this iteration
  double objective = 0;        // the method's objective where it is cheap to report, else 0
};
using MethodProgress = std::function<void(const MethodReport&)>;

// The random draws of a run, given instead of drawn (an internal testing hook). Matrices are
// row-major in the MATLAB code's own orientation (see batch.h, scratch.h); empty = drawn.
struct InjectedDraws {
  std::vector<int64_t> anchors[2];               // 0-based row indices, image / text
  bool has_anchors[2] = {false, false};
  std::vector<double> B0, V0, R0;                // per method
  std::vector<std::vector<double>> completion;   // BATCH: the randn(n, r - r') block of each iteration
};

template <class T>
struct MethodResult {
  RbfKernel<T> kernels[2];
  std::vector<T> W[2];          // k_m x r: z = W^T phi
  std::vector<T> rotation;      // r x r (projection + rotation encoders), else empty
  bool strict = false;          // bit where z > 0 (BATCH) instead of >= 0
  std::vector<int8_t> B;        // r x n, +1 / -1: the training codes
  std::vector<MethodReport> history;
  std::map<std::string, std::vector<T>> latent;  // keep_latent: named matrices of the last iteration
  std::vector<int8_t> latent_B;                  // keep_latent: B as the method holds it (BATCH: with zeros)
  bool converged = false;                        // stopped before its last iteration (CSMH's tolerance)
  double seconds_features = 0, seconds_iterations = 0, seconds_hash = 0;
};

// Kernel features of both modalities and the labels in one n x (k0 + k1 + c) row-major matrix
// F = [Phi_image | Phi_text | L] (L as 0/1 values of T), so products with all three are one GEMM.
template <class T>
struct DesignMatrix {
  int64_t n = 0, k[2] = {0, 0}, K = 0, c = 0, cols = 0;
  LargeArray<T> F;
  RbfKernel<T> kernels[2];
  const T* image() const { return F.data(); }
  const T* text() const { return F.data() + k[0]; }
  const T* labels() const { return F.data() + K; }
};

template <class T>
DesignMatrix<T> design_matrix(RowSource& image, RowSource& text, const uint8_t* labels, int64_t classes,
                              const KernelSpec spec[2], uint64_t seed, const InjectedDraws& injected,
                              const CancelToken* cancel);

// A Gaussian matrix of `count` values from substream `stream` of `seed`, drawn in parallel blocks
// (each block its own substream, so the values do not depend on the thread count).
template <class T>
std::vector<T> gaussian_values(uint64_t seed, uint64_t stream, int64_t count);

// The injected matrix as T, checked to hold `count` values.
template <class T>
std::vector<T> injected_values(const std::vector<double>& values, int64_t count, const char* what);

void check_training_cancelled(const CancelToken* cancel);

// Hands a run's codes and kernels over to its result: B's n item rows of r signs become the r x n
// layout of MethodResult::B.
template <class T, class Signs>
void hand_over(MethodResult<T>& result, const Signs& item_rows, int64_t n, int r, DesignMatrix<T>& D) {
  result.B.resize(static_cast<size_t>(n) * static_cast<size_t>(r));
  for (int64_t i = 0; i < n; ++i)
    for (int j = 0; j < r; ++j) result.B[static_cast<size_t>(j) * n + i] = static_cast<int8_t>(item_rows[static_cast<size_t>(i * r + j)]);
  for (int m = 0; m < 2; ++m) result.kernels[m] = std::move(D.kernels[m]);
}

}  // namespace ascmh
