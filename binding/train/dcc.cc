#include "train/dcc.h"

#include <algorithm>
#include <atomic>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"

namespace ascmh {

template <class T>
int64_t dcc_minimise(int r, int64_t n, const T* H, const T* Q, int8_t* B, int sweeps, const CancelToken* cancel) {
  if (r <= 0 || n <= 0 || sweeps <= 0) return 0;
  constexpr int64_t kGrain = 256;
  const int64_t blocks = (n + kGrain - 1) / kGrain;
  std::vector<int64_t> changed(static_cast<size_t>(blocks), 0);
  std::atomic<bool> stopped{false};
  ThreadPool::instance().parallel_for(blocks, 1, [&](int64_t b0, int64_t b1) {
    std::vector<T> h(static_cast<size_t>(r));
    for (int64_t blk = b0; blk < b1; ++blk) {
      if (is_cancelled(cancel)) {
        stopped = true;
        return;
      }
      int64_t flips = 0;
      for (int64_t i = blk * kGrain; i < std::min(n, (blk + 1) * kGrain); ++i) {
        int8_t* b = B + i * r;
        const T* q = Q + i * r;
        // h = H b (H symmetric: row j of H is column j)
        std::fill(h.begin(), h.end(), T(0));
        for (int j = 0; j < r; ++j) {
          const T* Hj = H + (size_t)j * r;
          if (b[j] > 0)
            for (int a = 0; a < r; ++a) h[a] += Hj[a];
          else
            for (int a = 0; a < r; ++a) h[a] -= Hj[a];
        }
        for (int s = 0; s < sweeps; ++s) {
          bool any = false;
          for (int k = 0; k < r; ++k) {
            const T* Hk = H + (size_t)k * r;
            const T arg = q[k] - (h[k] - Hk[k] * static_cast<T>(b[k]));
            const int8_t v = arg >= T(0) ? 1 : -1;
            if (v == b[k]) continue;
            const T delta = static_cast<T>(v - b[k]);  // +-2
            for (int a = 0; a < r; ++a) h[a] += delta * Hk[a];
            b[k] = v;
            ++flips;
            any = true;
          }
          if (!any) break;  // a fixed point: further sweeps change nothing
        }
      }
      changed[blk] = flips;
    }
  });
  if (stopped) fail("ERR_ASCMH_CANCELLED", "training was cancelled");
  int64_t total = 0;
  for (const int64_t c : changed) total += c;
  return total;
}

template <class T>
double dcc_objective(int r, int64_t n, const T* H, const T* Q, const int8_t* B) {
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int8_t* b = B + i * r;
    for (int j = 0; j < r; ++j) {
      double hb = 0;
      for (int a = 0; a < r; ++a) hb += static_cast<double>(H[(size_t)j * r + a]) * b[a];
      total += b[j] * (hb - 2.0 * static_cast<double>(Q[i * r + j]));
    }
  }
  return total;
}

template int64_t dcc_minimise<double>(int, int64_t, const double*, const double*, int8_t*, int, const CancelToken*);
template int64_t dcc_minimise<float>(int, int64_t, const float*, const float*, int8_t*, int, const CancelToken*);
template double dcc_objective<double>(int, int64_t, const double*, const double*, const int8_t*);
template double dcc_objective<float>(int, int64_t, const float*, const float*, const int8_t*);

}  // namespace ascmh
