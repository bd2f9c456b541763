// TopK: the collector the Hamming scan kernels feed (search/kernels.h). Keeps the best k
// (distance, position) pairs of items offered in ascending position order, ties going to the
// earlier position; with k = kUnlimited it keeps everything offered (radius search).
//
// Survivors are appended to a log; per-distance counts give the threshold thr = the smallest
// distance with at least k kept items at or below it. Items at distance > thr can never enter the
// answer, and once k are kept neither can later items at thr, so a kernel offers an item only when
// its distance is below cut() (thr once k are kept, max_dist + 1 before). The log is compacted
// (entries above thr dropped) when it reaches 4k + 64 entries, so it stays O(k) and each accepted
// item costs O(1). The log's memory comes from a small per-thread cache, so a search does not
// touch fresh pages for it (first touch costs about 13 us per 4 KiB page on these machines).
//
// Kernels offer items one at a time (push) or in batches: reserve(n) gives room for n raw
// candidates at the log's tail, the kernel writes them there (vector stores may write all n
// slots), and commit(m) accounts for the first m of them exactly as m pushes in order would:
// candidates whose distance is no longer below cut() or that are removed are dropped.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace ascmh {

class TopK {
 public:
  static constexpr int64_t kUnlimited = std::numeric_limits<int64_t>::max();
  // The most candidates a kernel may reserve at once.
  static constexpr int kMaxBatch = 64;

  TopK() = default;
  TopK(TopK&& other) noexcept;
  TopK& operator=(TopK&& other) noexcept;
  TopK(const TopK&) = delete;
  TopK& operator=(const TopK&) = delete;
  ~TopK();

  // max_dist: the largest distance to accept (bits for top-k, the radius for a radius search).
  // Clears the removed-items mask.
  void reset(int64_t k, int max_dist);

  // Removed items, for the segment being scanned: item `pos` is removed iff bit ((pos - base) & 63)
  // of dead_bits[(pos - base) >> 6] is set. Null: none removed. Only positions the scan offers
  // (those of the segment) are looked up.
  void set_dead(const uint64_t* dead_bits, int64_t base) {
    dead_ = dead_bits;
    dead_base_ = base;
  }

  int cut() const { return cut_; }

  // Optional, after reset(): offer only items at distance < bound until k are kept (an estimate of
  // the final threshold, e.g. from a sample of the database, saves most pushes of a large k). The
  // answer is exact iff complete() after the scan; otherwise scan again without a bound.
  void limit_cut(int bound) {
    if (bound < cut_) {
      cut_ = bound < 0 ? 0 : bound;
      bounded_ = true;
    }
  }
  // Whether the cut has stopped falling quickly: a radius search (it never falls), a bounded one,
  // or k items kept. Until then a scan should offer items one block at a time, not per 4096.
  bool settled() const { return k_ == kUnlimited || bounded_ || total_ >= k_; }
  // False when a bound set by limit_cut() may have hidden items of the answer.
  bool complete() const { return !bounded_ || total_ >= k_; }

  // Accepts an item whose distance d < cut() (unless it is removed).
  inline void push(int64_t pos, int d) {
    if (size_ >= cap_) grow(1);
    pos_[size_] = pos;
    dist_[size_] = static_cast<uint16_t>(d);
    commit(1);
  }

  // Room for n <= kMaxBatch raw candidates at the tail of the log; valid until commit().
  struct Tail {
    int64_t* pos;
    uint16_t* dist;
  };
  inline Tail reserve(int n) {
    if (size_ + n > cap_) grow(n);
    return {pos_ + size_, dist_ + size_};
  }
  // Accounts for the first m candidates written at the tail, in position order.
  inline void commit(int m) {
    // Locals: the count_ updates could otherwise alias the members and force reloads.
    int64_t* const pos = pos_;
    uint16_t* const dist = dist_;
    int64_t* const count = count_.data();
    int64_t w = size_, total = total_;
    const int64_t end = size_ + m, k = k_;
    int cut = cut_;
    if (total + m < k && !dead_) {
      // Not full, so the cut has not moved since the kernel compared: every candidate is kept
      // (always so in a radius search without removed items). They are counted later, in one pass
      // (count_pending): reading the distances back right after the kernel's vector stores would
      // stall on store forwarding for every hit.
      total_ = total + m;
      size_ = end;
      return;
    }
    if (counted_ < w) count_pending();
    for (int64_t r = w; r < end; ++r) {
      const int d = dist[r];
      const int64_t p = pos[r];
      if (d >= cut || dead(p)) continue;
      pos[w] = p;
      dist[w] = static_cast<uint16_t>(d);
      ++w;
      ++count[d];
      if (++total >= k) {
        total_ = total;
        lower();
        total = total_;
        cut = cut_;
      }
    }
    total_ = total;
    size_ = w;
    if (w >= compact_at_) compact();
    counted_ = size_;
  }

  // Results finish() writes: min(k, items kept).
  int64_t size() const { return total_ < k_ ? total_ : k_; }
  // The kept items ordered by (distance, position), size() of them, into pos[0..) and dist[0..).
  void finish(int64_t* pos, uint16_t* dist) const;
  // The same into vectors resized to size().
  void finish(std::vector<int64_t>& pos, std::vector<uint16_t>& dist) const;

  // Replaces every kept position p by map(p) before finish(), visiting them in ascending
  // position order (so a cursor over segments, not a search per result, can turn positions into
  // ids, reading the ids sequentially). finish() still orders by (distance, original position).
  template <class F>
  void map_positions(F map) {
    for (int64_t r = 0; r < size_; ++r)
      if (dist_[r] <= thr_) pos_[r] = map(pos_[r]);
  }

 private:
  inline bool dead(int64_t p) const {
    if (!dead_) return false;
    const uint64_t o = static_cast<uint64_t>(p - dead_base_);
    return (dead_[o >> 6] >> (o & 63)) & 1;
  }
  // After an accepted item made total_ >= k_: lowers thr_ while the items below it suffice.
  inline void lower() {
    while (thr_ > 0 && total_ - count_[thr_] >= k_) {
      total_ -= count_[thr_];
      count_[thr_] = 0;
      --thr_;
    }
    cut_ = thr_;
  }
  void compact();
  // Counts the log entries [counted_, size_) that commit() kept without counting.
  void count_pending() const;
  void grow(int64_t extra);
  void release();

  int64_t k_ = 0, total_ = 0, compact_at_ = 0;
  int thr_ = 0, cut_ = 0;
  bool bounded_ = false;
  const uint64_t* dead_ = nullptr;
  int64_t dead_base_ = 0;
  // count_[d]: kept items at distance d among the first counted_ log entries, exact for d <= thr_.
  mutable std::vector<int64_t> count_;
  mutable int64_t counted_ = 0;
  // The log: positions and distances, cap_ entries (from the per-thread cache), size_ used.
  int64_t* pos_ = nullptr;
  uint16_t* dist_ = nullptr;
  int64_t size_ = 0, cap_ = 0;
  void* block_ = nullptr;
  size_t block_bytes_ = 0;
};

}  // namespace ascmh
