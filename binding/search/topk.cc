#include "search/topk.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace ascmh {

namespace {

// Blocks of log memory kept per thread after their TopK is gone, so the next search on the thread
// writes to pages it has already touched. At most kCacheBytes and kCacheBlocks are kept; blocks
// are powers of two from 4 KiB.
constexpr size_t kCacheBytes = size_t(64) << 20;
constexpr size_t kCacheBlocks = 128;
constexpr size_t kMinBlock = size_t(4) << 10;

struct BlockCache {
  struct Block {
    void* p;
    size_t bytes;
  };
  std::vector<Block> free;
  size_t bytes = 0;
  ~BlockCache() {
    for (const Block& b : free) std::free(b.p);
  }
};

BlockCache& cache() {
  static thread_local BlockCache c;
  return c;
}

// A block of at least `bytes` (64-byte aligned), the smallest the cache holds that fits.
void* take_block(size_t bytes, size_t* got) {
  size_t size = kMinBlock;
  while (size < bytes) size *= 2;
  BlockCache& c = cache();
  size_t best = c.free.size();
  for (size_t i = 0; i < c.free.size(); ++i)
    if (c.free[i].bytes >= size && (best == c.free.size() || c.free[i].bytes < c.free[best].bytes)) best = i;
  if (best < c.free.size()) {
    void* p = c.free[best].p;
    *got = c.free[best].bytes;
    c.bytes -= *got;
    c.free[best] = c.free.back();
    c.free.pop_back();
    return p;
  }
  void* p = std::aligned_alloc(64, size);
  if (!p) throw std::bad_alloc();
  *got = size;
  return p;
}

void give_block(void* p, size_t bytes) {
  if (!p) return;
  BlockCache& c = cache();
  if (c.bytes + bytes > kCacheBytes || c.free.size() >= kCacheBlocks) {
    // Make room by dropping smaller blocks first; a block larger than the cache is freed.
    std::sort(c.free.begin(), c.free.end(), [](const auto& a, const auto& b) { return a.bytes > b.bytes; });
    while (!c.free.empty() && (c.bytes + bytes > kCacheBytes || c.free.size() >= kCacheBlocks) &&
           c.free.back().bytes <= bytes) {
      c.bytes -= c.free.back().bytes;
      std::free(c.free.back().p);
      c.free.pop_back();
    }
    if (c.bytes + bytes > kCacheBytes || c.free.size() >= kCacheBlocks) {
      std::free(p);
      return;
    }
  }
  c.free.push_back({p, bytes});
  c.bytes += bytes;
}

constexpr size_t kEntryBytes = sizeof(int64_t) + sizeof(uint16_t);

}  // namespace

TopK::TopK(TopK&& o) noexcept { *this = std::move(o); }

TopK& TopK::operator=(TopK&& o) noexcept {
  if (this == &o) return *this;
  release();
  k_ = o.k_;
  total_ = o.total_;
  compact_at_ = o.compact_at_;
  thr_ = o.thr_;
  cut_ = o.cut_;
  bounded_ = o.bounded_;
  dead_ = o.dead_;
  dead_base_ = o.dead_base_;
  count_ = std::move(o.count_);
  counted_ = o.counted_;
  pos_ = o.pos_;
  dist_ = o.dist_;
  size_ = o.size_;
  cap_ = o.cap_;
  block_ = o.block_;
  block_bytes_ = o.block_bytes_;
  o.pos_ = nullptr;
  o.dist_ = nullptr;
  o.block_ = nullptr;
  o.size_ = o.cap_ = 0;
  o.block_bytes_ = 0;
  return *this;
}

TopK::~TopK() { release(); }

void TopK::release() {
  give_block(block_, block_bytes_);
  block_ = nullptr;
  block_bytes_ = 0;
  pos_ = nullptr;
  dist_ = nullptr;
  size_ = cap_ = 0;
}

void TopK::reset(int64_t k, int max_dist) {
  k_ = k;
  dead_ = nullptr;
  dead_base_ = 0;
  total_ = 0;
  thr_ = max_dist;
  cut_ = max_dist + 1;
  bounded_ = false;
  // Compacting at 4k keeps the log O(k) (at most 2k entries survive a compaction) and the work per
  // accepted item O(1).
  compact_at_ = k < (int64_t(1) << 40) ? 4 * k + 64 : kUnlimited;
  count_.assign(static_cast<size_t>(max_dist) + 1, 0);
  size_ = 0;
  counted_ = 0;
}

void TopK::grow(int64_t extra) {
  // Doubling: a radius search with many results copies each entry about once.
  int64_t want = std::max<int64_t>(size_ + extra, std::max<int64_t>(2 * cap_, 256));
  if (compact_at_ != kUnlimited) want = std::max<int64_t>(size_ + extra, std::min(want, compact_at_ + kMaxBatch));
  size_t got = 0;
  void* block = take_block(static_cast<size_t>(want) * kEntryBytes, &got);
  const int64_t cap = static_cast<int64_t>(got / kEntryBytes);
  int64_t* pos = static_cast<int64_t*>(block);
  uint16_t* dist = reinterpret_cast<uint16_t*>(pos + cap);
  if (size_) {
    std::memcpy(pos, pos_, static_cast<size_t>(size_) * sizeof(int64_t));
    std::memcpy(dist, dist_, static_cast<size_t>(size_) * sizeof(uint16_t));
  }
  give_block(block_, block_bytes_);
  block_ = block;
  block_bytes_ = got;
  pos_ = pos;
  dist_ = dist;
  cap_ = cap;
}

void TopK::count_pending() const {
  // Four histograms: runs of equal distances would otherwise chain each increment on the last.
  int64_t* const count = count_.data();
  const size_t bins = count_.size();
  int64_t r = counted_;
  if (size_ - r >= 4096 && bins <= 1025) {
    std::vector<int64_t> more(3 * bins, 0);
    int64_t* c1 = more.data();
    int64_t* c2 = c1 + bins;
    int64_t* c3 = c2 + bins;
    for (; r + 4 <= size_; r += 4) {
      ++count[dist_[r]];
      ++c1[dist_[r + 1]];
      ++c2[dist_[r + 2]];
      ++c3[dist_[r + 3]];
    }
    for (size_t d = 0; d < bins; ++d) count[d] += c1[d] + c2[d] + c3[d];
  }
  for (; r < size_; ++r) ++count[dist_[r]];
  counted_ = size_;
}

void TopK::compact() {
  int64_t w = 0;
  for (int64_t r = 0; r < size_; ++r)
    if (dist_[r] <= thr_) {
      pos_[w] = pos_[r];
      dist_[w++] = dist_[r];
    }
  size_ = w;
}

void TopK::finish(int64_t* pos, uint16_t* dist) const {
  const int64_t n = size();
  if (n == 0) return;
  if (counted_ < size_) count_pending();
  // Stable counting sort of the log by distance (the log is in position order). count_[d] is the
  // exact number of logged items at distance d <= thr_, so no counting pass is needed.
  int64_t start[1025 + 1];
  std::vector<int64_t> big;
  int64_t* s = start;
  if (thr_ + 2 > static_cast<int>(sizeof(start) / sizeof(start[0]))) {
    big.resize(static_cast<size_t>(thr_) + 2);
    s = big.data();
  }
  int64_t at = 0;
  for (int d = 0; d <= thr_; ++d) {
    s[d] = at;
    at += count_[d];
  }
  if (at == n) {
    // Every logged item within thr_ is in the answer (always so in a radius search).
    for (int64_t r = 0; r < size_; ++r) {
      const int d = dist_[r];
      if (d > thr_) continue;
      const int64_t to = s[d]++;
      pos[to] = pos_[r];
      dist[to] = static_cast<uint16_t>(d);
    }
    return;
  }
  for (int64_t r = 0; r < size_; ++r) {
    const int d = dist_[r];
    if (d > thr_) continue;
    const int64_t to = s[d]++;
    if (to < n) {
      pos[to] = pos_[r];
      dist[to] = static_cast<uint16_t>(d);
    }
  }
}

void TopK::finish(std::vector<int64_t>& pos, std::vector<uint16_t>& dist) const {
  const int64_t n = size();
  pos.resize(static_cast<size_t>(n));
  dist.resize(static_cast<size_t>(n));
  finish(pos.data(), dist.data());
}

}  // namespace ascmh
