// Exact Hamming index over packed codes (codes.h layout) with int64 ids.
//
// Consistency rule: the index is a pointer to an immutable Snapshot (a list of shared, immutable
// segments plus copy-on-write deletion masks). add/remove build a new Snapshot and swap the pointer
// under a mutex; a search takes the pointer when it starts and sees exactly that state to the end,
// whatever add/remove happen meanwhile. Writers are serialised by the same mutex.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/cancel.h"
#include "core/error.h"

namespace ascmh {

// Leaves new elements uninitialised on resize: load reads straight into them without first
// zeroing 2M x 16 bytes.
template <class T>
struct UninitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitAllocator<U>;
  };
  UninitAllocator() = default;
  template <class U>
  UninitAllocator(const UninitAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

struct Segment {
  std::vector<uint64_t, UninitAllocator<uint64_t>> codes;  // size() x words
  std::vector<int64_t, UninitAllocator<int64_t>> ids;
  int64_t size() const { return static_cast<int64_t>(ids.size()); }
};

struct SegmentView {
  std::shared_ptr<const Segment> segment;
  std::shared_ptr<const std::vector<uint8_t>> dead;  // null when nothing in it was removed
  int64_t dead_count = 0;
  int64_t offset = 0;  // position of its first item in insertion order
};

struct Snapshot {
  int bits = 0, words = 0;
  std::vector<SegmentView> segments;
  int64_t positions = 0;  // items including removed ones
  int64_t live = 0;
  int64_t id_at(int64_t position) const;
};

struct SearchOutput {
  int64_t queries = 0;
  int64_t k = 0;                  // results per query (top-k search)
  std::vector<int64_t> offsets;   // queries + 1 entries (radius search)
  std::vector<int64_t> ids;
  std::vector<uint16_t> distances;
};

// Top-k: k results per query (k capped at the live size), by (distance, insertion order). The
// caller checks that count * k results fit in memory (core/memory_limit.h).
SearchOutput search_topk(const Snapshot& s, const uint64_t* queries, int64_t count, int64_t k, int threads,
                         const CancelToken* cancel = nullptr);
// Every item within radius (at most limit per query, the first in the same order). Throws
// ERR_ASCMH_TOO_LARGE as soon as the results outgrow the memory limit.
SearchOutput search_radius(const Snapshot& s, const uint64_t* queries, int64_t count, int radius, int64_t limit,
                           int threads, const CancelToken* cancel = nullptr);

class HammingIndex {
 public:
  explicit HammingIndex(int bits);
  int bits() const;
  std::shared_ptr<const Snapshot> snapshot() const;

  // codes: count x words words with unused high bits already zero. ids null = automatic ids, which
  // continue after the largest id the index has seen (0, 1, 2, ... when only automatic ids are used).
  // Throws CodedError and changes nothing on a duplicate id.
  void add(const uint64_t* codes, int64_t count, const int64_t* ids);
  int64_t remove(const int64_t* ids, int64_t count);  // returns how many were present
  bool get(int64_t id, uint64_t* code_out);

  // Writes a temporary file beside `path`, flushes it and renames it over `path`: a failed save
  // leaves the previous file as it was.
  void save(const std::string& path) const;
  // Replaces the whole content (bits included) with the file's; on any error nothing changes.
  // Refuses a file whose ids repeat or whose next automatic id is already taken.
  void load(const std::string& path);

 private:
  struct Location {
    const Segment* segment;
    int64_t index;
  };
  void ensure_map();
  void publish(std::shared_ptr<const Snapshot> next);

  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> snapshot_;
  int64_t next_auto_id_ = 0;
  // id -> location, built lazily (only get, remove and explicit ids need it) so load stays I/O bound.
  std::unordered_map<int64_t, Location> map_;
  bool map_valid_ = false;
};

}  // namespace ascmh
