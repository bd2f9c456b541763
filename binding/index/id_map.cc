#include "index/id_map.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "core/thread_pool.h"

namespace ascmh {

size_t IdMap::probe(int64_t id, uint64_t h) const {
  if (capacity_ == 0) return capacity_;
  const uint64_t print = fingerprint(h);
  for (size_t i = home(h), seen = 0; seen < capacity_; ++seen, i = i + 1 == capacity_ ? 0 : i + 1) {
    const uint64_t s = slots_[i];
    if (s == kEmpty) return capacity_;
    if (s != kErased && (s & 0xFFFF000000000000ull) == print && id_at_(location_of(s)) == id) return i;
  }
  return capacity_;
}

uint64_t IdMap::find(int64_t id) const {
  const size_t i = probe(id, hash(id));
  return i == capacity_ ? kNoLocation : location_of(slots_[i]);
}

bool IdMap::finds_at(const int64_t* ids, const uint64_t* locations, size_t n) const {
  if (capacity_ == 0) return n == 0;
  for (size_t j = 0; j < n; ++j) __builtin_prefetch(&slots_[home(hash(ids[j]))]);
  for (size_t j = 0; j < n; ++j) {
    const uint64_t h = hash(ids[j]), print = fingerprint(h);
    // find() returns the first slot of the probe run with this fingerprint and this id: it must
    // be the one holding the expected location.
    bool found = false;
    for (size_t i = home(h), seen = 0; seen < capacity_ && !found; ++seen, i = i + 1 == capacity_ ? 0 : i + 1) {
      const uint64_t s = slots_[i];
      if (s == kEmpty) return false;
      if (s == kErased || (s & 0xFFFF000000000000ull) != print) continue;
      if (location_of(s) == locations[j]) found = true;
      else if (id_at_(location_of(s)) == ids[j]) return false;
    }
    if (!found) return false;
  }
  return true;
}

void IdMap::place(uint64_t h, uint64_t location, const int64_t* check_id) {
  const uint64_t print = fingerprint(h);
  for (size_t i = home(h);; i = i + 1 == capacity_ ? 0 : i + 1) {
    const uint64_t s = slots_[i];
    if (s == kEmpty || s == kErased) {
      if (s == kErased) --erased_;
      slots_[i] = encode(h, location);
      return;
    }
    if (check_id && (s & 0xFFFF000000000000ull) == print && id_at_(location_of(s)) == *check_id) duplicate_ = true;
  }
}

void IdMap::reserve(int64_t count) {
  if (!has_room(count)) grow_for(count);
}

size_t IdMap::insert_new(const int64_t* ids, uint64_t first, size_t n) {
  constexpr size_t kBatch = 32;
  uint64_t h[kBatch];
  for (size_t b = 0; b < n; b += kBatch) {
    const size_t m = std::min(kBatch, n - b);
    for (size_t j = 0; j < m; ++j) {
      h[j] = hash(ids[b + j]);
      __builtin_prefetch(&slots_[home(h[j])], 1);
    }
    for (size_t j = 0; j < m; ++j) {
      const int64_t id = ids[b + j];
      const uint64_t print = fingerprint(h[j]);
      // The probe runs to an empty slot (the load stays below 0.7, so one exists), and the id
      // goes to the first erased slot on the way, if any.
      size_t i = home(h[j]), free = capacity_;
      for (;; i = i + 1 == capacity_ ? 0 : i + 1) {
        const uint64_t s = slots_[i];
        if (s == kEmpty) break;
        if (s == kErased) {
          if (free == capacity_) free = i;
        } else if ((s & 0xFFFF000000000000ull) == print && id_at_(location_of(s)) == id) {
          return b + j;
        }
      }
      if (free == capacity_) free = i;
      else --erased_;
      slots_[free] = encode(h[j], first + b + j);
      ++used_;
    }
  }
  return n;
}

void IdMap::insert(int64_t id, uint64_t location) {
  if (static_cast<double>(used_ + erased_ + 1) > 0.7 * static_cast<double>(capacity_)) grow_for(used_ + 1);
  place(hash(id), location);
  ++used_;
}

void IdMap::relocate(int64_t id, uint64_t location) {
  const uint64_t h = hash(id);
  const size_t i = probe(id, h);
  if (i != capacity_) slots_[i] = encode(h, location);
}

bool IdMap::erase(int64_t id) {
  const size_t i = probe(id, hash(id));
  if (i == capacity_) return false;
  slots_[i] = kErased;
  --used_;
  ++erased_;
  return true;
}

void IdMap::clear() {
  slots_ = LargeArray<uint64_t>();
  capacity_ = 0;
  used_ = erased_ = 0;
  duplicate_ = file_backed_ = false;
}

void IdMap::allocate(int64_t count, double load) {
  // Allocated before anything changes: a failed allocation leaves the map as it was.
  const size_t capacity = std::max<size_t>(16, static_cast<size_t>(std::ceil(static_cast<double>(count) / load)));
  LargeArray<uint64_t> slots(capacity);
  file_backed_ = false;
  capacity_ = capacity;
  slots_ = std::move(slots);
  // The kernel zeroes fresh pages at first touch, slowly on these VMs (a third of a 10M-id build):
  // touch them on every pool thread first.
  constexpr size_t kPiece = (size_t(2) << 20) / sizeof(uint64_t);
  const int64_t pieces = static_cast<int64_t>((capacity_ + kPiece - 1) / kPiece);
  if (pieces > 1)
    ThreadPool::instance().parallel_for(pieces, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p)
        for (size_t i = static_cast<size_t>(p) * kPiece; i < std::min(capacity_, static_cast<size_t>(p + 1) * kPiece); i += 512)
          slots_[i] = kEmpty;
    });
  used_ = erased_ = 0;
}

void IdMap::adopt(LargeArray<uint64_t> slots, size_t capacity, int64_t used, bool file_backed) {
  slots_ = std::move(slots);
  capacity_ = capacity;
  used_ = used;
  erased_ = 0;
  duplicate_ = false;
  file_backed_ = file_backed;
}

bool IdMap::check_stored(const uint64_t* slots, size_t capacity, int64_t count) {
  if (capacity == 0 || static_cast<uint64_t>(count) >= capacity) return false;
  constexpr int64_t kPiece = int64_t(1) << 20;
  const int64_t pieces = static_cast<int64_t>((capacity + kPiece - 1) / kPiece);
  std::atomic<int64_t> used{0};
  std::atomic<bool> bad{false};
  ThreadPool::instance().parallel_for(pieces, 1, [&](int64_t p0, int64_t p1) {
    // Branch-free: about half the slots are empty, at random.
    int64_t n = 0;
    uint64_t wrong = 0;
    for (size_t i = static_cast<size_t>(p0 * kPiece); i < std::min(capacity, static_cast<size_t>(p1 * kPiece)); ++i) {
      const uint64_t s = slots[i];
      // Erased slots are never written to a file; a location must name an item.
      n += s != kEmpty;
      wrong |= static_cast<uint64_t>(s != kEmpty) & static_cast<uint64_t>(s == kErased || location_of(s) >= static_cast<uint64_t>(count));
    }
    if (wrong) bad = true;
    used += n;
  });
  return !bad && used == count;
}

void IdMap::grow_for(int64_t count) {
  // Rebuild at half load from the present entries (their ids are read back from their chunks).
  std::vector<uint64_t> locations;
  locations.reserve(static_cast<size_t>(used_));
  for (size_t i = 0; i < capacity_; ++i)
    if (slots_[i] != kEmpty && slots_[i] != kErased) locations.push_back(location_of(slots_[i]));
  const int64_t target = std::max<int64_t>(count, static_cast<int64_t>(locations.size()));
  rebuild(target + target / 10, [&](auto&& add) {  // load 0.5 after growing
    for (uint64_t l : locations) add(id_at_(l), l);
  });
}

void IdMap::begin_rebuild(int64_t count) {
  allocate(count, 0.55);
  duplicate_ = false;
}

int IdMap::rebuild_threads(int64_t count) const {
  // Below a few hundred thousand ids the map fits in cache and one thread is quicker.
  return count < (int64_t(1) << 18) ? 1 : ThreadPool::instance().concurrency();
}

void IdMap::run_shares(int threads, const std::function<void(int)>& body) {
  if (threads == 1) return body(0);
  ThreadPool::instance().parallel_for(threads, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) body(static_cast<int>(t));
  }, threads);
}

bool IdMap::place_before(uint64_t h, uint64_t location, int64_t id, size_t end, bool* duplicate) {
  const uint64_t print = fingerprint(h);
  for (size_t i = home(h); i < end; ++i) {
    const uint64_t s = slots_[i];
    if (s == kEmpty) {
      slots_[i] = encode(h, location);
      return true;
    }
    if ((s & 0xFFFF000000000000ull) == print && id_at_(location_of(s)) == id) *duplicate = true;
  }
  return false;
}

void IdMap::place_all(Pending& batch, Share& share) {
  for (size_t j = 0; j < batch.n; ++j) {
    if (place_before(batch.h[j], batch.location[j], batch.id[j], share.end, &share.duplicate)) {
      ++share.placed;
    } else {
      share.spilled.push_back(batch.h[j]);
      share.spilled.push_back(batch.location[j]);
      share.spilled_ids.push_back(batch.id[j]);
    }
  }
  batch.n = 0;
}

void IdMap::finish_rebuild(std::vector<Share>& shares) {
  // Every slot from a spilled pair's home to its share's end is taken, so placing it from its home
  // again lands it past that end, where a lookup's probe will reach it.
  for (Share& share : shares) {
    for (size_t j = 0; j < share.spilled_ids.size(); ++j)
      place(share.spilled[2 * j], share.spilled[2 * j + 1], &share.spilled_ids[j]);
    used_ += share.placed + static_cast<int64_t>(share.spilled_ids.size());
    duplicate_ = duplicate_ || share.duplicate;
  }
}

}  // namespace ascmh
