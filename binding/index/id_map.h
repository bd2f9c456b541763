// id -> location of the items whose ids were given explicitly (automatic ids are found from their
// chunk's range and need no entry). Open addressing with linear probing over 8-byte slots, each a
// 16-bit fingerprint of the id's hash (bits the home slot does not depend on) and a 48-bit location; the id itself is read back from the
// chunk to confirm a fingerprint match. At most 0.7 of the slots are used, so the map costs at
// most 16 bytes per id (11.4 when full). Inserting and erasing are O(1); a rebuild (growth, or
// the first use after a load) prefetches the slots of 32 ids at a time.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "core/large_array.h"

namespace ascmh {

class IdMap {
 public:
  static constexpr uint64_t kNoLocation = ~uint64_t(0);
  // The id stored at a location (the map does not store ids).
  using IdAt = std::function<int64_t(uint64_t location)>;

  explicit IdMap(IdAt id_at) : id_at_(std::move(id_at)) {}

  uint64_t find(int64_t id) const;  // kNoLocation if absent
  // Whether find(ids[j]) == locations[j] for all j < n, without reading ids back except on a
  // fingerprint collision; the home slots of the n ids are fetched ahead (random accesses overlap).
  bool finds_at(const int64_t* ids, const uint64_t* locations, size_t n) const;
  // id must be absent.
  void insert(int64_t id, uint64_t location);
  // Inserts ids[j] at location first + j for j < n, in order, unless one is present already (before
  // the call, or earlier in it): returns the index of the first such id, those before it inserted,
  // or n. Needs room for n more (has_room); batches of home slots are fetched ahead.
  size_t insert_new(const int64_t* ids, uint64_t first, size_t n);
  // Whether count ids fit without growing.
  bool has_room(int64_t count) const {
    return static_cast<double>(count + erased_) <= 0.7 * static_cast<double>(capacity_);
  }
  // Changes the location of a present id.
  void relocate(int64_t id, uint64_t location);
  bool erase(int64_t id);
  // Replaces the content with the `count` (id, location) pairs that visit(add) hands to add(id,
  // location), ids distinct. A template: at 10M ids a call through std::function per id costs
  // a fifth of the build. A large map is built by every pool thread at once, each placing the ids
  // whose home slot lies in its share of the slots (visit runs once per thread, concurrently, and
  // hands each thread every pair); a probe that runs past the end of its share is placed after.
  template <class Visit>
  void rebuild(int64_t count, Visit&& visit) {
    begin_rebuild(count);
    const int threads = rebuild_threads(count);
    std::vector<Share> shares(static_cast<size_t>(threads));
    run_shares(threads, [&](int t) {
      Share& share = shares[static_cast<size_t>(t)];
      share.end = capacity_ * static_cast<size_t>(t + 1) / static_cast<size_t>(threads);
      const size_t begin = capacity_ * static_cast<size_t>(t) / static_cast<size_t>(threads);
      Pending batch;
      visit([&](int64_t id, uint64_t location) {
        const uint64_t h = hash(id);
        const size_t slot = home(h);
        if (slot < begin || slot >= share.end) return;
        batch.h[batch.n] = h;
        batch.location[batch.n] = location;
        batch.id[batch.n] = id;
        __builtin_prefetch(&slots_[slot], 1);
        if (++batch.n == Pending::kSize) place_all(batch, share);
      });
      place_all(batch, share);
    });
    finish_rebuild(shares);
  }
  // Room for `count` ids without growing (so no rehash reads ids while locations move).
  void reserve(int64_t count);
  // Whether the last rebuild met an id twice (content from a file; add() never does this).
  bool duplicate_found() const { return duplicate_; }
  int64_t size() const { return used_; }
  // Whether removals left erased slots (a copy of the slots with other locations is then no map a
  // file can store: a file's slots are empty or used).
  bool has_erased() const { return erased_ > 0; }
  // The same slot with its location replaced (fingerprint kept), for a map over other locations
  // whose ids, and so homes and probe runs, are the same.
  static uint64_t with_location(uint64_t slot, uint64_t location) {
    return (slot & 0xFFFF000000000000ull) | (location + 1);
  }
  // The location a used slot holds.
  static uint64_t location_of(uint64_t slot) { return (slot & 0x0000FFFFFFFFFFFFull) - 1; }
  // Empty, holding nothing (a map that is no longer to be used).
  void clear();
  uint64_t bytes() const { return file_backed_ ? 0 : slots_.size() * sizeof(uint64_t); }

  // The slots as an index file stores them (capacity() words; locations are file positions when
  // the map was built over them).
  const uint64_t* slots() const { return slots_.data(); }
  size_t capacity() const { return capacity_; }
  // Takes slots read or mapped from a file (file_backed: a private mapping of it, whose untouched
  // pages cost no memory) once check_stored() accepted them, holding `used` ids.
  void adopt(LargeArray<uint64_t> slots, size_t capacity, int64_t used, bool file_backed);
  // Whether `slots` (from a file, so any bit pattern) can be adopted for `count` ids at locations
  // [0, count): every slot empty or holding a location below count, exactly count of them used,
  // and at least one empty (so probes end). Scans on every pool thread.
  static bool check_stored(const uint64_t* slots, size_t capacity, int64_t count);

 private:
  // Slots are random accesses: a batch is hashed and its slots prefetched, then placed.
  struct Pending {
    static constexpr size_t kSize = 32;
    uint64_t h[kSize], location[kSize];
    int64_t id[kSize];
    size_t n = 0;
  };
  // What one thread of a rebuild placed, and the pairs whose probe ran past its share's end.
  struct Share {
    size_t end = 0;
    int64_t placed = 0;
    bool duplicate = false;
    std::vector<uint64_t> spilled;  // (hash, location) pairs
    std::vector<int64_t> spilled_ids;
  };
  void begin_rebuild(int64_t count);
  int rebuild_threads(int64_t count) const;
  static void run_shares(int threads, const std::function<void(int)>& body);
  void place_all(Pending& batch, Share& share);
  void finish_rebuild(std::vector<Share>& shares);
  static uint64_t hash(int64_t id) {
    uint64_t x = static_cast<uint64_t>(id) + 0x9E3779B97F4A7C15ull;  // splitmix64's finaliser
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
  }
  size_t home(uint64_t h) const { return static_cast<size_t>((static_cast<unsigned __int128>(h) * capacity_) >> 64); }
  // The fingerprint is the hash's low 16 bits: its high bits choose the home slot, so neighbours in
  // a probe run share them and a fingerprint made of them would match nearly always.
  static uint64_t fingerprint(uint64_t h) { return h << 48; }
  static uint64_t encode(uint64_t h, uint64_t location) { return fingerprint(h) | (location + 1); }
  size_t probe(int64_t id, uint64_t h) const;  // slot of id, or capacity_
  void grow_for(int64_t count);
  void place(uint64_t h, uint64_t location, const int64_t* check_id = nullptr);
  // place() within slots [home, end): false, placing nothing, when they are all taken.
  bool place_before(uint64_t h, uint64_t location, int64_t id, size_t end, bool* duplicate);
  void allocate(int64_t count, double load);

  static constexpr uint64_t kEmpty = 0, kErased = ~uint64_t(0);
  IdAt id_at_;
  LargeArray<uint64_t> slots_;
  size_t capacity_ = 0;
  int64_t used_ = 0, erased_ = 0;
  bool duplicate_ = false, file_backed_ = false;
};

}  // namespace ascmh
