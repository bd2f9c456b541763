// ScoreTopK: the collector the asymmetric scan kernels feed (search/asymmetric.h). Keeps the best k
// (score, position) pairs of items offered in ascending position order: higher scores first, ties
// going to the earlier position, as the Hamming TopK orders distances.
//
// Scores are floats, so there are no buckets: survivors are appended to a buffer, and once k are
// kept the cut is the k-th best score kept. A later item at the cut loses to every kept one (they
// came first), so a kernel offers an item only when its score is above cut(). When the buffer
// holds 2k + 64 entries it is cut back to the best k (nth_element), so each accepted item costs
// O(1) amortised and the buffer stays O(k).
#pragma once
#include <cstdint>
#include <limits>
#include <vector>

namespace ascmh {

class ScoreTopK {
 public:
  // Clears the removed-items mask.
  void reset(int64_t k);

  // Removed items of the segment being scanned, as TopK::set_dead: item `pos` is removed iff bit
  // ((pos - base) & 63) of dead_bits[(pos - base) >> 6] is set. Null: none removed.
  void set_dead(const uint64_t* dead_bits, int64_t base) {
    dead_ = dead_bits;
    dead_base_ = base;
  }

  // Items at or below the cut can never enter the answer.
  float cut() const { return cut_; }

  // Accepts an item whose score > cut() (unless it is removed).
  inline void push(int64_t pos, float score) {
    if (dead(pos)) return;
    entries_.push_back({score, pos});
    const int64_t n = static_cast<int64_t>(entries_.size());
    if (n == k_) first_cut();
    else if (n >= compact_at_) compact();
  }

  // Results finish() writes: min(k, items kept).
  int64_t size() const {
    const int64_t n = static_cast<int64_t>(entries_.size());
    return n < k_ ? n : k_;
  }
  // The kept items ordered by (score descending, position ascending), size() of them.
  void finish(int64_t* pos, float* score);
  void finish(std::vector<int64_t>& pos, std::vector<float>& score);

 private:
  struct Entry {
    float score;
    int64_t pos;
  };
  inline bool dead(int64_t p) const {
    if (!dead_) return false;
    const uint64_t o = static_cast<uint64_t>(p - dead_base_);
    return (dead_[o >> 6] >> (o & 63)) & 1;
  }
  void first_cut();
  void compact();
  void order();

  int64_t k_ = 0, compact_at_ = 0;
  float cut_ = -std::numeric_limits<float>::infinity();
  const uint64_t* dead_ = nullptr;
  int64_t dead_base_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace ascmh
