#include "features/kernel_map.h"

#include <algorithm>
#include <cmath>

#include "core/blas_lane.h"
#include "core/error.h"
#include "core/thread_pool.h"

namespace ascmh {
namespace {

// Rows of kernel features per hold of the BLAS lane (the same blocks as ASCMH's feature pass).
constexpr int64_t kLaneRows = 16384;

void stop_if_cancelled(const CancelToken* cancel) {
  if (is_cancelled(cancel)) fail("ERR_ASCMH_CANCELLED", "training was cancelled");
}

// Column sums of a block of raw rows, in double, in fixed parts (added in order by the caller).
void add_column_sums(const MatrixView& rows, std::vector<double>& sums) {
  const int64_t d = rows.cols;
  for (int64_t i = 0; i < rows.rows; ++i)
    for (int64_t f = 0; f < d; ++f) sums[f] += rows.at(i, f);
}

}  // namespace

template <class T>
std::vector<double> column_means(const T* X, int64_t rows, int64_t cols, int64_t ld) {
  const int64_t grain = 512, parts = (rows + grain - 1) / grain;
  std::vector<double> partial((size_t)(std::max<int64_t>(parts, 1) * cols), 0.0);
  ThreadPool::instance().parallel_for(parts, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      double* sum = partial.data() + p * cols;
      for (int64_t i = p * grain; i < std::min(rows, (p + 1) * grain); ++i)
        for (int64_t j = 0; j < cols; ++j) sum[j] += X[i * ld + j];
    }
  });
  std::vector<double> mean(cols, 0.0);
  for (int64_t p = 0; p < parts; ++p)
    for (int64_t j = 0; j < cols; ++j) mean[j] += partial[p * cols + j];
  for (auto& v : mean) v /= static_cast<double>(std::max<int64_t>(rows, 1));
  return mean;
}

template <class T>
RbfKernel<T> fit_kernel_map(RowSource& X, const KernelSpec& spec, Rng& rng, const std::vector<int64_t>* anchors,
                            T* out, int64_t ldo, const char* name, const CancelToken* cancel) {
  const int64_t n = X.rows(), d = X.cols();
  RbfKernel<T> kernel;
  if (spec.rule == SigmaRule::mean_distance && !spec.centre_inputs) {
    // ASCMH's path, unchanged: sigma from a sample, features in one pass per lane block.
    kernel = anchors ? fit_rbf_kernel_at<T>(X, *anchors, spec.width, rng) : fit_rbf_kernel<T>(X, spec.anchors, spec.width, rng);
    for (int64_t b0 = 0; b0 < n; b0 += kLaneRows) {
      const int64_t b1 = std::min(n, b0 + kLaneRows);
      const MatrixView rows = X.block(b0, b1);  // before the lane: the JS thread may copy it
      check_finite(rows, b0, name);
      BlasLaneGuard lane;
      rbf_features(kernel, rows, 0, b1 - b0, out + b0 * ldo, ldo);
      stop_if_cancelled(cancel);
    }
  } else {
    kernel.rule = spec.rule;
    kernel.dim = d;
    std::vector<double> input_mean;
    if (spec.centre_inputs) {
      // The raw training mean (Main_Wiki.m: bsxfun(@minus, XTrain, mean(XTrain, 1))).
      std::vector<double> sums(d, 0.0);
      for (int64_t b0 = 0; b0 < n; b0 += kLaneRows) {
        const int64_t b1 = std::min(n, b0 + kLaneRows);
        const MatrixView rows = X.block(b0, b1);
        check_finite(rows, b0, name);
        add_column_sums(rows, sums);
        stop_if_cancelled(cancel);
      }
      input_mean.resize(d);
      for (int64_t f = 0; f < d; ++f) input_mean[f] = sums[f] / static_cast<double>(n);
    }
    const std::vector<int64_t> picked = anchors ? *anchors : rng.sample_without_replacement(n, spec.anchors);
    const int64_t k = static_cast<int64_t>(picked.size());
    kernel.anchors = k;
    kernel.anchor_rows.resize(static_cast<size_t>(k * d));
    {
      const MatrixView a = X.gather(picked);
      for (int64_t i = 0; i < k; ++i)
        for (int64_t f = 0; f < d; ++f)
          kernel.anchor_rows[(size_t)(i * d + f)] =
              static_cast<T>(spec.centre_inputs ? a.at(i, f) - input_mean[f] : a.at(i, f));
    }
    prepare_anchors(kernel);
    if (spec.centre_inputs) kernel.input_mean.assign(input_mean.begin(), input_mean.end());
    // Every squared distance first (sigma is their mean), then the kernel in place.
    std::vector<double> row_mean(static_cast<size_t>(n), 0.0);
    for (int64_t b0 = 0; b0 < n; b0 += kLaneRows) {
      const int64_t b1 = std::min(n, b0 + kLaneRows);
      const MatrixView rows = X.block(b0, b1);
      if (!spec.centre_inputs) check_finite(rows, b0, name);
      {
        BlasLaneGuard lane;
        squared_distances(kernel, rows, 0, b1 - b0, out + b0 * ldo, ldo);
      }
      ThreadPool::instance().parallel_for(b1 - b0, 256, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          const T* o = out + (b0 + i) * ldo;
          double s = 0;
          if (spec.rule == SigmaRule::mean_squared_distance)
            for (int64_t a = 0; a < k; ++a) s += o[a];
          else
            for (int64_t a = 0; a < k; ++a) s += std::sqrt(static_cast<double>(o[a]));
          row_mean[b0 + i] = s / static_cast<double>(k);
        }
      });
      stop_if_cancelled(cancel);
    }
    // mean(mean(D, 2)): the mean of the row means (of the distances themselves for mean_distance,
    // here over every row rather than ASCMH's sample).
    double total = 0;
    for (const double v : row_mean) total += v;
    const double sigma = spec.width * total / static_cast<double>(n);
    kernel.sigma = static_cast<T>(sigma > 0 ? sigma : 1.0);
    kernel_of_distances(kernel, out, n, ldo);
    stop_if_cancelled(cancel);
  }
  if (!spec.subtract_mean) return kernel;
  const int64_t k = kernel.anchors;
  std::vector<double> mean = column_means(out, n, k, ldo);
  auto subtract = [&](const std::vector<double>& m) {
    ThreadPool::instance().parallel_for(n, 512, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        for (int64_t a = 0; a < k; ++a) out[i * ldo + a] -= static_cast<T>(m[a]);
    });
  };
  subtract(mean);
  if (spec.centre_twice) {
    const std::vector<double> again = column_means(out, n, k, ldo);
    subtract(again);
    for (int64_t a = 0; a < k; ++a) mean[a] += again[a];
  }
  kernel.mean.assign(mean.begin(), mean.end());
  return kernel;
}

template std::vector<double> column_means<double>(const double*, int64_t, int64_t, int64_t);
template std::vector<double> column_means<float>(const float*, int64_t, int64_t, int64_t);
template RbfKernel<double> fit_kernel_map<double>(RowSource&, const KernelSpec&, Rng&, const std::vector<int64_t>*,
                                                  double*, int64_t, const char*, const CancelToken*);
template RbfKernel<float> fit_kernel_map<float>(RowSource&, const KernelSpec&, Rng&, const std::vector<int64_t>*,
                                                float*, int64_t, const char*, const CancelToken*);

}  // namespace ascmh
