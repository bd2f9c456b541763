// Index files. Version 3 (written by save and checkpoint) is laid out for mapping:
//
//   bytes 0..4095   header: "ASCMHIX2", u32 version 3, u32 bits, u64 count, i64 next automatic id,
//                   u64 flags (bit 0: ids stored, bit 1: id map stored), i64 first id (ids are
//                   first_id + i when not stored), u64 items per block, u64 blocks, u64 offsets of
//                   the codes, the ids and the block checksums, u64 file size, u64 covered log
//                   sequence, u64 offset of the id map, u64 its slot count; its last 8 bytes are a
//                   checksum of the 4,088 before them
//   codes_offset    count x ceil(bits/64) little-endian 64-bit words, page aligned
//   ids_offset      count x i64, page aligned (when stored)
//   map_offset      the id map over file positions (index/id_map.h's slots), page aligned, stored
//                   exactly when the ids are; opening maps it privately instead of rebuilding it
//   sums_offset     per block the checksum of its codes, then of its ids (when stored), then a
//                   checksum of this table
//
// Opening checks the header and the checksum table only; each block's checksum is checked the
// first time a search, a lookup or a load reads the block, so a damaged block is reported (as
// ERR_ASCMH_INDEX_CORRUPT) before any result computed from it is returned. The id map has no
// checksum: before its first use every slot is checked and every id looked up in it (a forged
// map is refused like a damaged one). Version 2 files (the same without the map) and version 1
// files (48-byte header, codes, ids, one checksum of both) are still read.
#pragma once
#include <atomic>
#include <functional>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "storage/mapped_file.h"

namespace ascmh {

constexpr uint32_t kIndexFileVersion = 3;

struct IndexFileInfo {
  uint32_t version = 0;
  int bits = 0, words = 0;
  int64_t count = 0;
  int64_t next_auto = 0;
  bool ids_stored = false;
  int64_t first_id = 0;
  int64_t block_items = 0, blocks = 0;
  uint64_t codes_offset = 0, ids_offset = 0, sums_offset = 0, file_bytes = 0;
  uint64_t covered_seq = 0;
  uint64_t v1_payload_sum = 0;  // version 1: the one checksum of codes and ids
  bool map_stored = false;      // version 3 with ids: the id map's slots at map_offset
  uint64_t map_offset = 0, map_capacity = 0;
};

// Reads and checks the header of the file open on fd (size bytes). Throws ERR_ASCMH_INDEX_FORMAT,
// _VERSION, _TRUNCATED or _CORRUPT naming `path`.
IndexFileInfo read_index_header(int fd, uint64_t size, const std::string& path);

// The checksum of block b's codes (or ids) as a version 2 file stores it.
uint64_t block_checksum(uint64_t block, const uint64_t* words, size_t count);

// Verifies blocks of a version 2 file on first use; thread-safe.
class BlockCheck {
 public:
  BlockCheck(IndexFileInfo info, std::vector<uint64_t> sums, std::string path);
  // Items [first, first + count) of the file: throws ERR_ASCMH_INDEX_CORRUPT if one of their
  // blocks does not match its checksum, or (codes) has bits set above the code length.
  // `codes`/`ids` point at the whole file's regions.
  void verify_codes(const uint64_t* codes, int64_t first, int64_t count) const;
  void verify_ids(const int64_t* ids, int64_t first, int64_t count) const;
  bool all_codes_verified() const { return all_codes_.load(std::memory_order_acquire); }
  const IndexFileInfo& info() const { return info_; }

 private:
  void verify(int which, const uint64_t* words, int64_t first, int64_t count) const;
  IndexFileInfo info_;
  std::vector<uint64_t> sums_;  // codes sums, then ids sums
  std::string path_;
  std::unique_ptr<std::atomic<uint8_t>[]> verified_;  // per block: bit 0 codes, bit 1 ids
  mutable std::atomic<int64_t> codes_left_;
  mutable std::atomic<bool> all_codes_{false};
};

// A mapped version 2 or 3 file with its block checks.
struct MappedIndexFile {
  std::shared_ptr<MappedFile> file;
  std::shared_ptr<BlockCheck> check;
  const uint64_t* codes = nullptr;
  const int64_t* ids = nullptr;  // null when not stored
};
MappedIndexFile map_index_file(const std::string& path);  // versions 2 and 3

// Writes a version 3 file through a ReplacementFile (temporary, fsync, rename). codes(i, n, out)
// and ids(i, n, out) fill items [i, i + n) in order; ids is unused when !ids_stored, and then
// map_slots too (otherwise: map_capacity slots of an id map over file positions).
struct IndexFileContent {
  int bits = 0;
  int64_t count = 0, next_auto = 0, first_id = 0;
  bool ids_stored = false;
  uint64_t covered_seq = 0;
  const uint64_t* map_slots = nullptr;
  uint64_t map_capacity = 0;
};
using FillCodes = std::function<void(int64_t first, int64_t count, uint64_t* out)>;
using FillIds = std::function<void(int64_t first, int64_t count, int64_t* out)>;
void write_index_file(const std::string& path, const IndexFileContent& content, const FillCodes& codes,
                      const FillIds& ids);

}  // namespace ascmh
