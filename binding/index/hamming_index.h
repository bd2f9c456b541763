// The exact Hamming index: chunks of codes (index/snapshot.h), automatic or explicit int64 ids,
// removal by copy-on-write bit masks, and an id map for explicit ids (index/id_map.h).
//
// Costs: add copies each code once, straight from the caller's bytes into chunk memory (huge
// pages); automatic ids take no memory; explicit ids take 8 bytes per code plus at most 16 in the
// map, which is built on first need (get, remove, an explicit add) and kept up to date after that;
// remove and get cost O(ids) (plus copying a touched chunk's mask while a search still holds it).
// A file stores the map over its positions, so after an open the first remove only checks it.
// Writers are serialised by a mutex; a search takes the current Snapshot and is never disturbed.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.h"
#include "index/id_map.h"
#include "index/snapshot.h"

namespace ascmh {

class HammingIndex {
 public:
  explicit HammingIndex(int bits);
  int bits() const { return bits_; }
  std::shared_ptr<const Snapshot> snapshot() const;

  // count codes of words_per_code(bits) 64-bit words each, at `bytes` (any alignment), copied once
  // with the bits above `bits` cleared. ids null: automatic ids, continuing after the largest id
  // the index has seen. Throws (and changes nothing) on a duplicate id or an id range overflow.
  void add(const uint8_t* bytes, int64_t count, const int64_t* ids);
  // Throws ERR_ASCMH_DUPLICATE_ID if any of these ids is present or repeated: what add would check.
  // Takes the writers' lock (another thread may be adding meanwhile).
  void check_new_ids(const int64_t* ids, int64_t count);
  int64_t remove(const int64_t* ids, int64_t count);  // returns how many were present
  bool get(int64_t id, uint64_t* code_out);
  int64_t next_automatic_id() const;

  // Writes a version 3 file (temporary file, fsync, rename) with an id map over its positions when
  // it stores ids; covered_seq is for the durable index.
  void save(const std::string& path, uint64_t covered_seq = 0) const;
  // Reads a whole file (version 1, 2 or 3) into memory, checking everything.
  static std::unique_ptr<HammingIndex> load(const std::string& path, uint64_t* covered_seq = nullptr);
  // Maps a version 2 or 3 file (version 1 files are loaded); blocks are checked on first use, and a
  // stored id map (mapped privately: a remove copies only the pages it writes) before its first use.
  static std::unique_ptr<HammingIndex> open_mapped(const std::string& path, uint64_t* covered_seq = nullptr);

  // Memory the index holds beyond mapped files: touched code and id pages, masks and the id map.
  uint64_t owned_bytes() const;

 private:
  struct AutoRange {
    int64_t first_id, count;
    size_t slot;
  };
  struct Found {
    size_t slot;
    int64_t local;
  };
  bool locate(int64_t id, Found* out);
  // locate() among the automatic-id ranges only.
  bool locate_auto(int64_t id, Found* out) const;
  void check_new_ids_locked(const int64_t* ids, int64_t count);
  void ensure_map();
  // Builds the map from the chunks with room for `room` ids; returns the largest id in it.
  int64_t build_map(int64_t room);
  // Room in the map for `extra` more ids.
  void reserve_map(int64_t extra);
  void add_locked(const uint8_t* bytes, int64_t count, const int64_t* ids);
  // The id map over the file positions of snapshot s (the rank of each live item; chunk_start[c]:
  // live items before chunk c), translated from the in-memory map when that is exactly s's (no
  // erased slots, every live item in it): false, touching nothing, otherwise.
  bool translate_map(const Snapshot& s, const std::vector<int64_t>& chunk_start, LargeArray<uint64_t>& out) const;
  uint64_t location(size_t slot, int64_t local) const {
    return (static_cast<uint64_t>(chunks_[slot].data->serial) << kChunkBits) | static_cast<uint64_t>(local);
  }
  int64_t id_at_location(uint64_t location) const;
  void sync_ids(size_t slot);
  size_t append_chunk(int64_t wanted);
  void materialize_ids(size_t slot);
  void compact(size_t slot);
  void publish();
  void rebuild_auto_ranges();
  void mark_dead(size_t slot, int64_t local, bool copy_mask);

  int bits_, words_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> current_;
  // The writer's state, published as snapshots.
  std::vector<ChunkView> chunks_;
  std::vector<int64_t> slot_of_serial_;  // -1 once a chunk is replaced or gone
  // The ids of every chunk by serial, for the id map: a replaced chunk's still resolve while its
  // items move.
  struct IdSource {
    int64_t first_id = 0, auto_count = 0;
    std::shared_ptr<ChunkArray<int64_t>> ids;
  };
  std::vector<IdSource> id_sources_;
  std::vector<AutoRange> auto_ranges_;   // ascending first_id
  int64_t live_ = 0, next_auto_ = 0;
  int64_t mapped_items_ = 0;             // items held by ids outside auto prefixes
  IdMap map_;
  bool map_valid_ = false;
  // The id map read or mapped from the file, adopted (after checks) at the first use of the map.
  struct StoredMap {
    LargeArray<uint64_t> slots;
    uint64_t capacity = 0;
    bool file_backed = false;
  } stored_map_;
  // Why the stored map was refused: every later use of the map fails the same way.
  std::string stored_map_error_;
  bool adopt_stored_map();
};

}  // namespace ascmh
