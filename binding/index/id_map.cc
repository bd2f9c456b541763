#include "index/id_map.h"

#include <algorithm>
#include <cmath>

namespace ascmh {

uint64_t IdMap::hash(int64_t id) {
  uint64_t x = static_cast<uint64_t>(id) + 0x9E3779B97F4A7C15ull;  // splitmix64's finaliser
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

size_t IdMap::probe(int64_t id, uint64_t h) const {
  if (capacity_ == 0) return capacity_;
  const uint64_t fingerprint = h & 0xFFFF000000000000ull;
  for (size_t i = home(h), seen = 0; seen < capacity_; ++seen, i = i + 1 == capacity_ ? 0 : i + 1) {
    const uint64_t s = slots_[i];
    if (s == kEmpty) return capacity_;
    if (s != kErased && (s & 0xFFFF000000000000ull) == fingerprint && id_at_(location_of(s)) == id) return i;
  }
  return capacity_;
}

uint64_t IdMap::find(int64_t id) const {
  const size_t i = probe(id, hash(id));
  return i == capacity_ ? kNoLocation : location_of(slots_[i]);
}

void IdMap::place(uint64_t h, uint64_t location, const int64_t* check_id) {
  const uint64_t fingerprint = h & 0xFFFF000000000000ull;
  for (size_t i = home(h);; i = i + 1 == capacity_ ? 0 : i + 1) {
    const uint64_t s = slots_[i];
    if (s == kEmpty || s == kErased) {
      if (s == kErased) --erased_;
      slots_[i] = encode(h, location);
      return;
    }
    if (check_id && (s & 0xFFFF000000000000ull) == fingerprint && id_at_(location_of(s)) == *check_id) duplicate_ = true;
  }
}

void IdMap::reserve(int64_t count) {
  if (static_cast<double>(count + erased_) > 0.7 * static_cast<double>(capacity_)) grow_for(count);
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

void IdMap::allocate(int64_t count, double load) {
  capacity_ = std::max<size_t>(16, static_cast<size_t>(std::ceil(static_cast<double>(count) / load)));
  slots_ = LargeArray<uint64_t>(capacity_);
  used_ = erased_ = 0;
}

void IdMap::grow_for(int64_t count) {
  // Rebuild at half load from the present entries (their ids are read back from their chunks).
  std::vector<uint64_t> locations;
  locations.reserve(static_cast<size_t>(used_));
  for (size_t i = 0; i < capacity_; ++i)
    if (slots_[i] != kEmpty && slots_[i] != kErased) locations.push_back(location_of(slots_[i]));
  const int64_t target = std::max<int64_t>(count, static_cast<int64_t>(locations.size()));
  rebuild(target + target / 10, [&](const Add& add) {  // load 0.5 after growing
    for (uint64_t l : locations) add(id_at_(l), l);
  });
}

void IdMap::rebuild(int64_t count, const std::function<void(const Add&)>& visit) {
  allocate(count, 0.55);
  duplicate_ = false;
  // Slots are random accesses: hash a batch, prefetch its slots, then place it.
  constexpr size_t kBatch = 32;
  uint64_t h[kBatch], location[kBatch];
  int64_t id_of[kBatch];
  size_t pending = 0;
  const auto flush = [&] {
    for (size_t j = 0; j < pending; ++j) place(h[j], location[j], &id_of[j]);
    used_ += static_cast<int64_t>(pending);
    pending = 0;
  };
  visit([&](int64_t id, uint64_t l) {
    h[pending] = hash(id);
    location[pending] = l;
    id_of[pending] = id;
    __builtin_prefetch(&slots_[home(h[pending])], 1);
    if (++pending == kBatch) flush();
  });
  flush();
}

}  // namespace ascmh
