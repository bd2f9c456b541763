#include "features/kernel_features.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "core/blas_lane.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "features/vector_exp.h"
#include "linalg/linalg.h"

namespace ascmh {

namespace {

// NaN and the infinities are the values whose exponent bits are all ones. Blocks are tested with
// a branch-free (vectorised) scan; only a block that fails is searched element by element.
template <class F, class Bits>
int64_t first_non_finite(const F* p, int64_t count, Bits exponent) {
  constexpr int64_t kBlock = 4096;
  for (int64_t b0 = 0; b0 < count; b0 += kBlock) {
    const int64_t b1 = std::min(count, b0 + kBlock);
    Bits bad = 0;
    for (int64_t i = b0; i < b1; ++i) {
      Bits bits;
      std::memcpy(&bits, p + i, sizeof bits);
      bad |= (bits & exponent) == exponent;
    }
    if (bad)
      for (int64_t i = b0; i < b1; ++i)
        if (!std::isfinite(p[i])) return i;
  }
  return -1;
}

}  // namespace

int64_t find_non_finite(const void* data, int64_t count, bool is_float32) {
  // Large inputs are scanned in parallel parts; the first part with a bad value names it.
  constexpr int64_t kPart = int64_t(1) << 20;
  const int64_t parts = (count + kPart - 1) / kPart;
  std::vector<int64_t> first(std::max<int64_t>(parts, 1), -1);
  ThreadPool::instance().parallel_for(parts, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t begin = p * kPart, size = std::min(count - begin, kPart);
      const int64_t at = is_float32
                             ? first_non_finite(static_cast<const float*>(data) + begin, size, uint32_t(0x7F800000u))
                             : first_non_finite(static_cast<const double*>(data) + begin, size,
                                                uint64_t(0x7FF0000000000000ull));
      if (at >= 0) first[p] = begin + at;
    }
  });
  for (int64_t at : first)
    if (at >= 0) return at;
  return -1;
}

void check_finite(const MatrixView& block, int64_t first_row, const char* name) {
  const int64_t at = find_non_finite(block.data, block.rows * block.cols, block.is_float32);
  if (at < 0) return;
  const int64_t row = at / block.cols, col = at % block.cols;
  const double v = block.at(row, col);
  fail("ERR_ASCMH_NON_FINITE", std::string(name) + " has a non-finite value (" + (std::isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity") +
                                   ") at row " + std::to_string(first_row + row) + ", column " + std::to_string(col));
}

namespace {

// Inputs with fewer than 1 nonzero in kSparseDensity values take the sparse path (blocks of at
// least kSparseMinRows rows: below that the transpose of the anchors costs more than it saves).
constexpr int64_t kSparseDensity = 20, kSparseMinRows = 64;
std::atomic<int64_t> sparse_blocks{0};

// ||x||^2, adding x's nonzero count to *nonzero. Anchors and inputs must use this same sum, so
// that the distance of an anchor to itself comes out as exactly 0.
template <class T>
T squared_norm(const T* x, int64_t d, int64_t* nonzero) {
  // Eight partial sums: one running sum is a chain of dependent adds that cannot vectorise.
  T part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t count = 0, j = 0;
  for (; j + 8 <= d; j += 8)
    for (int q = 0; q < 8; ++q) {
      part[q] += x[j + q] * x[j + q];
      count += x[j + q] != 0;
    }
  for (; j < d; ++j) {
    part[0] += x[j] * x[j];
    count += x[j] != 0;
  }
  *nonzero += count;
  return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

// Rows [r0, r1) of X as T: the caller's memory when the element types match, else a converted copy.
template <class T>
const T* rows_as(const MatrixView& X, int64_t r0, int64_t r1, std::vector<T>& scratch) {
  if (X.is_float32 == std::is_same<T, float>::value) return static_cast<const T*>(X.data) + r0 * X.cols;
  scratch.resize(static_cast<size_t>((r1 - r0) * X.cols));
  ThreadPool::instance().parallel_for(r1 - r0, 512, [&](int64_t b, int64_t e) {
    X.copy_rows(r0 + b, r0 + e, scratch.data() + b * X.cols);
  });
  return scratch.data();
}

// For rows x_i of the row-major block X (rows x d): out[i][a] = -2 x_i . a_a, and returns ||x_i||^2.
template <class T>
std::vector<T> cross_products(const RbfKernel<T>& kernel, const T* X, int64_t rows, T* out, int64_t ldo) {
  const int64_t d = kernel.dim, k = kernel.anchors;
  std::vector<T> norms(static_cast<size_t>(rows));
  std::atomic<int64_t> nonzero{0};
  ThreadPool::instance().parallel_for(rows, 256, [&](int64_t b, int64_t e) {
    int64_t local = 0;
    for (int64_t i = b; i < e; ++i) norms[i] = squared_norm(X + i * d, d, &local);
    nonzero += local;
  });
  if (rows >= kSparseMinRows && nonzero.load() * kSparseDensity < rows * d) {
    // Bag-of-words inputs are mostly zeros (NUS-WIDE tags: ~99%): x.a over the nonzeros only.
    ++sparse_blocks;
    ThreadPool::instance().parallel_for(rows, 64, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const T* x = X + i * d;
        T* o = out + i * ldo;
        std::fill(o, o + k, T(0));
        for (int64_t f = 0; f < d; ++f) {
          if (x[f] == 0) continue;
          const T v = T(-2) * x[f];
          const T* column = kernel.anchor_cols.data() + f * k;
          for (int64_t a = 0; a < k; ++a) o[a] += v * column[a];
        }
      }
    });
  } else {
    gemm<T>(Op::N, Op::T, static_cast<int>(rows), static_cast<int>(k), static_cast<int>(d), T(-2), X,
            static_cast<int>(d), kernel.anchor_rows.data(), static_cast<int>(d), T(0), out, static_cast<int>(ldo));
  }
  return norms;
}

// o[a] <- exp(scale * max(0, o[a] + norm + anchor_norms[a])) - mean[a]: the squared distance
// (clamped: rounding can make it slightly negative), the kernel, and the centring in one pass.
// With `divide`, the exponent is d / scale (scale = -2 sigma: exp(-D / (2 sigma)) as the MATLAB
// codes write it, which rounds differently from a multiplication by the reciprocal).
template <class T>
__attribute__((always_inline)) inline void finish_row(T* o, int64_t k, T norm, const T* anchor_norms, T scale,
                                                      const T* mean, bool divide) {
  if (divide)
    for (int64_t a = 0; a < k; ++a) o[a] = exp_nonpositive(std::max(T(0), o[a] + norm + anchor_norms[a]) / scale);
  else
    for (int64_t a = 0; a < k; ++a) o[a] = exp_nonpositive(scale * std::max(T(0), o[a] + norm + anchor_norms[a]));
  if (mean)
    for (int64_t a = 0; a < k; ++a) o[a] -= mean[a];
}

// The same loop compiled for AVX2 (8 floats per instruction instead of 4) and for the baseline,
// chosen at run time. No FMA, so both give bit-identical results. Off x86 only the baseline exists.
#if defined(__x86_64__)
#define ASCMH_AVX2_TARGET __attribute__((target("avx2")))
#else
#define ASCMH_AVX2_TARGET
#endif
template <class T>
ASCMH_AVX2_TARGET void finish_rows_avx2(T* out, int64_t rows, int64_t ldo, int64_t k, const T* norms,
                                                     const T* anchor_norms, T scale, const T* mean, bool divide) {
  if (divide)
    for (int64_t i = 0; i < rows; ++i) finish_row(out + i * ldo, k, norms[i], anchor_norms, scale, mean, true);
  else
    for (int64_t i = 0; i < rows; ++i) finish_row(out + i * ldo, k, norms[i], anchor_norms, scale, mean, false);
}
template <class T>
void finish_rows_baseline(T* out, int64_t rows, int64_t ldo, int64_t k, const T* norms, const T* anchor_norms,
                          T scale, const T* mean, bool divide) {
  if (divide)
    for (int64_t i = 0; i < rows; ++i) finish_row(out + i * ldo, k, norms[i], anchor_norms, scale, mean, true);
  else
    for (int64_t i = 0; i < rows; ++i) finish_row(out + i * ldo, k, norms[i], anchor_norms, scale, mean, false);
}

// The exponent's factor (mean_distance: multiply by -1 / (2 sigma^2)) or divisor (squared: -2 sigma).
template <class T>
T exponent_scale(const RbfKernel<T>& kernel) {
  return kernel.rule == SigmaRule::mean_squared_distance ? T(-2) * kernel.sigma
                                                         : T(-1) / (T(2) * kernel.sigma * kernel.sigma);
}

// Rows [r0, r1) of X as T, minus the kernel's input mean when it has one (a copy then).
template <class T>
const T* input_rows(const RbfKernel<T>& kernel, const MatrixView& X, int64_t r0, int64_t r1, std::vector<T>& scratch) {
  if (kernel.input_mean.empty()) return rows_as<T>(X, r0, r1, scratch);
  const int64_t d = X.cols;
  scratch.resize(static_cast<size_t>((r1 - r0) * d));
  ThreadPool::instance().parallel_for(r1 - r0, 512, [&](int64_t b, int64_t e) {
    X.copy_rows(r0 + b, r0 + e, scratch.data() + b * d);
    for (int64_t i = b; i < e; ++i)
      for (int64_t f = 0; f < d; ++f) scratch[(size_t)(i * d + f)] -= kernel.input_mean[f];
  });
  return scratch.data();
}

constexpr int64_t kRowBlock = 4096;

}  // namespace

template <class T>
void prepare_anchors(RbfKernel<T>& kernel) {
  const int64_t k = kernel.anchors, d = kernel.dim;
  kernel.anchor_norms.resize(static_cast<size_t>(k));
  kernel.anchor_cols.resize(static_cast<size_t>(k * d));
  int64_t unused = 0;
  for (int64_t a = 0; a < k; ++a) {
    kernel.anchor_norms[a] = squared_norm(kernel.anchor_rows.data() + a * d, d, &unused);
    for (int64_t f = 0; f < d; ++f) kernel.anchor_cols[f * k + a] = kernel.anchor_rows[a * d + f];
  }
}

template <class T>
RbfKernel<T> fit_rbf_kernel(RowSource& X, int64_t anchors, double width, Rng& rng) {
  const auto picked = rng.sample_without_replacement(X.rows(), anchors);
  return fit_rbf_kernel_at<T>(X, picked, width, rng);
}

template <class T>
RbfKernel<T> fit_rbf_kernel_at(RowSource& X, const std::vector<int64_t>& picked, double width, Rng& rng) {
  RbfKernel<T> kernel;
  const int64_t anchors = static_cast<int64_t>(picked.size());
  kernel.anchors = anchors;
  kernel.dim = X.cols();
  kernel.anchor_rows.resize(static_cast<size_t>(anchors * X.cols()));
  X.gather(picked).copy_rows(0, anchors, kernel.anchor_rows.data());
  prepare_anchors(kernel);
  // sigma: mean Euclidean distance between a seeded sample of training rows and the anchors.
  const int64_t sample = std::min<int64_t>(X.rows(), 2000);
  const auto rows = rng.sample_without_replacement(X.rows(), sample);
  std::vector<T> gathered(static_cast<size_t>(sample * X.cols()));
  X.gather(rows).copy_rows(0, sample, gathered.data());
  std::vector<T> dist(static_cast<size_t>(sample * anchors));
  std::vector<T> norms;
  {
    BlasLaneGuard lane;
    norms = cross_products(kernel, gathered.data(), sample, dist.data(), anchors);
  }
  std::vector<double> row_total(static_cast<size_t>(sample), 0.0);  // per row, then added in order
  ThreadPool::instance().parallel_for(sample, 64, [&](int64_t b, int64_t e) {
    for (int64_t s = b; s < e; ++s)
      for (int64_t a = 0; a < anchors; ++a)
        row_total[s] += std::sqrt(static_cast<double>(
            std::max(T(0), dist[s * anchors + a] + norms[s] + kernel.anchor_norms[a])));
  });
  double total = 0;
  for (const double t : row_total) total += t;
  const double sigma = width * total / static_cast<double>(sample * anchors);
  kernel.sigma = static_cast<T>(sigma > 0 ? sigma : 1.0);  // all samples identical: any width works
  return kernel;
}

namespace {
bool cpu_has_avx2() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}
std::atomic<bool> finish_with_avx2{cpu_has_avx2()};
}  // namespace

bool set_feature_kernel(const std::string& name) {
  if (name == "baseline") finish_with_avx2 = false;
  else if (name == "avx2" && cpu_has_avx2()) finish_with_avx2 = true;
  else return false;
  return true;
}

template <class T>
void rbf_features(const RbfKernel<T>& kernel, const MatrixView& X, int64_t r0, int64_t r1, T* out, int64_t ldo) {
  const bool avx2 = finish_with_avx2.load(std::memory_order_relaxed);
  const T scale = exponent_scale(kernel);
  const bool divide = kernel.rule == SigmaRule::mean_squared_distance;
  const T* mean = kernel.mean.empty() ? nullptr : kernel.mean.data();
  std::vector<T> scratch;
  for (int64_t b0 = r0; b0 < r1; b0 += kRowBlock) {
    const int64_t b1 = std::min(r1, b0 + kRowBlock);
    T* block_out = out + (b0 - r0) * ldo;
    const std::vector<T> norms = cross_products(kernel, input_rows<T>(kernel, X, b0, b1, scratch), b1 - b0, block_out, ldo);
    ThreadPool::instance().parallel_for(b1 - b0, 128, [&](int64_t b, int64_t e) {
      (avx2 ? finish_rows_avx2<T> : finish_rows_baseline<T>)(block_out + b * ldo, e - b, ldo, kernel.anchors,
                                                             norms.data() + b, kernel.anchor_norms.data(), scale,
                                                             mean, divide);
    });
  }
}

template <class T>
void rbf_features_direct(const RbfKernel<T>& kernel, const MatrixView& X, int64_t r0, int64_t r1, T* out, int64_t ldo) {
  const bool avx2 = finish_with_avx2.load(std::memory_order_relaxed);
  const T scale = exponent_scale(kernel);
  const bool divide = kernel.rule == SigmaRule::mean_squared_distance;
  const T* mean = kernel.mean.empty() ? nullptr : kernel.mean.data();
  const int64_t d = kernel.dim, k = kernel.anchors;
  std::vector<T> scratch;
  const T* rows = input_rows<T>(kernel, X, r0, r1, scratch);
  std::vector<T> norms(static_cast<size_t>(r1 - r0));
  int64_t unused = 0;
  for (int64_t i = 0; i < r1 - r0; ++i) {
    const T* x = rows + i * d;
    T* o = out + i * ldo;
    norms[i] = squared_norm(x, d, &unused);
    std::fill(o, o + k, T(0));
    for (int64_t f = 0; f < d; ++f) {
      if (x[f] == 0) continue;
      const T v = T(-2) * x[f];
      const T* column = kernel.anchor_cols.data() + f * k;
      for (int64_t a = 0; a < k; ++a) o[a] += v * column[a];
    }
  }
  (avx2 ? finish_rows_avx2<T> : finish_rows_baseline<T>)(out, r1 - r0, ldo, k, norms.data(), kernel.anchor_norms.data(),
                                                         scale, mean, divide);
}

template <class T>
void squared_distances(const RbfKernel<T>& kernel, const MatrixView& X, int64_t r0, int64_t r1, T* out, int64_t ldo) {
  const int64_t k = kernel.anchors;
  std::vector<T> scratch;
  for (int64_t b0 = r0; b0 < r1; b0 += kRowBlock) {
    const int64_t b1 = std::min(r1, b0 + kRowBlock);
    T* block_out = out + (b0 - r0) * ldo;
    const std::vector<T> norms = cross_products(kernel, input_rows<T>(kernel, X, b0, b1, scratch), b1 - b0, block_out, ldo);
    ThreadPool::instance().parallel_for(b1 - b0, 128, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        T* o = block_out + i * ldo;
        for (int64_t a = 0; a < k; ++a) o[a] = std::max(T(0), o[a] + norms[i] + kernel.anchor_norms[a]);
      }
    });
  }
}

template <class T>
void kernel_of_distances(const RbfKernel<T>& kernel, T* out, int64_t rows, int64_t ldo) {
  const bool avx2 = finish_with_avx2.load(std::memory_order_relaxed);
  const T scale = exponent_scale(kernel);
  const bool divide = kernel.rule == SigmaRule::mean_squared_distance;
  const std::vector<T> zeros(static_cast<size_t>(std::max<int64_t>(rows, kernel.anchors)), T(0));
  ThreadPool::instance().parallel_for(rows, 128, [&](int64_t b, int64_t e) {
    (avx2 ? finish_rows_avx2<T> : finish_rows_baseline<T>)(out + b * ldo, e - b, ldo, kernel.anchors, zeros.data(),
                                                           zeros.data(), scale, nullptr, divide);
  });
}

int64_t sparse_distance_blocks() { return sparse_blocks.load(); }

template void prepare_anchors<double>(RbfKernel<double>&);
template void prepare_anchors<float>(RbfKernel<float>&);
template RbfKernel<double> fit_rbf_kernel<double>(RowSource&, int64_t, double, Rng&);
template RbfKernel<float> fit_rbf_kernel<float>(RowSource&, int64_t, double, Rng&);
template RbfKernel<double> fit_rbf_kernel_at<double>(RowSource&, const std::vector<int64_t>&, double, Rng&);
template RbfKernel<float> fit_rbf_kernel_at<float>(RowSource&, const std::vector<int64_t>&, double, Rng&);
template void rbf_features<double>(const RbfKernel<double>&, const MatrixView&, int64_t, int64_t, double*, int64_t);
template void rbf_features<float>(const RbfKernel<float>&, const MatrixView&, int64_t, int64_t, float*, int64_t);
template void squared_distances<double>(const RbfKernel<double>&, const MatrixView&, int64_t, int64_t, double*, int64_t);
template void squared_distances<float>(const RbfKernel<float>&, const MatrixView&, int64_t, int64_t, float*, int64_t);
template void kernel_of_distances<double>(const RbfKernel<double>&, double*, int64_t, int64_t);
template void kernel_of_distances<float>(const RbfKernel<float>&, float*, int64_t, int64_t);
template void rbf_features_direct<double>(const RbfKernel<double>&, const MatrixView&, int64_t, int64_t, double*, int64_t);
template void rbf_features_direct<float>(const RbfKernel<float>&, const MatrixView&, int64_t, int64_t, float*, int64_t);

}  // namespace ascmh
