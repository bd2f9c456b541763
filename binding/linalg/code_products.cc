#include "linalg/code_products.h"

#include <algorithm>
#include <atomic>

#include "core/thread_pool.h"
#include "linalg/linalg.h"

namespace ascmh {

template <class T>
CodeProducts<T>::CodeProducts(int r, int64_t n, int64_t p, const T* F, int64_t ldf)
    : r_(r), n_(n), p_(p), ldf_(ldf), F_(F), codes_((size_t)r * n, 0), by_item_((size_t)n * r, 0), Bt_((size_t)r * n),
      BF_((size_t)r * p, T(0)), BB_((size_t)r * r, T(0)) {}

template <class T>
void CodeProducts<T>::recompute() {
  gemm<T>(Op::N, Op::N, r_, static_cast<int>(p_), static_cast<int>(n_), 1, Bt_.data(), static_cast<int>(n_), F_,
          static_cast<int>(ldf_), 0, BF_.data(), static_cast<int>(p_));
  syrk<T>(Op::N, r_, static_cast<int>(n_), 1, Bt_.data(), static_cast<int>(n_), 0, BB_.data(), r_);
}

template <class T>
int64_t CodeProducts<T>::update(const int8_t* codes) {
  const int r = r_;
  const int64_t n = n_, p = p_;
  // The changed items of each row of B.
  std::vector<std::vector<int64_t>> changed(r);
  std::atomic<int64_t> total{0};
  ThreadPool::instance().parallel_for(r, 4, [&](int64_t j0, int64_t j1) {
    int64_t local = 0;
    for (int64_t j = j0; j < j1; ++j) {
      const int8_t *was = codes_.data() + j * n, *now = codes + j * n;
      for (int64_t i = 0; i < n; ++i)
        if (was[i] != now[i]) changed[j].push_back(i);
      local += static_cast<int64_t>(changed[j].size());
    }
    total += local;
  });
  const int64_t count = total.load();
  incremental_ = initialised_ && static_cast<double>(count) <= limit_ * static_cast<double>(r) * static_cast<double>(n);
  if (!incremental_) {
    std::copy(codes, codes + (size_t)r * n, codes_.begin());
    ThreadPool::instance().parallel_for(r * n, 65536, [&](int64_t b, int64_t e) {
      for (int64_t k = b; k < e; ++k) Bt_[k] = codes[k];
    });
    ThreadPool::instance().parallel_for(n, 1024, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        for (int j = 0; j < r; ++j) by_item_[(size_t)(i * r + j)] = codes[j * n + i];
    });
    recompute();
    initialised_ = true;
    return count;
  }
  // B F gains (new - old) F_i in row j for each changed entry (j, i). Item by item, so each
  // changed item's row of F is read once for all its changed bits; columns of B F are split
  // between threads (each slice of B F stays in cache). Every entry of B F still receives its
  // updates in ascending item order, whatever the thread count.
  std::vector<int64_t> start(static_cast<size_t>(n) + 1, 0);
  for (int j = 0; j < r; ++j)
    for (const int64_t i : changed[j]) ++start[static_cast<size_t>(i) + 1];
  for (int64_t i = 0; i < n; ++i) start[i + 1] += start[i];
  std::vector<int> bit((size_t)count);
  std::vector<T> delta((size_t)count);
  {
    std::vector<int64_t> fill(start.begin(), start.end() - 1);
    for (int j = 0; j < r; ++j)
      for (const int64_t i : changed[j]) {
        const int64_t at = fill[i]++;
        bit[at] = j;
        delta[at] = static_cast<T>(codes[j * n + i] - codes_[j * n + i]);
      }
  }
  constexpr int64_t kSlice = 256;  // columns of B F per task
  ThreadPool::instance().parallel_for((p + kSlice - 1) / kSlice, 1, [&](int64_t s0, int64_t s1) {
    const int64_t a0 = s0 * kSlice, a1 = std::min(p, s1 * kSlice);
    for (int64_t i = 0; i < n; ++i) {
      const T* f = F_ + i * ldf_;
      for (int64_t e = start[i]; e < start[i + 1]; ++e) {
        T* row = BF_.data() + static_cast<int64_t>(bit[e]) * p;
        const T d = delta[e];
        for (int64_t a = a0; a < a1; ++a) row[a] += d * f[a];
      }
    }
  });
  // B B^T one entry at a time: changing B(j, i) from o to v adds (v - o) B(k, i) to entries (j, k)
  // and (k, j) for k != j, and v^2 - o^2 to (j, j), with column i as it is at that moment.
  for (int j = 0; j < r; ++j)
    for (const int64_t i : changed[j]) {
      int8_t* column = by_item_.data() + i * r;
      const int o = column[j], v = codes[j * n + i], d = v - o;
      T* row = BB_.data() + (size_t)j * r;
      for (int k = 0; k < r; ++k) row[k] += static_cast<T>(d * column[k]);
      for (int k = 0; k < r; ++k) BB_[(size_t)k * r + j] += static_cast<T>(d * column[k]);
      row[j] += static_cast<T>(v * v - o * o - 2 * d * o);  // the two loops added 2 d o at (j, j)
      column[j] = static_cast<int8_t>(v);
      codes_[j * n + i] = static_cast<int8_t>(v);
      Bt_[j * n + i] = static_cast<T>(v);
    }
  return count;
}

template class CodeProducts<double>;
template class CodeProducts<float>;

}  // namespace ascmh
