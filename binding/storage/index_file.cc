#include "storage/index_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/codes.h"
#include "core/error.h"
#include "storage/checksum.h"
#include "storage/posix_file.h"

namespace ascmh {
namespace {

constexpr char kMagicV1[8] = {'A', 'S', 'C', 'M', 'H', 'I', 'X', '1'};
constexpr char kMagicV2[8] = {'A', 'S', 'C', 'M', 'H', 'I', 'X', '2'};
constexpr size_t kV1Header = 48, kV2Header = 4096, kPage = 4096;
constexpr uint64_t kMaxCount = uint64_t(1) << 40;

[[noreturn]] void corrupt(const std::string& path, const std::string& why) {
  throw CodedError("ERR_ASCMH_INDEX_CORRUPT", path + ": " + why);
}

template <class T>
T field(const unsigned char* h, size_t at) {
  T v;
  std::memcpy(&v, h + at, sizeof v);
  return v;
}
template <class T>
void put(unsigned char* h, size_t at, T v) {
  std::memcpy(h + at, &v, sizeof v);
}

uint64_t header_sum_v1(const unsigned char* h) {
  uint64_t w[5];
  std::memcpy(w, h, 40);
  return Checksum64::of(w, 5);
}

uint64_t header_sum_v2(const unsigned char* h) {
  Checksum64 c;
  c.update_bytes(h, kV2Header - 8);
  return c.value();
}

uint64_t round_up(uint64_t x, uint64_t to) { return (x + to - 1) / to * to; }

// Items per checksum block: about 1 MiB of codes, a power of two that divides a chunk.
int64_t block_items_for(int words) {
  int64_t items = 1;
  while (items * 2 * words * 8 <= (int64_t(1) << 20) && items * 2 <= (int64_t(1) << 20)) items *= 2;
  return items;
}

}  // namespace

uint64_t block_checksum(uint64_t block, const uint64_t* words, size_t count) {
  Checksum64 c;
  c.update(&block, 1);  // a block moved elsewhere in the file does not match
  c.update(words, count);
  return c.value();
}

IndexFileInfo read_index_header(int fd, uint64_t size, const std::string& path) {
  unsigned char h[kV2Header] = {};
  const size_t got = static_cast<size_t>(std::min<uint64_t>(size, kV2Header));
  if (!read_at(fd, h, got, 0, path)) throw CodedError("ERR_ASCMH_INDEX_TRUNCATED", path + " ended while reading");
  IndexFileInfo info;
  const bool v1 = got >= 8 && std::memcmp(h, kMagicV1, 8) == 0, v2 = got >= 8 && std::memcmp(h, kMagicV2, 8) == 0;
  if (got >= 8 && !v1 && !v2) throw CodedError("ERR_ASCMH_INDEX_FORMAT", path + " is not an ascmh Hamming index file");
  if (v1) {
    if (got < kV1Header) throw CodedError("ERR_ASCMH_INDEX_TRUNCATED", path + " is truncated (incomplete header)");
    if (field<uint64_t>(h, 40) != header_sum_v1(h)) corrupt(path, "header checksum mismatch");
    info.version = field<uint32_t>(h, 8);
    if (info.version != 1)
      throw CodedError("ERR_ASCMH_INDEX_VERSION", path + " has format version " + std::to_string(info.version) +
                                                    ", this build reads versions 1 to 3");
    const uint32_t bits = field<uint32_t>(h, 12);
    const uint64_t count = field<uint64_t>(h, 16);
    if (bits < 1 || bits > 1024 || count > kMaxCount) corrupt(path, "header values out of range");
    info.bits = static_cast<int>(bits);
    info.words = words_per_code(info.bits);
    info.count = static_cast<int64_t>(count);
    info.next_auto = field<int64_t>(h, 24);
    info.v1_payload_sum = field<uint64_t>(h, 32);
    info.ids_stored = true;
    info.codes_offset = kV1Header;
    info.ids_offset = kV1Header + count * info.words * 8;
    info.file_bytes = info.ids_offset + count * 8;
    if (size < info.file_bytes)
      throw CodedError("ERR_ASCMH_INDEX_TRUNCATED", path + " is truncated: " + std::to_string(size) + " bytes, " +
                                                        std::to_string(info.file_bytes) + " expected");
    if (size > info.file_bytes) corrupt(path, "has " + std::to_string(size - info.file_bytes) + " trailing bytes");
  } else {
    if (got < kV2Header) throw CodedError("ERR_ASCMH_INDEX_TRUNCATED", path + " is truncated (incomplete header)");
    if (field<uint64_t>(h, kV2Header - 8) != header_sum_v2(h)) corrupt(path, "header checksum mismatch");
    info.version = field<uint32_t>(h, 8);
    if (info.version != 2 && info.version != 3)
      throw CodedError("ERR_ASCMH_INDEX_VERSION", path + " has format version " + std::to_string(info.version) +
                                                    ", this build reads versions 1 to 3");
    const uint32_t bits = field<uint32_t>(h, 12);
    const uint64_t count = field<uint64_t>(h, 16);
    if (bits < 1 || bits > 1024 || count > kMaxCount) corrupt(path, "header values out of range");
    info.bits = static_cast<int>(bits);
    info.words = words_per_code(info.bits);
    info.count = static_cast<int64_t>(count);
    info.next_auto = field<int64_t>(h, 24);
    const uint64_t flags = field<uint64_t>(h, 32);
    if (flags > (info.version == 3 ? 3u : 1u)) corrupt(path, "unknown flags");
    info.ids_stored = flags & 1;
    info.map_stored = flags & 2;
    // Version 3 stores the id map exactly when it stores ids.
    if (info.version == 3 && info.map_stored != info.ids_stored) corrupt(path, "the id map flag does not match the ids flag");
    info.first_id = field<int64_t>(h, 40);
    info.block_items = field<int64_t>(h, 48);
    info.blocks = field<int64_t>(h, 56);
    info.codes_offset = field<uint64_t>(h, 64);
    info.ids_offset = field<uint64_t>(h, 72);
    info.sums_offset = field<uint64_t>(h, 80);
    info.file_bytes = field<uint64_t>(h, 88);
    info.covered_seq = field<uint64_t>(h, 96);
    info.map_offset = field<uint64_t>(h, 104);
    info.map_capacity = field<uint64_t>(h, 112);
    const uint64_t code_bytes = count * info.words * 8, id_bytes = info.ids_stored ? count * 8 : 0;
    const uint64_t data_end = info.ids_stored ? info.ids_offset + id_bytes : info.codes_offset + code_bytes;
    // The map holds count ids at most 0.7 full, and a bounded number of empty slots.
    if (info.map_stored ? info.map_capacity <= count || info.map_capacity > 4 * count + 64 || info.map_offset != round_up(data_end, kPage)
                        : info.map_capacity != 0 || info.map_offset != 0)
      corrupt(path, "id map layout out of range");
    const uint64_t before_sums = info.map_stored ? info.map_offset + info.map_capacity * 8 : data_end;
    if (info.block_items != block_items_for(info.words) ||
        info.blocks != static_cast<int64_t>((count + info.block_items - 1) / info.block_items))
      corrupt(path, "block layout out of range");
    if (info.codes_offset != kV2Header ||
        info.ids_offset != (info.ids_stored ? round_up(info.codes_offset + code_bytes, kPage) : 0) ||
        info.sums_offset != round_up(before_sums, kPage) ||
        info.file_bytes != info.sums_offset + (static_cast<uint64_t>(info.blocks) * (info.ids_stored ? 2 : 1) + 1) * 8)
      corrupt(path, "section offsets do not match the header");
    if (size < info.file_bytes)
      throw CodedError("ERR_ASCMH_INDEX_TRUNCATED", path + " is truncated: " + std::to_string(size) + " bytes, " +
                                                        std::to_string(info.file_bytes) + " expected");
    if (size > info.file_bytes) corrupt(path, "has " + std::to_string(size - info.file_bytes) + " trailing bytes");
    if (!info.ids_stored && count > 0 &&
        (info.first_id < 0 || info.first_id > INT64_MAX - static_cast<int64_t>(count) ||
         info.first_id + static_cast<int64_t>(count) > info.next_auto))
      corrupt(path, "the automatic ids run past the next automatic id");
  }
  if (info.next_auto < 0) corrupt(path, "negative next automatic id");
  return info;
}

BlockCheck::BlockCheck(IndexFileInfo info, std::vector<uint64_t> sums, std::string path)
    : info_(info), sums_(std::move(sums)), path_(std::move(path)),
      verified_(new std::atomic<uint8_t>[static_cast<size_t>(std::max<int64_t>(1, info.blocks))]),
      codes_left_(info.blocks) {
  for (int64_t b = 0; b < std::max<int64_t>(1, info.blocks); ++b) verified_[b].store(0, std::memory_order_relaxed);
  if (info.blocks == 0) all_codes_ = true;
}

void BlockCheck::verify(int which, const uint64_t* words, int64_t first, int64_t count) const {
  if (count <= 0) return;
  const int64_t per_item = which == 0 ? info_.words : 1;
  const uint8_t bit = static_cast<uint8_t>(1 << which);
  for (int64_t b = first / info_.block_items; b <= (first + count - 1) / info_.block_items; ++b) {
    if (verified_[b].load(std::memory_order_acquire) & bit) continue;
    const int64_t a = b * info_.block_items, e = std::min(info_.count, a + info_.block_items);
    const uint64_t want = sums_[static_cast<size_t>(which * info_.blocks + b)];
    if (block_checksum(static_cast<uint64_t>(b), words + a * per_item, static_cast<size_t>((e - a) * per_item)) != want)
      corrupt(path_, std::string(which == 0 ? "codes" : "ids") + " of block " + std::to_string(b) +
                         " do not match their checksum");
    if (which == 0 && info_.bits % 64) {
      // Bits above the code length would make distances exceed `bits` (checksums can be forged).
      const uint64_t high = ~((uint64_t(1) << (info_.bits % 64)) - 1);
      for (int64_t i = a; i < e; ++i)
        if (words[i * info_.words + info_.words - 1] & high) corrupt(path_, "code bits set beyond the code width");
    }
    if (!(verified_[b].fetch_or(bit, std::memory_order_acq_rel) & bit) && which == 0 &&
        codes_left_.fetch_sub(1) == 1)
      all_codes_.store(true, std::memory_order_release);
  }
}

void BlockCheck::verify_codes(const uint64_t* codes, int64_t first, int64_t count) const {
  verify(0, codes, first, count);
}
void BlockCheck::verify_ids(const int64_t* ids, int64_t first, int64_t count) const {
  if (info_.ids_stored) verify(1, reinterpret_cast<const uint64_t*>(ids), first, count);
}

MappedIndexFile map_index_file(const std::string& path) {
  MappedIndexFile out;
  out.file = std::make_shared<MappedFile>(path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) io_error("cannot open", path, errno);
  IndexFileInfo info;
  try {
    info = read_index_header(fd, out.file->size(), path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (info.version == 1)
    throw CodedError("ERR_ASCMH_INDEX_VERSION", path + " is a version 1 file, which is read whole (load), not mapped");
  const uint8_t* base = out.file->data();
  const size_t table = static_cast<size_t>(info.blocks * (info.ids_stored ? 2 : 1));
  std::vector<uint64_t> sums(table);
  if (table) std::memcpy(sums.data(), base + info.sums_offset, table * 8);
  uint64_t table_sum;
  std::memcpy(&table_sum, base + info.sums_offset + table * 8, 8);
  if (Checksum64::of(sums.data(), sums.size()) != table_sum) corrupt(path, "block checksum table mismatch");
  out.codes = reinterpret_cast<const uint64_t*>(base + info.codes_offset);
  out.ids = info.ids_stored ? reinterpret_cast<const int64_t*>(base + info.ids_offset) : nullptr;
  out.check = std::make_shared<BlockCheck>(info, std::move(sums), path);
  return out;
}

void write_index_file(const std::string& path, const IndexFileContent& c, const FillCodes& codes, const FillIds& ids) {
  const int words = words_per_code(c.bits);
  const int64_t block_items = block_items_for(words);
  const int64_t blocks = (c.count + block_items - 1) / block_items;
  const uint64_t code_bytes = static_cast<uint64_t>(c.count) * words * 8, id_bytes = c.ids_stored ? c.count * 8 : 0;
  const uint64_t ids_offset = c.ids_stored ? round_up(kV2Header + code_bytes, kPage) : 0;
  const uint64_t data_end = c.ids_stored ? ids_offset + id_bytes : kV2Header + code_bytes;
  const uint64_t map_offset = c.ids_stored ? round_up(data_end, kPage) : 0;
  const uint64_t map_capacity = c.ids_stored ? c.map_capacity : 0;
  const uint64_t sums_offset = round_up(c.ids_stored ? map_offset + map_capacity * 8 : data_end, kPage);
  std::vector<uint64_t> sums(static_cast<size_t>(blocks * (c.ids_stored ? 2 : 1)));
  ReplacementFile out(path);
  unsigned char h[kV2Header] = {};
  out.write(h, kV2Header);  // the header is written last, once the checksums are known
  std::vector<uint64_t> buffer(static_cast<size_t>(block_items * words));
  const std::vector<uint8_t> zeros(kPage, 0);
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t a = b * block_items, n = std::min(block_items, c.count - a);
    codes(a, n, buffer.data());
    sums[static_cast<size_t>(b)] = block_checksum(static_cast<uint64_t>(b), buffer.data(), static_cast<size_t>(n * words));
    out.write(buffer.data(), static_cast<size_t>(n * words * 8));
  }
  auto pad_to = [&](uint64_t from, uint64_t to) {
    for (uint64_t at = from; at < to;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(to - at, kPage));
      out.write(zeros.data(), n);
      at += n;
    }
  };
  uint64_t at = kV2Header + code_bytes;
  if (c.ids_stored) {
    pad_to(at, ids_offset);
    std::vector<int64_t> id_buffer(static_cast<size_t>(block_items));
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t a = b * block_items, n = std::min(block_items, c.count - a);
      ids(a, n, id_buffer.data());
      sums[static_cast<size_t>(blocks + b)] =
          block_checksum(static_cast<uint64_t>(b), reinterpret_cast<const uint64_t*>(id_buffer.data()), static_cast<size_t>(n));
      out.write(id_buffer.data(), static_cast<size_t>(n * 8));
    }
    at = ids_offset + id_bytes;
    pad_to(at, map_offset);
    for (uint64_t done = 0; done < map_capacity;) {
      const uint64_t n = std::min<uint64_t>(map_capacity - done, uint64_t(1) << 17);
      out.write(c.map_slots + done, static_cast<size_t>(n * 8));
      done += n;
    }
    at = map_offset + map_capacity * 8;
  }
  pad_to(at, sums_offset);
  const uint64_t table_sum = Checksum64::of(sums.data(), sums.size());
  out.write(sums.data(), sums.size() * 8);
  out.write(&table_sum, 8);
  std::memcpy(h, kMagicV2, 8);
  put<uint32_t>(h, 8, kIndexFileVersion);
  put<uint32_t>(h, 12, static_cast<uint32_t>(c.bits));
  put<uint64_t>(h, 16, static_cast<uint64_t>(c.count));
  put<int64_t>(h, 24, c.next_auto);
  put<uint64_t>(h, 32, c.ids_stored ? 3 : 0);
  put<int64_t>(h, 40, c.ids_stored ? 0 : c.first_id);
  put<int64_t>(h, 48, block_items);
  put<int64_t>(h, 56, blocks);
  put<uint64_t>(h, 64, kV2Header);
  put<uint64_t>(h, 72, ids_offset);
  put<uint64_t>(h, 80, sums_offset);
  put<uint64_t>(h, 88, sums_offset + (sums.size() + 1) * 8);
  put<uint64_t>(h, 96, c.covered_seq);
  put<uint64_t>(h, 104, map_offset);
  put<uint64_t>(h, 112, map_capacity);
  put<uint64_t>(h, kV2Header - 8, header_sum_v2(h));
  out.write_at(h, kV2Header, 0);
  out.commit();
}

}  // namespace ascmh
