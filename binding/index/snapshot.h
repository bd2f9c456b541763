// The data of a Hamming index as one search sees it.
//
// Codes live in chunks of at most kChunkItems items, in insertion order. Chunk k holds positions
// [k << kChunkBits, ...), so a position names its chunk without a search, and positions still order
// items by insertion (ties in a ranking go to the item added first). A chunk is either memory the
// index owns, appended to in place (readers see only the items of their snapshot), or a view of a
// mapped file. Ids are first_id + i for a chunk's automatic prefix and come from an id array after
// it; a chunk whose ids are all automatic has no id array at all. Removed items are bits in a
// copy-on-write mask per chunk.
//
// A Snapshot is immutable: add, remove and compaction publish a new one and never change what an
// older one refers to, so a search sees exactly the state of its call.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/large_array.h"
#include "storage/index_file.h"

namespace ascmh {

constexpr int kChunkBits = 20;
constexpr int64_t kChunkItems = int64_t(1) << kChunkBits;

// The memory of one chunk's codes or ids: owned, or inside a mapping kept alive by `keep`.
template <class T>
struct ChunkArray {
  LargeArray<T> owned;
  const T* view = nullptr;
  std::shared_ptr<const void> keep;
  const T* data() const { return view ? view : owned.data(); }
  T* writable() { return owned.data(); }
};

struct ChunkData {
  uint32_t serial = 0;            // stable name for id-map locations (survives compaction of others)
  int64_t capacity = 0;           // items the owned memory holds (0 for a view)
  ChunkArray<uint64_t> codes;     // items x words
  // For a view of a mapped file: the checks of its blocks, and the file's codes and ids regions
  // with the file position of this chunk's item 0.
  std::shared_ptr<const BlockCheck> check;
  const uint64_t* file_codes = nullptr;
  const int64_t* file_ids = nullptr;
  int64_t file_first = 0;
};

struct ChunkView {
  std::shared_ptr<ChunkData> data;  // null for a slot whose items were all removed
  int64_t count = 0;                // items of this chunk in the snapshot
  int64_t first_id = 0;
  int64_t auto_count = 0;           // items [0, auto_count) have id first_id + i
  std::shared_ptr<ChunkArray<int64_t>> ids;  // ids of all items; null when auto_count == count
  std::shared_ptr<const std::vector<uint64_t>> dead;  // removed items as bits; null when none
  int64_t dead_count = 0;

  int64_t id(int64_t local) const { return local < auto_count ? first_id + local : ids->data()[local]; }
  bool is_dead(int64_t local) const { return dead && ((*dead)[local >> 6] >> (local & 63)) & 1; }
};

struct Snapshot {
  int bits = 0, words = 0;
  std::vector<ChunkView> chunks;  // chunk k holds positions [k << kChunkBits, (k << kChunkBits) + count)
  int64_t live = 0;               // items not removed

  const ChunkView& chunk_of(int64_t position) const { return chunks[static_cast<size_t>(position >> kChunkBits)]; }
  static int64_t local_of(int64_t position) { return position & (kChunkItems - 1); }
  int64_t id_at(int64_t position) const { return chunk_of(position).id(local_of(position)); }
  const uint64_t* code_at(int64_t position) const {
    return chunk_of(position).data->codes.data() + local_of(position) * words;
  }
  // Checks the blocks of mapped chunks a full scan reads (once per block and process).
  void verify_codes() const;
  // Checks the id blocks of mapped chunks that hold these positions.
  void verify_ids(const int64_t* positions, int64_t count) const;
};

}  // namespace ascmh
