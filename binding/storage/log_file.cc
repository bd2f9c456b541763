#include "storage/log_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "core/codes.h"
#include "core/error.h"
#include "storage/checksum.h"
#include "storage/posix_file.h"

namespace ascmh {
namespace {

constexpr char kMagic[8] = {'A', 'S', 'C', 'M', 'H', 'L', 'O', 'G'};
constexpr size_t kHeaderBytes = 32;
constexpr size_t kRecordHead = 32;  // length, op, seq, count

}  // namespace

std::vector<uint64_t> encode_log_record(LogOp op, uint64_t seq, int64_t count, const int64_t* ids,
                                        const uint64_t* codes, int words) {
  const size_t code_words = op != LogOp::remove ? static_cast<size_t>(count) * words : 0;
  const size_t total = 4 + static_cast<size_t>(count) + code_words + 1;
  std::vector<uint64_t> r(total);
  r[0] = total * 8;
  r[1] = static_cast<uint64_t>(op);
  r[2] = seq;
  r[3] = static_cast<uint64_t>(count);
  if (count) std::memcpy(r.data() + 4, ids, static_cast<size_t>(count) * 8);
  if (code_words) std::memcpy(r.data() + 4 + count, codes, code_words * 8);
  r[total - 1] = Checksum64::of(r.data(), total - 1);
  return r;
}

void create_log(const std::string& path, int bits, uint64_t first_seq) {
  unsigned char h[kHeaderBytes] = {};
  std::memcpy(h, kMagic, 8);
  const uint32_t version = 1, b = static_cast<uint32_t>(bits);
  std::memcpy(h + 8, &version, 4);
  std::memcpy(h + 12, &b, 4);
  std::memcpy(h + 16, &first_seq, 8);
  uint64_t w[3];
  std::memcpy(w, h, 24);
  const uint64_t sum = Checksum64::of(w, 3);
  std::memcpy(h + 24, &sum, 8);
  ReplacementFile out(path);
  out.write(h, kHeaderBytes);
  out.commit();
}

LogScan scan_log(const std::string& path, const std::function<void(const LogRecord&)>& on_record) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) io_error("cannot open", path, errno);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) io_error("cannot read", path, errno);
  LogScan scan;
  scan.file_bytes = static_cast<uint64_t>(st.st_size);
  unsigned char h[kHeaderBytes];
  if (scan.file_bytes < kHeaderBytes || !read_at(fd, h, kHeaderBytes, 0, path) || std::memcmp(h, kMagic, 8) != 0)
    throw CodedError("ERR_ASCMH_INDEX_FORMAT", path + " is not an ascmh index log");
  uint64_t w[4];
  std::memcpy(w, h, 32);
  uint32_t version, bits;
  std::memcpy(&version, h + 8, 4);
  std::memcpy(&bits, h + 12, 4);
  if (Checksum64::of(w, 3) != w[3]) throw CodedError("ERR_ASCMH_INDEX_CORRUPT", path + ": log header checksum mismatch");
  if (version != 1) throw CodedError("ERR_ASCMH_INDEX_VERSION", path + ": log version " + std::to_string(version));
  if (bits < 1 || bits > 1024) throw CodedError("ERR_ASCMH_INDEX_CORRUPT", path + ": log header values out of range");
  scan.bits = static_cast<int>(bits);
  scan.first_seq = w[2];
  scan.last_seq = scan.first_seq - 1;
  scan.good_bytes = kHeaderBytes;
  const int words = words_per_code(scan.bits);
  std::vector<uint64_t> record;
  uint64_t at = kHeaderBytes;
  while (at + kRecordHead + 8 <= scan.file_bytes) {
    uint64_t head[4];
    if (!read_at(fd, head, kRecordHead, at, path)) break;
    const uint64_t length = head[0], op = head[1], seq = head[2], count = head[3];
    // Every field is checked before it sizes anything: a torn tail holds arbitrary bytes.
    if (op < 1 || op > 3) break;
    if (count > (uint64_t(1) << 36)) break;
    const uint64_t want = (4 + count + (op != 2 ? count * words : 0) + 1) * 8;
    if (length != want || at + length > scan.file_bytes || seq != scan.last_seq + 1) break;
    record.resize(length / 8);
    if (!read_at(fd, record.data(), length, at, path)) break;
    if (Checksum64::of(record.data(), record.size() - 1) != record.back()) break;
    LogRecord r;
    r.op = static_cast<LogOp>(op);
    r.seq = seq;
    r.count = static_cast<int64_t>(count);
    r.ids = reinterpret_cast<const int64_t*>(record.data() + 4);
    r.codes = op != 2 ? record.data() + 4 + count : nullptr;
    on_record(r);
    scan.last_seq = seq;
    ++scan.records;
    at += length;
    scan.good_bytes = at;
  }
  return scan;
}

}  // namespace ascmh
