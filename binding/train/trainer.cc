#include "train/trainer.h"

#include <algorithm>

#include "core/error.h"
#include "core/random.h"
#include "core/thread_pool.h"

namespace ascmh {

void check_training_cancelled(const CancelToken* cancel) {
  if (is_cancelled(cancel)) fail("ERR_ASCMH_CANCELLED", "training was cancelled");
}

template <class T>
DesignMatrix<T> design_matrix(RowSource& image, RowSource& text, const uint8_t* labels, int64_t classes,
                              const KernelSpec spec[2], uint64_t seed, const InjectedDraws& injected,
                              const CancelToken* cancel) {
  DesignMatrix<T> D;
  D.n = image.rows();
  D.c = classes;
  D.k[0] = injected.has_anchors[0] ? static_cast<int64_t>(injected.anchors[0].size()) : spec[0].anchors;
  D.k[1] = injected.has_anchors[1] ? static_cast<int64_t>(injected.anchors[1].size()) : spec[1].anchors;
  D.K = D.k[0] + D.k[1];
  D.cols = D.K + D.c;
  D.F = LargeArray<T>((size_t)(D.n * D.cols));
  Rng rng(seed);
  RowSource* views[2] = {&image, &text};
  for (int m = 0; m < 2; ++m)
    D.kernels[m] = fit_kernel_map<T>(*views[m], spec[m], rng, injected.has_anchors[m] ? &injected.anchors[m] : nullptr,
                                     D.F.data() + (m == 0 ? 0 : D.k[0]), D.cols, m == 0 ? "image" : "text", cancel);
  T* F = D.F.data();
  const int64_t K = D.K, cols = D.cols, c = D.c;
  ThreadPool::instance().parallel_for(D.n, 1024, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      for (int64_t j = 0; j < c; ++j) F[i * cols + K + j] = labels[i * c + j] ? T(1) : T(0);
  });
  return D;
}

template <class T>
std::vector<T> gaussian_values(uint64_t seed, uint64_t stream, int64_t count) {
  constexpr int64_t kBlock = 65536;
  std::vector<T> out(static_cast<size_t>(count));
  const int64_t blocks = (count + kBlock - 1) / kBlock;
  ThreadPool::instance().parallel_for(blocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      Rng r(seed, (stream << 32) + static_cast<uint64_t>(b));
      for (int64_t i = b * kBlock; i < std::min(count, (b + 1) * kBlock); ++i) out[i] = static_cast<T>(r.gaussian());
    }
  });
  return out;
}

template <class T>
std::vector<T> injected_values(const std::vector<double>& values, int64_t count, const char* what) {
  if (static_cast<int64_t>(values.size()) != count)
    fail("ERR_ASCMH_OPTION", std::string("the injected ") + what + " has " + std::to_string(values.size()) +
                                 " values, " + std::to_string(count) + " expected");
  return std::vector<T>(values.begin(), values.end());
}

template DesignMatrix<double> design_matrix<double>(RowSource&, RowSource&, const uint8_t*, int64_t, const KernelSpec[2],
                                                    uint64_t, const InjectedDraws&, const CancelToken*);
template DesignMatrix<float> design_matrix<float>(RowSource&, RowSource&, const uint8_t*, int64_t, const KernelSpec[2],
                                                  uint64_t, const InjectedDraws&, const CancelToken*);
template std::vector<double> gaussian_values<double>(uint64_t, uint64_t, int64_t);
template std::vector<float> gaussian_values<float>(uint64_t, uint64_t, int64_t);
template std::vector<double> injected_values<double>(const std::vector<double>&, int64_t, const char*);
template std::vector<float> injected_values<float>(const std::vector<double>&, int64_t, const char*);

}  // namespace ascmh
