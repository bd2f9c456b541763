// Exact Hamming scan kernels (popcnt and AVX2 nibble lookup, chosen once at load time) and the
// top-k collector they feed. A scan visits items in order and offers an item to the collector only
// when its distance is below the collector's running cut, so most items cost no branch at all.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace ascmh {

// Keeps the best k (distance, position) pairs seen so far, positions offered in ascending order,
// so ties go to the earlier position. Survivors are appended to a log; per-distance counts give
// the threshold thr = smallest distance with at least k kept items at or below it. Items at
// distance > thr can never enter the answer, and once k are kept neither can later items at thr.
class TopK {
 public:
  static constexpr int64_t kUnlimited = std::numeric_limits<int64_t>::max();

  // max_dist: the largest distance to accept (bits for top-k, the radius for a radius search).
  void reset(int64_t k, int max_dist);

  // Accepts an item whose distance d < cut().
  inline void push(int64_t pos, int d) {
    if (dead_ && (dead_[(pos - dead_base_) >> 6] >> ((pos - dead_base_) & 63)) & 1) return;
    pos_.push_back(pos);
    dist_.push_back(static_cast<uint16_t>(d));
    ++count_[d];
    if (++total_ >= k_) {
      while (thr_ > 0 && total_ - count_[thr_] >= k_) {
        total_ -= count_[thr_];
        count_[thr_] = 0;
        --thr_;
      }
      cut_ = thr_;
      if (static_cast<int64_t>(pos_.size()) >= compact_at_) compact();
    }
  }
  int cut() const { return cut_; }
  // Removed items: bit (pos - base) of the mask set means skip (null = none), for the chunk being scanned.
  void set_dead(const uint64_t* mask, int64_t base) {
    dead_ = mask;
    dead_base_ = base;
  }

  // The kept items ordered by (distance, position), at most k of them.
  void finish(std::vector<int64_t>& pos, std::vector<uint16_t>& dist) const;

 private:
  void compact();
  int64_t k_ = 0, total_ = 0, compact_at_ = 0;
  int thr_ = 0, cut_ = 0;
  const uint64_t* dead_ = nullptr;
  int64_t dead_base_ = 0;
  std::vector<int64_t> count_;
  std::vector<int64_t> pos_;
  std::vector<uint16_t> dist_;
};

// Offers items db[0..count) (positions base + i) to `top` against one query.
using HammingScanFn = void (*)(const uint64_t* query, const uint64_t* db, int64_t count, int words, int64_t base,
                               TopK& top);
// out[i] = Hamming distance between query and db[i].
using HammingDistFn = void (*)(const uint64_t* query, const uint64_t* db, int64_t count, int words, uint16_t* out);

// Kernels for `bits`-bit codes, specialised for <= 32 bits (16, 24, 32), 64, 128 and 256 bits
// (1, 2 and 4 words); other widths use a generic loop over whole vectors plus popcnt.
HammingScanFn hamming_scan_kernel(int bits);
HammingDistFn hamming_dist_kernel(int bits);
const char* hamming_kernel_name();  // "avx2", "popcnt" or "generic"
// For tests: use a slower kernel ("popcnt", "generic") or the best again; false if unsupported.
bool set_hamming_kernel(const std::string& name);

// Items per database chunk so one chunk stays in L2 while a group of queries scans it.
int64_t hamming_chunk_items(int words);

}  // namespace ascmh
