#include "kernel_features.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <type_traits>

#include "linalg.h"
#include "thread_pool.h"

namespace ascmh {

int64_t find_non_finite(const void* data, int64_t count, bool is_float32) {
  if (is_float32) {
    const float* p = static_cast<const float*>(data);
    for (int64_t i = 0; i < count; ++i)
      if (!std::isfinite(p[i])) return i;
  } else {
    const double* p = static_cast<const double*>(data);
    for (int64_t i = 0; i < count; ++i)
      if (!std::isfinite(p[i])) return i;
  }
  return -1;
}

namespace {

// Inputs with fewer than 1 nonzero in kSparseDensity values take the sparse path (blocks of at
// least kSparseMinRows rows: below that the transpose of the anchors costs more than it saves).
constexpr int64_t kSparseDensity = 20, kSparseMinRows = 64;
std::atomic<int64_t> sparse_blocks{0};

// Squared distances of rows [r0, r1) of X to every anchor: ||x||^2 + ||a||^2 - 2 x.a, clamped at 0.
template <class T>
void squared_distances(const RbfKernel<T>& kernel, const MatrixView& X, int64_t r0, int64_t r1, T* out,
                       int64_t ldo) {
  const int64_t rows = r1 - r0, d = kernel.dim, k = kernel.anchors;
  std::vector<T> block(static_cast<size_t>(rows * d));
  X.copy_rows(r0, r1, block.data());
  int64_t nonzero = 0;
  for (const T v : block) nonzero += v != 0;
  if (rows >= kSparseMinRows && nonzero * kSparseDensity < rows * d) {
    // Bag-of-words inputs are mostly zeros (NUS-WIDE tags: ~99%): x.a over the nonzeros only.
    ++sparse_blocks;
    std::vector<T> anchor_cols(static_cast<size_t>(d * k));  // anchors transposed, d x k
    for (int64_t a = 0; a < k; ++a)
      for (int64_t f = 0; f < d; ++f) anchor_cols[f * k + a] = kernel.anchor_rows[a * d + f];
    ThreadPool::instance().parallel_for(rows, 64, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const T* x = block.data() + i * d;
        T* o = out + i * ldo;
        std::fill(o, o + k, T(0));
        for (int64_t f = 0; f < d; ++f) {
          if (x[f] == 0) continue;
          const T v = T(-2) * x[f];
          const T* column = anchor_cols.data() + f * k;
          for (int64_t a = 0; a < k; ++a) o[a] += v * column[a];
        }
      }
    });
  } else {
    gemm<T>(Op::N, Op::T, static_cast<int>(rows), static_cast<int>(k), static_cast<int>(d), T(-2), block.data(),
            static_cast<int>(d), kernel.anchor_rows.data(), static_cast<int>(d), T(0), out, static_cast<int>(ldo));
  }
  ThreadPool::instance().parallel_for(rows, 256, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* x = block.data() + i * d;
      T xn = 0;
      for (int64_t j = 0; j < d; ++j) xn += x[j] * x[j];
      T* o = out + i * ldo;
      for (int64_t j = 0; j < k; ++j) o[j] = std::max(T(0), o[j] + xn + kernel.anchor_norms[j]);
    }
  });
}

constexpr int64_t kRowBlock = 4096;

}  // namespace

template <class T>
RbfKernel<T> fit_rbf_kernel(const MatrixView& X, int64_t anchors, double width, Rng& rng) {
  RbfKernel<T> kernel;
  kernel.anchors = anchors;
  kernel.dim = X.cols;
  kernel.anchor_rows.resize(static_cast<size_t>(anchors * X.cols));
  kernel.anchor_norms.resize(static_cast<size_t>(anchors));
  const auto picked = rng.sample_without_replacement(X.rows, anchors);
  for (int64_t a = 0; a < anchors; ++a) {
    X.copy_rows(picked[a], picked[a] + 1, kernel.anchor_rows.data() + a * X.cols);
    T norm = 0;
    for (int64_t j = 0; j < X.cols; ++j) norm += kernel.anchor_rows[a * X.cols + j] * kernel.anchor_rows[a * X.cols + j];
    kernel.anchor_norms[a] = norm;
  }
  // sigma: mean Euclidean distance between a seeded sample of training rows and the anchors.
  const int64_t sample = std::min<int64_t>(X.rows, 2000);
  const auto rows = rng.sample_without_replacement(X.rows, sample);
  std::vector<T> gathered(static_cast<size_t>(sample * X.cols));
  for (int64_t s = 0; s < sample; ++s) X.copy_rows(rows[s], rows[s] + 1, gathered.data() + s * X.cols);
  MatrixView sampled{sample, X.cols, gathered.data(), std::is_same<T, float>::value};
  std::vector<T> dist(static_cast<size_t>(sample * anchors));
  squared_distances(kernel, sampled, 0, sample, dist.data(), anchors);
  double total = 0;
  for (T d2 : dist) total += std::sqrt(static_cast<double>(d2));
  const double sigma = width * total / static_cast<double>(sample * anchors);
  kernel.sigma = static_cast<T>(sigma > 0 ? sigma : 1.0);  // all samples identical: any width works
  return kernel;
}

template <class T>
void rbf_features(const RbfKernel<T>& kernel, const MatrixView& X, int64_t r0, int64_t r1, T* out, int64_t ldo) {
  const T scale = T(-1) / (T(2) * kernel.sigma * kernel.sigma);
  const int64_t k = kernel.anchors;
  const bool centred = !kernel.mean.empty();
  for (int64_t b0 = r0; b0 < r1; b0 += kRowBlock) {
    const int64_t b1 = std::min(r1, b0 + kRowBlock);
    T* block_out = out + (b0 - r0) * ldo;
    squared_distances(kernel, X, b0, b1, block_out, ldo);
    ThreadPool::instance().parallel_for(b1 - b0, 128, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        T* o = block_out + i * ldo;
        for (int64_t j = 0; j < k; ++j) o[j] = std::exp(o[j] * scale);
        if (centred)
          for (int64_t j = 0; j < k; ++j) o[j] -= kernel.mean[j];
      }
    });
  }
}

int64_t sparse_distance_blocks() { return sparse_blocks.load(); }

template RbfKernel<double> fit_rbf_kernel<double>(const MatrixView&, int64_t, double, Rng&);
template RbfKernel<float> fit_rbf_kernel<float>(const MatrixView&, int64_t, double, Rng&);
template void rbf_features<double>(const RbfKernel<double>&, const MatrixView&, int64_t, int64_t, double*, int64_t);
template void rbf_features<float>(const RbfKernel<float>&, const MatrixView&, int64_t, int64_t, float*, int64_t);

}  // namespace ascmh
