#include "train/dcc.h"

#include <algorithm>
#include <atomic>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"

namespace ascmh {

template <class T>
int64_t dcc_sweeps(int64_t n, int r, const T* H, const T* Q, DccLayout ql, int8_t* B, DccLayout bl, int sweeps,
                   const CancelToken* cancel) {
  if (n < 0 || r < 1 || sweeps < 0) fail("ERR_ASCMH_INTERNAL", "dcc_sweeps: bad sizes");
  if (n == 0 || sweeps == 0) return 0;
  std::atomic<int64_t> changed{0};
  std::atomic<bool> stopped{false};
  constexpr int64_t kItems = 512;
  ThreadPool::instance().parallel_for((n + kItems - 1) / kItems, 1, [&](int64_t c0, int64_t c1) {
    std::vector<T> q(r), hb(r), b(r);
    std::vector<int8_t> start(r);
    int64_t local = 0;
    for (int64_t chunk = c0; chunk < c1; ++chunk) {
      if (is_cancelled(cancel)) {
        stopped = true;
        return;
      }
      for (int64_t i = chunk * kItems; i < std::min(n, (chunk + 1) * kItems); ++i) {
        for (int k = 0; k < r; ++k) {
          q[k] = Q[i * ql.item_stride + k * ql.bit_stride];
          start[k] = B[i * bl.item_stride + k * bl.bit_stride];
          b[k] = start[k] > 0 ? T(1) : T(-1);
        }
        // hb = H b, kept current as bits flip (a flip of bit k changes hb by 2 b_k H[:, k]).
        for (int k = 0; k < r; ++k) {
          const T* h = H + static_cast<int64_t>(k) * r;
          T s = 0;
          for (int j = 0; j < r; ++j) s += h[j] * b[j];
          hb[k] = s;
        }
        for (int sweep = 0; sweep < sweeps; ++sweep) {
          for (int k = 0; k < r; ++k) {
            const T h_kk = H[static_cast<int64_t>(k) * r + k];
            const T others = hb[k] - h_kk * b[k];
            const T next = q[k] - others >= 0 ? T(1) : T(-1);
            if (next != b[k]) {
              const T delta = next - b[k];
              const T* h = H + static_cast<int64_t>(k) * r;  // column k = row k (H symmetric)
              for (int j = 0; j < r; ++j) hb[j] += delta * h[j];
              b[k] = next;
            }
          }
        }
        for (int k = 0; k < r; ++k) {
          const int8_t v = b[k] > 0 ? 1 : -1;
          local += v != start[k];
          B[i * bl.item_stride + k * bl.bit_stride] = v;
        }
      }
    }
    changed += local;
  });
  if (stopped) check_cancelled(cancel);
  return changed.load();
}

template <class T>
double dcc_objective(int64_t n, int r, const T* H, const T* Q, DccLayout ql, const int8_t* B, DccLayout bl) {
  double total = 0;
  std::vector<double> b(r);
  for (int64_t i = 0; i < n; ++i) {
    for (int k = 0; k < r; ++k) b[k] = B[i * bl.item_stride + k * bl.bit_stride] > 0 ? 1.0 : -1.0;
    for (int k = 0; k < r; ++k) {
      double s = 0;
      for (int j = 0; j < r; ++j) s += static_cast<double>(H[static_cast<int64_t>(k) * r + j]) * b[j];
      total += b[k] * s - 2.0 * static_cast<double>(Q[i * ql.item_stride + k * ql.bit_stride]) * b[k];
    }
  }
  return total;
}

template int64_t dcc_sweeps<double>(int64_t, int, const double*, const double*, DccLayout, int8_t*, DccLayout, int,
                                    const CancelToken*);
template int64_t dcc_sweeps<float>(int64_t, int, const float*, const float*, DccLayout, int8_t*, DccLayout, int,
                                   const CancelToken*);
template double dcc_objective<double>(int64_t, int, const double*, const double*, DccLayout, const int8_t*, DccLayout);
template double dcc_objective<float>(int64_t, int, const float*, const float*, DccLayout, const int8_t*, DccLayout);

}  // namespace ascmh
