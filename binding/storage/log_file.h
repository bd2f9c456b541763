// The write-ahead log of a durable index: a header, then records, each 8-byte aligned:
//
//   header  "ASCMHLOG", u32 version 1, u32 bits, u64 first sequence number, u64 checksum of the 24 before
//   record  u64 length (bytes, all of the record), u64 op, u64 sequence number, u64 count,
//           ids (count x i64), codes (add only: count x ceil(bits/64) x u64), u64 checksum of all before
//
// Records are numbered consecutively. Reading stops at the first record that is incomplete, fails its
// checksum or breaks the numbering: a torn or damaged tail is cut there.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ascmh {

// add: ids given by the caller; add_automatic: ids the index assigned (logged to be checked on replay).
enum class LogOp : uint32_t { add = 1, remove = 2, add_automatic = 3 };

struct LogRecord {
  LogOp op = LogOp::add;
  uint64_t seq = 0;
  int64_t count = 0;
  const int64_t* ids = nullptr;
  const uint64_t* codes = nullptr;  // adds only
};

// The bytes of one record (header fields, ids, codes, checksum).
std::vector<uint64_t> encode_log_record(LogOp op, uint64_t seq, int64_t count, const int64_t* ids,
                                        const uint64_t* codes, int words);

struct LogScan {
  int bits = 0;
  uint64_t first_seq = 0, last_seq = 0;  // last_seq = first_seq - 1 when empty
  uint64_t good_bytes = 0;               // where the valid part ends
  uint64_t file_bytes = 0;
  int64_t records = 0;
};

// Reads a log file, calling on_record for each valid record in order; throws ERR_ASCMH_INDEX_FORMAT /
// _CORRUPT only for a file that is not a log at all (bad header). A bad record ends the scan.
LogScan scan_log(const std::string& path, const std::function<void(const LogRecord&)>& on_record);

// Creates a log (temporary file, fsync, rename, directory fsync) holding only its header.
void create_log(const std::string& path, int bits, uint64_t first_seq);

}  // namespace ascmh
