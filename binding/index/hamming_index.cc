#include "index/hamming_index.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include "core/codes.h"
#include "core/thread_pool.h"
#include "storage/checksum.h"
#include "storage/posix_file.h"

namespace ascmh {

// ---- snapshots ----------------------------------------------------------------------------------

void Snapshot::verify_codes() const {
  for (const ChunkView& v : chunks) {
    if (!v.data || !v.data->check || v.data->check->all_codes_verified()) continue;
    v.data->check->verify_codes(v.data->file_codes, v.data->file_first, v.count);
  }
}

void Snapshot::verify_ids(const int64_t* positions, int64_t count) const {
  for (int64_t i = 0; i < count; ++i) {
    const ChunkView& v = chunk_of(positions[i]);
    const int64_t local = local_of(positions[i]);
    if (v.data->check && v.data->file_ids && local >= v.auto_count)
      v.data->check->verify_ids(v.data->file_ids, v.data->file_first + local, 1);
  }
}

// ---- the index ----------------------------------------------------------------------------------

HammingIndex::HammingIndex(int bits)
    : bits_(bits), words_(words_per_code(bits)), map_([this](uint64_t l) { return id_at_location(l); }) {
  publish();
}

std::shared_ptr<const Snapshot> HammingIndex::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

int64_t HammingIndex::next_automatic_id() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return next_auto_;
}

void HammingIndex::publish() {
  auto s = std::make_shared<Snapshot>();
  s->bits = bits_;
  s->words = words_;
  s->chunks = chunks_;
  s->live = live_;
  current_ = std::move(s);
}

int64_t HammingIndex::id_at_location(uint64_t location) const {
  const IdSource& source = id_sources_[static_cast<size_t>(location >> kChunkBits)];
  const int64_t local = static_cast<int64_t>(location & (kChunkItems - 1));
  return local < source.auto_count ? source.first_id + local : source.ids->data()[local];
}

void HammingIndex::sync_ids(size_t slot) {
  const ChunkView& v = chunks_[slot];
  id_sources_[v.data->serial] = {v.first_id, v.auto_count, v.ids};
}

size_t HammingIndex::append_chunk(int64_t wanted) {
  // Capacities grow geometrically from 4,096 items to kChunkItems: a small index stays small, and
  // no code is ever copied to grow a chunk.
  int64_t capacity = 4096;
  for (auto it = chunks_.rbegin(); it != chunks_.rend(); ++it)
    if (it->data && it->data->capacity > 0) {
      capacity = std::max(capacity, 2 * it->data->capacity);
      break;
    }
  while (capacity < wanted && capacity < kChunkItems) capacity *= 2;
  capacity = std::min(capacity, kChunkItems);
  auto data = std::make_shared<ChunkData>();
  data->serial = static_cast<uint32_t>(id_sources_.size());
  data->capacity = capacity;
  data->codes.owned = LargeArray<uint64_t>(static_cast<size_t>(capacity) * words_);
  ChunkView view;
  view.data = std::move(data);
  chunks_.push_back(view);
  slot_of_serial_.push_back(static_cast<int64_t>(chunks_.size() - 1));
  id_sources_.push_back({});
  return chunks_.size() - 1;
}

void HammingIndex::materialize_ids(size_t slot) {
  ChunkView& v = chunks_[slot];
  auto ids = std::make_shared<ChunkArray<int64_t>>();
  const int64_t capacity = std::max(v.data->capacity, v.count);
  ids->owned = LargeArray<int64_t>(static_cast<size_t>(capacity));
  for (int64_t i = 0; i < v.count; ++i) ids->owned[static_cast<size_t>(i)] = v.id(i);
  v.ids = std::move(ids);
}

void HammingIndex::rebuild_auto_ranges() {
  auto_ranges_.clear();
  for (size_t slot = 0; slot < chunks_.size(); ++slot)
    if (chunks_[slot].data && chunks_[slot].auto_count > 0)
      auto_ranges_.push_back({chunks_[slot].first_id, chunks_[slot].auto_count, slot});
}

bool HammingIndex::locate(int64_t id, Found* out) {
  if (locate_auto(id, out)) return true;
  if (mapped_items_ == 0) return false;
  ensure_map();
  const uint64_t l = map_.find(id);
  if (l == IdMap::kNoLocation) return false;
  const int64_t slot = slot_of_serial_[static_cast<size_t>(l >> kChunkBits)];
  *out = {static_cast<size_t>(slot), static_cast<int64_t>(l & (kChunkItems - 1))};
  return true;
}

bool HammingIndex::locate_auto(int64_t id, Found* out) const {
  auto it = std::upper_bound(auto_ranges_.begin(), auto_ranges_.end(), id,
                             [](int64_t x, const AutoRange& r) { return x < r.first_id; });
  if (it != auto_ranges_.begin()) {
    const AutoRange& r = *(it - 1);
    // Unsigned: no overflow for ids far below first_id.
    if (static_cast<uint64_t>(id - r.first_id) < static_cast<uint64_t>(r.count) && !chunks_[r.slot].is_dead(id - r.first_id)) {
      *out = {r.slot, id - r.first_id};
      return true;
    }
  }
  return false;
}

bool HammingIndex::adopt_stored_map() {
  StoredMap stored = std::exchange(stored_map_, StoredMap{});
  // The map covers the file's items at their file positions, which are their locations as long as
  // the file's chunks are the index's first chunks, unchanged (until the map is first used only
  // automatic-id adds, which append chunks, can have happened).
  int64_t file_items = 0;
  for (size_t slot = 0; slot < chunks_.size(); ++slot) {
    const ChunkView& v = chunks_[slot];
    if (!v.data || v.auto_count >= v.count) continue;
    if (v.data->serial != slot || v.auto_count != 0 || v.dead || file_items != static_cast<int64_t>(slot) * kChunkItems)
      return false;
    file_items += v.count;
  }
  if (file_items != mapped_items_) return false;
  // Both checks read every page of the map and of the ids: have the kernel map them in one go
  // (advisory; MADV_POPULATE_READ is Linux 5.14+) rather than one fault per few pages.
  if (stored.file_backed) madvise(stored.slots.data(), stored.capacity * 8, MADV_POPULATE_READ);
  if (!IdMap::check_stored(stored.slots.data(), stored.capacity, file_items))
    fail("ERR_ASCMH_INDEX_CORRUPT", "the id map stored in the file is damaged");
  map_.adopt(std::move(stored.slots), stored.capacity, file_items, stored.file_backed);
  // Every id must be found at its own position: this also refuses an id stored twice.
  std::atomic<bool> mismatch{false};
  std::atomic<int64_t> largest{INT64_MIN};
  ThreadPool::instance().parallel_for(file_items, 1 << 16, [&](int64_t p0, int64_t p1) {
    constexpr int64_t kBatch = 64;
    int64_t ids[kBatch];
    uint64_t at[kBatch];
    int64_t most = INT64_MIN;
    for (int64_t p = p0; p < p1 && !mismatch.load(std::memory_order_relaxed); p += kBatch) {
      const int64_t n = std::min(kBatch, p1 - p);
      for (int64_t j = 0; j < n; ++j) {
        at[j] = static_cast<uint64_t>(p + j);
        ids[j] = chunks_[static_cast<size_t>((p + j) >> kChunkBits)].ids->data()[(p + j) & (kChunkItems - 1)];
        most = std::max(most, ids[j]);
      }
      if (!map_.finds_at(ids, at, static_cast<size_t>(n))) mismatch = true;
    }
    for (int64_t seen = largest.load(); most > seen && !largest.compare_exchange_weak(seen, most);) {
    }
  });
  std::string refused;
  if (mismatch)
    refused = "the id map stored in the file does not match its ids (or an id occurs more than once)";
  else if (file_items > 0 && largest.load() >= next_auto_ && !(largest == INT64_MAX && next_auto_ == INT64_MAX))
    refused = "the next automatic id " + std::to_string(next_auto_) + " is already taken";
  if (!refused.empty()) {
    map_.clear();  // the adopted slots are not to be used
    fail("ERR_ASCMH_INDEX_CORRUPT", refused);
  }
  return true;
}

void HammingIndex::ensure_map() {
  if (map_valid_) return;
  // Ids in a mapped file are checked the first time they are read.
  ThreadPool::instance().parallel_for(static_cast<int64_t>(chunks_.size()), 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const ChunkView& v = chunks_[static_cast<size_t>(c)];
      if (v.data && v.data->check && v.data->file_ids) v.data->check->verify_ids(v.data->file_ids, v.data->file_first, v.count);
    }
  });
  if (!stored_map_error_.empty()) fail("ERR_ASCMH_INDEX_CORRUPT", stored_map_error_);
  if (stored_map_.capacity > 0) {
    bool adopted;
    try {
      adopted = adopt_stored_map();
    } catch (const CodedError& e) {
      if (e.code() == "ERR_ASCMH_INDEX_CORRUPT") stored_map_error_ = e.what();
      throw;
    }
    if (adopted) {
      map_valid_ = true;
      return;
    }
  }
  const int64_t largest = build_map(mapped_items_);
  // What add() guarantees, checked for content that came from a file (checksums can be forged).
  if (map_.duplicate_found())
    fail("ERR_ASCMH_INDEX_CORRUPT", "an id occurs more than once in the index's file");
  if (map_.size() > 0 && largest >= next_auto_ && !(largest == INT64_MAX && next_auto_ == INT64_MAX))
    fail("ERR_ASCMH_INDEX_CORRUPT", "the next automatic id " + std::to_string(next_auto_) + " is already taken");
  map_valid_ = true;
}

int64_t HammingIndex::build_map(int64_t room) {
  std::atomic<int64_t> largest{INT64_MIN};
  map_.rebuild(std::max(room, mapped_items_), [&](auto&& add) {  // runs on several threads at once
    int64_t most = INT64_MIN;
    for (size_t slot = 0; slot < chunks_.size(); ++slot) {
      const ChunkView& v = chunks_[slot];
      if (!v.data) continue;
      for (int64_t i = v.auto_count; i < v.count; ++i)
        if (!v.is_dead(i)) {
          const int64_t id = v.ids->data()[i];
          most = std::max(most, id);
          add(id, location(slot, i));
        }
    }
    for (int64_t seen = largest.load(); most > seen && !largest.compare_exchange_weak(seen, most);) {
    }
  });
  return largest.load();
}

void HammingIndex::check_new_ids(const int64_t* ids, int64_t count) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (mapped_items_ > 0) ensure_map();
  check_new_ids_locked(ids, count);
}

void HammingIndex::check_new_ids_locked(const int64_t* ids, int64_t count) {
  std::vector<int64_t> sorted(ids, ids + count);
  std::sort(sorted.begin(), sorted.end());
  const auto twice = std::adjacent_find(sorted.begin(), sorted.end());
  if (twice != sorted.end()) fail("ERR_ASCMH_DUPLICATE_ID", "id " + std::to_string(*twice) + " is repeated in the batch");
  Found f;
  for (int64_t i = 0; i < count; ++i)
    if (locate(ids[i], &f)) fail("ERR_ASCMH_DUPLICATE_ID", "id " + std::to_string(ids[i]) + " is already in the index");
}

namespace {
// Thrown inside add() when the id map meets an id twice; add() rolls back, then reports which.
struct DuplicateInAdd {};
}  // namespace

void HammingIndex::reserve_map(int64_t extra) {
  // Grown from the chunks (sequential reads, every pool thread) rather than from the map's own
  // slots, which would read each id back at random.
  if (!map_.has_room(map_.size() + extra)) build_map(map_.size() + extra + (map_.size() + extra) / 10);
}

void HammingIndex::add(const uint8_t* bytes, int64_t count, const int64_t* ids) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (count == 0) return;
  try {
    add_locked(bytes, count, ids);
  } catch (const DuplicateInAdd&) {
    // The state is restored: the sorting check names the id and says where the other one is.
    check_new_ids_locked(ids, count);
    fail("ERR_ASCMH_DUPLICATE_ID", "an id of the batch is repeated or already in the index");
  }
}

void HammingIndex::add_locked(const uint8_t* bytes, int64_t count, const int64_t* ids) {
  int64_t next_auto = next_auto_;
  // Ids that came from a file are checked (distinct, below the next automatic id) before the
  // first add relies on them. Explicit ids are checked against each other and the index by the
  // map as they go in (one probe each), and against the automatic ranges here.
  if (mapped_items_ > 0 || ids) ensure_map();
  if (ids) {
    Found f;
    if (!auto_ranges_.empty())
      for (int64_t i = 0; i < count; ++i)
        if (locate_auto(ids[i], &f)) throw DuplicateInAdd{};  // nothing changed yet
    for (int64_t i = 0; i < count; ++i)
      if (ids[i] >= next_auto) next_auto = ids[i] == INT64_MAX ? ids[i] : ids[i] + 1;
  } else if (next_auto > INT64_MAX - count) {
    fail("ERR_ASCMH_ID_RANGE", "automatic ids would overflow int64");
  }
  // Nothing is published until the whole batch is in; a failure (allocation, a repeated id)
  // restores the state.
  const std::vector<ChunkView> before = chunks_;
  const size_t serials = id_sources_.size();
  const int64_t mapped_before = mapped_items_;
  struct Inserted {
    size_t slot;
    int64_t begin, count;
  };
  std::vector<Inserted> inserted;
  auto restore = [&] {
    chunks_ = before;
    id_sources_.resize(serials);
    slot_of_serial_.resize(serials);
    for (size_t slot = 0; slot < chunks_.size(); ++slot)
      if (chunks_[slot].data) sync_ids(slot);
    mapped_items_ = mapped_before;
  };
  try {
    const size_t stride = static_cast<size_t>(words_) * 8;
    for (int64_t done = 0; done < count;) {
      size_t slot = chunks_.size();
      if (!chunks_.empty() && chunks_.back().data && chunks_.back().count < chunks_.back().data->capacity)
        slot = chunks_.size() - 1;
      if (slot == chunks_.size()) slot = append_chunk(count - done);
      ChunkView& v = chunks_[slot];
      const int64_t n = std::min(count - done, v.data->capacity - v.count);
      uint64_t* dst = v.data->codes.writable() + v.count * words_;
      std::memcpy(dst, bytes + static_cast<size_t>(done) * stride, static_cast<size_t>(n) * stride);
      clear_padding_bits(dst, n, bits_);
      if (!ids && !v.ids && v.auto_count == v.count && (v.count == 0 || v.first_id + v.count == next_auto_)) {
        if (v.count == 0) v.first_id = next_auto_;
        v.auto_count += n;
        next_auto_ += n;
      } else {
        if (!v.ids) materialize_ids(slot);
        int64_t* out = v.ids->owned.data() + v.count;
        for (int64_t i = 0; i < n; ++i) out[i] = ids ? ids[done + i] : next_auto_++;
        sync_ids(slot);  // the map reads ids back through id_sources_
        if (map_valid_) {
          reserve_map(n);  // before mapped_items_ counts the new ones: the chunks hold the map's ids
          const size_t in = map_.insert_new(out, location(slot, v.count), static_cast<size_t>(n));
          inserted.push_back({slot, v.count, static_cast<int64_t>(in)});
          if (in < static_cast<size_t>(n)) throw DuplicateInAdd{};
        }
        mapped_items_ += n;
      }
      v.count += n;
      sync_ids(slot);
      done += n;
    }
  } catch (const DuplicateInAdd&) {
    for (const Inserted& r : inserted)
      for (int64_t i = 0; i < r.count; ++i) map_.erase(chunks_[r.slot].ids->owned.data()[r.begin + i]);
    restore();
    throw;
  } catch (...) {
    // Out of memory, perhaps in the middle of growing the map: it is rebuilt at its next use.
    map_.clear();
    map_valid_ = false;
    restore();
    throw;
  }
  live_ += count;
  next_auto_ = std::max(next_auto_, next_auto);
  rebuild_auto_ranges();
  publish();
}

void HammingIndex::mark_dead(size_t slot, int64_t local, bool copy_mask) {
  ChunkView& v = chunks_[slot];
  if (!v.dead) {
    const int64_t capacity = std::max(v.data->capacity, v.count);
    v.dead = std::make_shared<const std::vector<uint64_t>>(static_cast<size_t>((capacity + 63) / 64), 0);
  } else if (copy_mask) {
    v.dead = std::make_shared<const std::vector<uint64_t>>(*v.dead);
  }
  // The mask is this chunk's own now (new, copied, or read by no other snapshot).
  auto& bits = const_cast<std::vector<uint64_t>&>(*v.dead);
  bits[static_cast<size_t>(local >> 6)] |= uint64_t(1) << (local & 63);
  ++v.dead_count;
}

int64_t HammingIndex::remove(const int64_t* ids, int64_t count) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (count == 0 || live_ == 0) return 0;
  // A mask may be changed in place only when no snapshot but the current one reads it, and no
  // search holds the current one (it cannot take it meanwhile: that needs the mutex held here).
  const bool current_held = current_.use_count() > 1;
  std::vector<uint8_t> owned(chunks_.size(), 0);
  std::vector<size_t> touched;
  int64_t removed = 0;
  Found f;
  for (int64_t i = 0; i < count; ++i) {
    if (!locate(ids[i], &f)) continue;
    ChunkView& v = chunks_[f.slot];
    const bool copy = !owned[f.slot] && v.dead && (current_held || v.dead.use_count() > 2);
    if (!owned[f.slot]) touched.push_back(f.slot);
    mark_dead(f.slot, f.local, copy);
    owned[f.slot] = 1;
    if (f.local >= v.auto_count && map_valid_) map_.erase(ids[i]);
    if (f.local >= v.auto_count) --mapped_items_;
    --live_;
    ++removed;
  }
  // A full chunk at least half removed is rewritten without its removed items (same order).
  for (const size_t slot : touched) {
    const ChunkView& v = chunks_[slot];
    const bool full = v.data->capacity == 0 || v.count == v.data->capacity;
    if (full && 2 * v.dead_count >= v.count) compact(slot);
  }
  rebuild_auto_ranges();
  publish();
  return removed;
}

void HammingIndex::compact(size_t slot) {
  const ChunkView old = chunks_[slot];
  const int64_t kept = old.count - old.dead_count;
  if (kept == 0) {
    slot_of_serial_[old.data->serial] = -1;
    chunks_[slot] = ChunkView{};
    return;
  }
  if (old.data->check) old.data->check->verify_codes(old.data->file_codes, old.data->file_first, old.count);
  auto data = std::make_shared<ChunkData>();
  data->serial = static_cast<uint32_t>(id_sources_.size());
  data->capacity = kept;  // full: new items go to a new chunk
  data->codes.owned = LargeArray<uint64_t>(static_cast<size_t>(kept) * words_);
  auto ids = std::make_shared<ChunkArray<int64_t>>();
  ids->owned = LargeArray<int64_t>(static_cast<size_t>(kept));
  int64_t j = 0;
  for (int64_t i = 0; i < old.count; ++i) {
    if (old.is_dead(i)) continue;
    std::memcpy(data->codes.owned.data() + j * words_, old.data->codes.data() + i * words_, static_cast<size_t>(words_) * 8);
    ids->owned[static_cast<size_t>(j)] = old.id(i);
    ++j;
  }
  ChunkView next;
  next.data = data;
  next.count = kept;
  next.ids = ids;
  id_sources_.push_back({0, 0, ids});
  slot_of_serial_.push_back(static_cast<int64_t>(slot));
  // Every kept item is now found through the map; the old serial still resolves while it moves.
  if (map_valid_) {
    map_.reserve(map_.size() + std::min(old.auto_count, kept));
    for (int64_t i = 0, k = 0; i < old.count; ++i) {
      if (old.is_dead(i)) continue;
      const uint64_t moved = (static_cast<uint64_t>(data->serial) << kChunkBits) | static_cast<uint64_t>(k++);
      if (i < old.auto_count) map_.insert(old.id(i), moved);
      else map_.relocate(old.id(i), moved);
    }
  }
  for (int64_t i = 0; i < std::min(old.auto_count, old.count); ++i)
    if (!old.is_dead(i)) ++mapped_items_;
  slot_of_serial_[old.data->serial] = -1;
  chunks_[slot] = next;
}

bool HammingIndex::get(int64_t id, uint64_t* code_out) {
  std::lock_guard<std::mutex> lock(mutex_);
  Found f;
  if (!locate(id, &f)) return false;
  const ChunkView& v = chunks_[f.slot];
  if (v.data->check) v.data->check->verify_codes(v.data->file_codes, v.data->file_first + f.local, 1);
  std::memcpy(code_out, v.data->codes.data() + f.local * words_, static_cast<size_t>(words_) * 8);
  return true;
}

uint64_t HammingIndex::owned_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  uint64_t bytes = map_.bytes();
  for (const ChunkView& v : chunks_) {
    if (!v.data) continue;
    if (v.data->capacity > 0) bytes += static_cast<uint64_t>(v.count) * words_ * 8;
    if (v.ids && !v.ids->view) bytes += static_cast<uint64_t>(v.count) * 8;
    if (v.dead) bytes += v.dead->size() * 8;
  }
  return bytes;
}

// ---- files --------------------------------------------------------------------------------------

bool HammingIndex::translate_map(const Snapshot& s, const std::vector<int64_t>& chunk_start,
                                 LargeArray<uint64_t>& out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  // The map is s's only while s is the current snapshot: every change publishes a new one.
  if (current_.get() != &s || !map_valid_ || map_.has_erased() || map_.size() != s.live) return false;
  // Per chunk with removals, the removed items before each word. (s is current, so
  // slot_of_serial_ gives its chunk slots.)
  std::vector<std::vector<int64_t>> dead_before(s.chunks.size());
  for (size_t slot = 0; slot < s.chunks.size(); ++slot) {
    const ChunkView& v = s.chunks[slot];
    if (!v.data || !v.dead) continue;
    std::vector<int64_t>& before = dead_before[slot];
    before.assign(v.dead->size() + 1, 0);
    for (size_t w = 0; w < v.dead->size(); ++w) before[w + 1] = before[w] + __builtin_popcountll((*v.dead)[w]);
  }
  const uint64_t* slots = map_.slots();
  const size_t capacity = map_.capacity();
  LargeArray<uint64_t> translated(capacity);
  std::atomic<bool> mismatch{false};
  // Every pool thread writes its share: the fresh pages are first touched in parallel.
  constexpr int64_t kPiece = int64_t(1) << 18;
  ThreadPool::instance().parallel_for((static_cast<int64_t>(capacity) + kPiece - 1) / kPiece, 1, [&](int64_t p0, int64_t p1) {
    const size_t end = std::min(capacity, static_cast<size_t>(p1 * kPiece));
    for (size_t i = static_cast<size_t>(p0 * kPiece); i < end; ++i) {
      const uint64_t v = slots[i];
      if (v == 0) {
        translated[i] = 0;
        continue;
      }
      // The map's own locations, checked as if they came from outside: a mismatch means rebuild.
      const uint64_t location = IdMap::location_of(v);
      const uint64_t serial = location >> kChunkBits;
      const int64_t local = static_cast<int64_t>(location & (kChunkItems - 1));
      if (serial >= slot_of_serial_.size() || slot_of_serial_[serial] < 0) return void(mismatch = true);
      const size_t slot = static_cast<size_t>(slot_of_serial_[serial]);
      if (slot >= s.chunks.size() || !s.chunks[slot].data || s.chunks[slot].data->serial != serial)
        return void(mismatch = true);
      const ChunkView& c = s.chunks[slot];
      if (local >= c.count || c.is_dead(local)) return void(mismatch = true);
      int64_t rank = local;
      if (c.dead) {
        const uint64_t below = (*c.dead)[static_cast<size_t>(local >> 6)] & ((uint64_t(1) << (local & 63)) - 1);
        rank -= dead_before[slot][static_cast<size_t>(local >> 6)] + __builtin_popcountll(below);
      }
      translated[i] = IdMap::with_location(v, static_cast<uint64_t>(chunk_start[slot] + rank));
    }
  });
  if (mismatch) return false;
  out = std::move(translated);
  return true;
}

void HammingIndex::save(const std::string& path, uint64_t covered_seq) const {
  std::shared_ptr<const Snapshot> s;
  int64_t next_auto;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    s = current_;
    next_auto = next_auto_;
  }
  s->verify_codes();
  // Live items in insertion order; ids are stored unless they run first_id, first_id + 1, ...
  int64_t first_id = 0;
  bool consecutive = true, first = true;
  int64_t expect = 0;
  for (size_t slot = 0; slot < s->chunks.size() && consecutive; ++slot) {
    const ChunkView& v = s->chunks[slot];
    if (!v.data) continue;
    for (int64_t i = 0; i < v.count; ++i) {
      if (v.is_dead(i)) continue;
      if (v.data->check && v.data->file_ids && i >= v.auto_count)
        v.data->check->verify_ids(v.data->file_ids, v.data->file_first + i, 1);
      const int64_t id = v.id(i);
      if (first) {
        first_id = expect = id;
        first = false;
      }
      if (id != expect) {
        consecutive = false;
        break;
      }
      ++expect;
    }
  }
  IndexFileContent content;
  content.bits = bits_;
  content.count = s->live;
  content.next_auto = next_auto;
  content.first_id = first_id;
  content.ids_stored = !consecutive;
  content.covered_seq = covered_seq;
  // A cursor over the live items, advanced as the writer asks for them in order.
  struct Cursor {
    size_t slot = 0;
    int64_t local = 0;
  };
  auto advance = [&](Cursor& c) {
    while (c.slot < s->chunks.size()) {
      const ChunkView& v = s->chunks[c.slot];
      if (v.data && c.local < v.count && !v.is_dead(c.local)) return;
      if (!v.data || c.local >= v.count) {
        ++c.slot;
        c.local = 0;
      } else {
        ++c.local;
      }
    }
  };
  // With stored ids the file also stores the id map over its positions, so opening it needs no
  // rebuild. The map reads an id back only on a fingerprint collision (rare): position -> chunk by
  // a search over the chunks' first positions, then the live item of that rank in the chunk.
  std::vector<int64_t> chunk_start(s->chunks.size() + 1, 0);
  for (size_t slot = 0; content.ids_stored && slot < s->chunks.size(); ++slot) {
    const ChunkView& v = s->chunks[slot];
    int64_t live = 0;
    if (v.data) {
      if (!v.dead) live = v.count;
      else
        for (int64_t i = 0; i < v.count; ++i) live += !v.is_dead(i);
    }
    chunk_start[slot + 1] = chunk_start[slot] + live;
  }
  auto id_at_position = [&](uint64_t q) -> int64_t {
    const size_t slot = static_cast<size_t>(
        std::upper_bound(chunk_start.begin(), chunk_start.end(), static_cast<int64_t>(q)) - chunk_start.begin() - 1);
    const ChunkView& v = s->chunks[slot];
    int64_t rank = static_cast<int64_t>(q) - chunk_start[slot], i = 0;
    if (v.dead)
      for (;; ++i)
        if (!v.is_dead(i) && rank-- == 0) break;
    return v.id(v.dead ? i : rank);
  };
  IdMap file_map(id_at_position);
  LargeArray<uint64_t> translated;
  if (content.ids_stored) {
    for (const ChunkView& v : s->chunks)
      if (v.data && v.data->check && v.data->file_ids && v.auto_count < v.count)
        v.data->check->verify_ids(v.data->file_ids, v.data->file_first + v.auto_count, v.count - v.auto_count);
    if (translate_map(*s, chunk_start, translated)) {
      content.map_slots = translated.data();
      content.map_capacity = translated.size();
    } else {
      file_map.rebuild(s->live, [&](auto&& add) {  // on every pool thread
        uint64_t q = 0;
        for (const ChunkView& v : s->chunks) {
          if (!v.data) continue;
          for (int64_t i = 0; i < v.count; ++i)
            if (!v.is_dead(i)) add(v.id(i), q++);
        }
      });
      content.map_slots = file_map.slots();
      content.map_capacity = file_map.capacity();
    }
  }
  Cursor codes_at, ids_at;
  write_index_file(
      path, content,
      [&](int64_t, int64_t n, uint64_t* out) {
        for (int64_t i = 0; i < n; ++i, ++codes_at.local) {
          advance(codes_at);
          std::memcpy(out + i * words_, s->chunks[codes_at.slot].data->codes.data() + codes_at.local * words_,
                      static_cast<size_t>(words_) * 8);
        }
      },
      [&](int64_t, int64_t n, int64_t* out) {
        for (int64_t i = 0; i < n; ++i, ++ids_at.local) {
          advance(ids_at);
          out[i] = s->chunks[ids_at.slot].id(ids_at.local);
        }
      });
}

namespace {

struct OpenFile {
  int fd = -1;
  ~OpenFile() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::unique_ptr<HammingIndex> HammingIndex::load(const std::string& path, uint64_t* covered_seq) {
  OpenFile f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) io_error("cannot open", path, errno);
  struct stat st;
  if (::fstat(f.fd, &st) != 0) io_error("cannot read", path, errno);
  const IndexFileInfo info = read_index_header(f.fd, static_cast<uint64_t>(st.st_size), path);
  auto index = std::make_unique<HammingIndex>(info.bits);
  HammingIndex& x = *index;
  const int words = info.words;
  // Chunks of kChunkItems, read straight into their memory; each piece is hashed while in cache.
  Checksum64 v1_sum;
  std::vector<size_t> slots;
  for (int64_t first = 0; first < info.count; first += kChunkItems) {
    const int64_t n = std::min(kChunkItems, info.count - first);
    const size_t slot = x.append_chunk(kChunkItems);
    ChunkView& v = x.chunks_[slot];
    uint64_t* codes = v.data->codes.writable();
    if (!read_at(f.fd, codes, static_cast<size_t>(n) * words * 8, info.codes_offset + static_cast<uint64_t>(first) * words * 8, path))
      throw CodedError("ERR_ASCMH_INDEX_TRUNCATED", path + " ended early");
    v.count = n;
    slots.push_back(slot);
    if (info.version == 1) {
      v1_sum.update(codes, static_cast<size_t>(n) * words);
    } else {
      for (int64_t b = 0; b < n; b += info.block_items) {
        const int64_t items = std::min(info.block_items, n - b), block = (first + b) / info.block_items;
        uint64_t want;
        if (!read_at(f.fd, &want, 8, info.sums_offset + static_cast<uint64_t>(block) * 8, path))
          throw CodedError("ERR_ASCMH_INDEX_TRUNCATED", path + " ended early");
        if (block_checksum(static_cast<uint64_t>(block), codes + b * words, static_cast<size_t>(items * words)) != want)
          throw CodedError("ERR_ASCMH_INDEX_CORRUPT", path + ": codes of block " + std::to_string(block) + " do not match their checksum");
      }
    }
    if (info.bits % 64) {
      const uint64_t high = ~((uint64_t(1) << (info.bits % 64)) - 1);
      for (int64_t i = 0; i < n; ++i)
        if (codes[i * words + words - 1] & high)
          throw CodedError("ERR_ASCMH_INDEX_CORRUPT", path + ": code bits set beyond the code width");
    }
  }
  for (size_t c = 0; c < slots.size(); ++c) {
    ChunkView& v = x.chunks_[slots[c]];
    const int64_t first = static_cast<int64_t>(c) * kChunkItems;
    if (!info.ids_stored) {
      v.first_id = info.first_id + first;
      v.auto_count = v.count;
    } else {
      v.ids = std::make_shared<ChunkArray<int64_t>>();
      v.ids->owned = LargeArray<int64_t>(static_cast<size_t>(v.data->capacity));
      int64_t* ids = v.ids->owned.data();
      if (!read_at(f.fd, ids, static_cast<size_t>(v.count) * 8, info.ids_offset + static_cast<uint64_t>(first) * 8, path))
        throw CodedError("ERR_ASCMH_INDEX_TRUNCATED", path + " ended early");
      if (info.version == 1) {
        v1_sum.update(reinterpret_cast<const uint64_t*>(ids), static_cast<size_t>(v.count));
      } else {
        for (int64_t b = 0; b < v.count; b += info.block_items) {
          const int64_t items = std::min(info.block_items, v.count - b), block = (first + b) / info.block_items;
          uint64_t want;
          if (!read_at(f.fd, &want, 8, info.sums_offset + static_cast<uint64_t>(info.blocks + block) * 8, path))
            throw CodedError("ERR_ASCMH_INDEX_TRUNCATED", path + " ended early");
          if (block_checksum(static_cast<uint64_t>(block), reinterpret_cast<const uint64_t*>(ids + b), static_cast<size_t>(items)) != want)
            throw CodedError("ERR_ASCMH_INDEX_CORRUPT", path + ": ids of block " + std::to_string(block) + " do not match their checksum");
        }
      }
      x.mapped_items_ += v.count;
    }
    x.sync_ids(slots[c]);
  }
  if (info.version == 1 && v1_sum.value() != info.v1_payload_sum)
    throw CodedError("ERR_ASCMH_INDEX_CORRUPT", path + ": data checksum mismatch");
  if (info.version >= 2) {
    // A whole read checks the rest too: the padding between sections and the checksum table.
    const uint64_t codes_end = info.codes_offset + static_cast<uint64_t>(info.count) * info.words * 8;
    const uint64_t ids_end = info.ids_stored ? info.ids_offset + static_cast<uint64_t>(info.count) * 8 : codes_end;
    const uint64_t map_end = info.map_stored ? info.map_offset + info.map_capacity * 8 : ids_end;
    const std::pair<uint64_t, uint64_t> gaps[3] = {{codes_end, info.ids_stored ? info.ids_offset : codes_end},
                                                   {ids_end, info.map_stored ? info.map_offset : ids_end},
                                                   {map_end, info.sums_offset}};
    std::vector<uint8_t> gap;
    for (const auto& g : gaps) {
      gap.resize(static_cast<size_t>(g.second - g.first));
      if (!read_at(f.fd, gap.data(), gap.size(), g.first, path)) throw CodedError("ERR_ASCMH_INDEX_TRUNCATED", path + " ended early");
      if (std::any_of(gap.begin(), gap.end(), [](uint8_t b) { return b != 0; }))
        throw CodedError("ERR_ASCMH_INDEX_CORRUPT", path + ": padding between sections is not zero");
    }
    std::vector<uint64_t> table(static_cast<size_t>(info.blocks * (info.ids_stored ? 2 : 1)) + 1);
    if (!read_at(f.fd, table.data(), table.size() * 8, info.sums_offset, path))
      throw CodedError("ERR_ASCMH_INDEX_TRUNCATED", path + " ended early");
    if (Checksum64::of(table.data(), table.size() - 1) != table.back())
      throw CodedError("ERR_ASCMH_INDEX_CORRUPT", path + ": block checksum table mismatch");
  }
  if (info.map_stored) {
    x.stored_map_.slots = LargeArray<uint64_t>(static_cast<size_t>(info.map_capacity));
    x.stored_map_.capacity = info.map_capacity;
    if (!read_at(f.fd, x.stored_map_.slots.data(), static_cast<size_t>(info.map_capacity) * 8, info.map_offset, path))
      throw CodedError("ERR_ASCMH_INDEX_TRUNCATED", path + " ended early");
  }
  x.live_ = info.count;
  x.next_auto_ = info.next_auto;
  // Ids from a file are checked as add() would have: distinct, and below the next automatic id.
  try {
    x.ensure_map();
  } catch (const CodedError& e) {
    throw CodedError(e.code(), path + ": " + e.what());
  }
  x.rebuild_auto_ranges();
  x.publish();
  if (covered_seq) *covered_seq = info.covered_seq;
  return index;
}

std::unique_ptr<HammingIndex> HammingIndex::open_mapped(const std::string& path, uint64_t* covered_seq) {
  {
    OpenFile f;
    f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (f.fd < 0) io_error("cannot open", path, errno);
    struct stat st;
    if (::fstat(f.fd, &st) != 0) io_error("cannot read", path, errno);
    if (read_index_header(f.fd, static_cast<uint64_t>(st.st_size), path).version == 1) return load(path, covered_seq);
  }
  MappedIndexFile m = map_index_file(path);
  const IndexFileInfo& info = m.check->info();
  auto index = std::make_unique<HammingIndex>(info.bits);
  HammingIndex& x = *index;
  for (int64_t first = 0; first < info.count; first += kChunkItems) {
    const int64_t n = std::min(kChunkItems, info.count - first);
    auto data = std::make_shared<ChunkData>();
    data->serial = static_cast<uint32_t>(x.id_sources_.size());
    data->codes.view = m.codes + first * info.words;
    data->codes.keep = m.file;
    data->check = m.check;
    data->file_codes = m.codes;
    data->file_ids = m.ids;
    data->file_first = first;
    ChunkView v;
    v.data = data;
    v.count = n;
    if (m.ids) {
      v.ids = std::make_shared<ChunkArray<int64_t>>();
      v.ids->view = m.ids + first;
      v.ids->keep = m.file;
      x.mapped_items_ += n;
    } else {
      v.first_id = info.first_id + first;
      v.auto_count = n;
    }
    x.chunks_.push_back(v);
    x.slot_of_serial_.push_back(static_cast<int64_t>(x.chunks_.size() - 1));
    x.id_sources_.push_back({v.first_id, v.auto_count, v.ids});
  }
  if (info.map_stored) {
    const uint64_t bytes = (info.map_capacity * 8 + 4095) / 4096 * 4096;
    x.stored_map_.slots = LargeArray<uint64_t>::from_mapping(m.file->map_private(info.map_offset, bytes),
                                                            static_cast<size_t>(info.map_capacity), static_cast<size_t>(bytes));
    x.stored_map_.capacity = info.map_capacity;
    x.stored_map_.file_backed = true;
  }
  x.live_ = info.count;
  x.next_auto_ = info.next_auto;
  x.rebuild_auto_ranges();
  x.publish();
  if (covered_seq) *covered_seq = info.covered_seq;
  return index;
}

}  // namespace ascmh
