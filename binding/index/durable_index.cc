#include "index/durable_index.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "core/codes.h"
#include "core/error.h"
#include "storage/posix_file.h"

namespace ascmh {
namespace {

// "<prefix><20 digits><suffix>" -> the number, or false.
bool numbered(const std::string& name, const char* prefix, const char* suffix, uint64_t* n) {
  const size_t p = std::strlen(prefix), s = std::strlen(suffix);
  if (name.size() != p + 20 + s || name.compare(0, p, prefix) != 0 || name.compare(p + 20, s, suffix) != 0) return false;
  uint64_t v = 0;
  for (size_t i = p; i < p + 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    v = v * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  *n = v;
  return true;
}

std::string digits(uint64_t n) {
  char text[32];
  std::snprintf(text, sizeof text, "%020" PRIu64, n);
  return text;
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) io_error("cannot read", dir, errno);
  while (dirent* e = ::readdir(d)) names.push_back(e->d_name);
  ::closedir(d);
  return names;
}

}  // namespace

std::string DurableIndex::log_path(uint64_t first_seq) const { return dir_ + "/log-" + digits(first_seq) + ".wal"; }
std::string DurableIndex::snapshot_path(uint64_t seq) const { return dir_ + "/snapshot-" + digits(seq) + ".idx"; }

DurableIndex::DurableIndex(const std::string& dir, Durability durability, int bits, OnDone on_done)
    : dir_(dir), durability_(durability), on_done_(std::move(on_done)) {
  try {
    open_directory(bits);
  } catch (...) {
    if (log_fd_ >= 0) ::close(log_fd_);
    if (lock_fd_ >= 0) ::close(lock_fd_);
    throw;
  }
  thread_ = std::thread([this] { run(); });
}

DurableIndex::~DurableIndex() { close(); }

void DurableIndex::open_directory(int bits) {
  struct stat st;
  if (::stat(dir_.c_str(), &st) != 0) {
    if (errno != ENOENT || bits <= 0) io_error("cannot open", dir_, errno);
    if (::mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST) io_error("cannot create", dir_, errno);
  } else if (!S_ISDIR(st.st_mode)) {
    fail("ERR_ASCMH_INDEX_FORMAT", dir_ + " is not a directory (a durable index is a directory)");
  }
  lock_fd_ = ::open((dir_ + "/LOCK").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) io_error("cannot open", dir_ + "/LOCK", errno);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) fail("ERR_ASCMH_INDEX_LOCKED", dir_ + " is open for writing by another index (its LOCK is held)");
    io_error("cannot lock", dir_ + "/LOCK", errno);
  }
  std::vector<uint64_t> snapshots, logs;
  bool foreign = false;
  for (const std::string& name : entries(dir_)) {
    uint64_t n;
    if (numbered(name, "snapshot-", ".idx", &n)) snapshots.push_back(n);
    else if (numbered(name, "log-", ".wal", &n)) logs.push_back(n);
    else if (name.rfind(".snapshot-", 0) == 0 || name.rfind(".log-", 0) == 0) ::unlink((dir_ + "/" + name).c_str());  // a save that never finished
    else if (name != "." && name != ".." && name != "LOCK") foreign = true;
  }
  std::sort(snapshots.begin(), snapshots.end());
  std::sort(logs.begin(), logs.end());
  if (snapshots.empty() && logs.empty() && foreign)
    fail("ERR_ASCMH_INDEX_FORMAT", dir_ + " holds files that are not an ascmh index");
  uint64_t covered = 0;
  if (!snapshots.empty()) {
    // The newest snapshot; a damaged one is an error, never silently replaced by an older state.
    snapshot_seq_ = snapshots.back();
    index_ = std::shared_ptr<HammingIndex>(HammingIndex::open_mapped(snapshot_path(snapshot_seq_), &covered));
    if (covered != snapshot_seq_)
      fail("ERR_ASCMH_INDEX_CORRUPT", snapshot_path(snapshot_seq_) + " covers log record " + std::to_string(covered) +
                                          ", its name says " + std::to_string(snapshot_seq_));
  } else if (!logs.empty()) {
    if (logs.front() != 1)
      fail("ERR_ASCMH_INDEX_CORRUPT", dir_ + ": no snapshot, and the log starts at record " + std::to_string(logs.front()) +
                                          ": the records before it are gone");
    const LogScan head = scan_log(log_path(logs.front()), [](const LogRecord&) {});
    index_ = std::make_shared<HammingIndex>(head.bits);
  } else {
    if (bits <= 0) fail("ERR_ASCMH_INDEX_FORMAT", dir_ + " holds no index (give bits to create one)");
    index_ = std::make_shared<HammingIndex>(bits);
  }
  if (bits > 0 && bits != index_->bits())
    fail("ERR_ASCMH_BITS_MISMATCH", dir_ + " holds " + std::to_string(index_->bits()) + "-bit codes, not " + std::to_string(bits));
  applied_seq_ = covered;
  for (uint64_t first : logs) {
    // Logs wholly covered by the snapshot are left from an interrupted checkpoint.
    if (first <= covered + 1 || first == applied_seq_ + 1) replay(log_path(first), covered);
    else fail("ERR_ASCMH_INDEX_CORRUPT", log_path(first) + " starts at record " + std::to_string(first) + " but the records end at " +
                                             std::to_string(applied_seq_));
  }
  next_seq_ = applied_seq_ + 1;
  next_auto_ = index_->next_automatic_id();
  if (durability_ != Durability::none) {
    if (log_.empty()) {
      log_ = log_path(next_seq_);
      create_log(log_, index_->bits(), next_seq_);
      log_bytes_ = 32;
    }
    log_fd_ = ::open(log_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (log_fd_ < 0) io_error("cannot open", log_, errno);
  }
}

void DurableIndex::replay(const std::string& log, uint64_t after) {
  const int words = words_per_code(index_->bits());
  std::string bad;
  const LogScan scan = scan_log(log, [&](const LogRecord& r) {
    if (r.seq <= after || !bad.empty()) return;
    if (r.seq != applied_seq_ + 1) {
      bad = "record " + std::to_string(r.seq) + " follows " + std::to_string(applied_seq_);
      return;
    }
    if (r.op == LogOp::remove) {
      index_->remove(r.ids, r.count);
    } else {
      const int64_t first = index_->next_automatic_id();
      if (r.op == LogOp::add_automatic && r.count > 0 && r.ids[0] != first) {
        bad = "record " + std::to_string(r.seq) + " assigned id " + std::to_string(r.ids[0]) + ", replay assigns " + std::to_string(first);
        return;
      }
      index_->add(reinterpret_cast<const uint8_t*>(r.codes), r.count, r.op == LogOp::add ? r.ids : nullptr);
    }
    (void)words;
    applied_seq_ = r.seq;
    ++replayed_;
  });
  if (!bad.empty()) fail("ERR_ASCMH_INDEX_CORRUPT", log + ": " + bad);
  if (scan.bits != index_->bits())
    fail("ERR_ASCMH_INDEX_CORRUPT", log + " holds " + std::to_string(scan.bits) + "-bit codes, the snapshot " +
                                        std::to_string(index_->bits()));
  if (scan.good_bytes < scan.file_bytes) {
    // A torn or damaged tail: the records after the last good one were never acknowledged.
    const int fd = ::open(log.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(scan.good_bytes)) != 0 || ::fsync(fd) != 0) {
      const int e = errno;
      if (fd >= 0) ::close(fd);
      io_error("cannot cut the damaged tail of", log, e);
    }
    ::close(fd);
  }
  log_ = log;
  log_bytes_ = scan.good_bytes;
}

uint64_t DurableIndex::prepare_add(std::vector<uint64_t> codes, int64_t count, const int64_t* ids) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closing_) fail("ERR_ASCMH_INDEX_CLOSED", dir_ + " is closed");
  if (!failed_.empty()) fail("ERR_ASCMH_INDEX_FAILED", failed_);
  Op op;
  op.ticket = next_ticket_++;
  op.count = count;
  op.codes = std::move(codes);
  if (ids) {
    op.kind = Kind::add;
    index_->check_new_ids(ids, count);
    for (int64_t i = 0; i < count; ++i) {
      const int64_t id = ids[i];
      const bool in_range = std::any_of(pending_ranges_.begin(), pending_ranges_.end(),
                                        [&](const auto& r) { return id >= r.first && id - r.first < r.second; });
      if (pending_ids_.count(id) || in_range)
        fail("ERR_ASCMH_DUPLICATE_ID", "id " + std::to_string(id) + " is being added by an operation still in flight");
    }
    op.ids.assign(ids, ids + count);
    for (const int64_t id : op.ids) {
      pending_ids_.insert(id);
      if (id >= next_auto_) next_auto_ = id == INT64_MAX ? id : id + 1;
    }
  } else {
    op.kind = Kind::add_automatic;
    if (next_auto_ > INT64_MAX - count) fail("ERR_ASCMH_ID_RANGE", "automatic ids would overflow int64");
    op.ids.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) op.ids[static_cast<size_t>(i)] = next_auto_ + i;
    pending_ranges_.push_back({next_auto_, count});
    next_auto_ += count;
  }
  op.seq = count > 0 ? next_seq_++ : 0;
  prepared_.push_back(std::move(op));
  return prepared_.back().ticket;
}

uint64_t DurableIndex::prepare_remove(const int64_t* ids, int64_t count) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closing_) fail("ERR_ASCMH_INDEX_CLOSED", dir_ + " is closed");
  if (!failed_.empty()) fail("ERR_ASCMH_INDEX_FAILED", failed_);
  Op op;
  op.ticket = next_ticket_++;
  op.kind = Kind::remove;
  op.count = count;
  op.ids.assign(ids, ids + count);
  op.seq = count > 0 ? next_seq_++ : 0;
  prepared_.push_back(std::move(op));
  return prepared_.back().ticket;
}

uint64_t DurableIndex::prepare_checkpoint() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closing_) fail("ERR_ASCMH_INDEX_CLOSED", dir_ + " is closed");
  if (!failed_.empty()) fail("ERR_ASCMH_INDEX_FAILED", failed_);
  Op op;
  op.ticket = next_ticket_++;
  op.kind = Kind::checkpoint;
  prepared_.push_back(std::move(op));
  return prepared_.back().ticket;
}

size_t DurableIndex::commit() {
  size_t n;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    n = prepared_.size();
    if (n == 0) return 0;
    groups_.push_back(std::move(prepared_));
    prepared_.clear();
  }
  wake_.notify_one();
  return n;
}

void DurableIndex::release(const Op& op) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (op.kind == Kind::add)
    for (const int64_t id : op.ids) pending_ids_.erase(id);
  if (op.kind == Kind::add_automatic)
    pending_ranges_.erase(std::remove_if(pending_ranges_.begin(), pending_ranges_.end(),
                                         [&](const auto& r) { return !op.ids.empty() && r.first == op.ids[0]; }),
                          pending_ranges_.end());
}

void DurableIndex::apply(const Op& op, Done& d) {
  if (op.kind == Kind::remove) {
    d.result = index_->remove(op.ids.data(), op.count);
  } else if (op.count > 0) {
    const uint8_t* bytes = reinterpret_cast<const uint8_t*>(op.codes.data());
    d.first_id = op.kind == Kind::add_automatic ? op.ids[0] : 0;
    index_->add(bytes, op.count, op.kind == Kind::add ? op.ids.data() : nullptr);
  }
  if (op.seq) applied_seq_ = op.seq;
}

void DurableIndex::write_group(std::vector<Op>& group, std::vector<Done>& done) {
  {
    // After a failed write nothing more is logged (its sequence numbers would leave a gap).
    std::lock_guard<std::mutex> lock(mutex_);
    if (!failed_.empty()) {
      for (const Op& op : group) done.push_back({op.ticket, "ERR_ASCMH_INDEX_FAILED", failed_, 0, 0});
      for (const Op& op : group) {
        if (op.kind == Kind::add)
          for (const int64_t id : op.ids) pending_ids_.erase(id);
      }
      pending_ranges_.clear();
      return;
    }
  }
  // Checkpoints split the group: the records before one are applied before it runs.
  size_t begin = 0;
  while (begin < group.size()) {
    if (group[begin].kind == Kind::checkpoint) {
      Done d{group[begin].ticket, "", "", 0, 0};
      checkpoint_now(d);
      done.push_back(d);
      ++begin;
      continue;
    }
    size_t end = begin;
    std::vector<uint64_t> bytes;
    const int words = words_per_code(index_->bits());
    for (; end < group.size() && group[end].kind != Kind::checkpoint; ++end) {
      const Op& op = group[end];
      if (op.count == 0) continue;
      const LogOp kind = op.kind == Kind::remove ? LogOp::remove : op.kind == Kind::add ? LogOp::add : LogOp::add_automatic;
      const std::vector<uint64_t> r = encode_log_record(kind, op.seq, op.count, op.ids.data(), op.codes.data(), words);
      bytes.insert(bytes.end(), r.begin(), r.end());
    }
    std::string code, message;
    if (durability_ != Durability::none && !bytes.empty()) {
      try {
        write_all(log_fd_, bytes.data(), bytes.size() * 8, log_);
        if (durability_ == Durability::fsync && ::fdatasync(log_fd_) != 0) io_error("cannot flush", log_, errno);
        log_bytes_ += bytes.size() * 8;
        ++log_writes_;
      } catch (const CodedError& e) {
        code = e.code();
        message = e.what();
        // Nothing of this group may stay in the log: cut it back. If even that fails, the log can
        // no longer be trusted and the index refuses further writes.
        if (::ftruncate(log_fd_, static_cast<off_t>(log_bytes_)) != 0 || ::fdatasync(log_fd_) != 0) {
          std::lock_guard<std::mutex> lock(mutex_);
          failed_ = "the log " + log_ + " could not be written or repaired (" + message + "); reopen the index";
        }
      }
    }
    for (size_t i = begin; i < end; ++i) {
      Done d{group[i].ticket, code, message, 0, 0};
      if (code.empty()) {
        try {
          apply(group[i], d);
        } catch (const CodedError& e) {
          d.error_code = e.code();
          d.error_message = e.what();
        } catch (const std::bad_alloc&) {
          d.error_code = "ERR_ASCMH_OUT_OF_MEMORY";
          d.error_message = "not enough memory to apply the operation";
        }
      }
      release(group[i]);
      done.push_back(std::move(d));
    }
    if (!code.empty()) {
      // Later sequence numbers were promised to operations of this group: nothing after it may be
      // logged with a gap, so the index stops taking writes until it is reopened.
      std::lock_guard<std::mutex> lock(mutex_);
      if (failed_.empty()) failed_ = "a write to " + log_ + " failed (" + message + "); reopen the index";
    }
    begin = end;
  }
}

void DurableIndex::checkpoint_now(Done& d) {
  try {
    const uint64_t seq = applied_seq_;
    index_->save(snapshot_path(seq), seq);
    std::string next_log;
    if (durability_ != Durability::none) {
      next_log = log_path(seq + 1);
      if (next_log != log_) {
        create_log(next_log, index_->bits(), seq + 1);
        const int fd = ::open(next_log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd < 0) io_error("cannot open", next_log, errno);
        if (log_fd_ >= 0) ::close(log_fd_);
        log_fd_ = fd;
        log_ = next_log;
        log_bytes_ = 32;
      }
    }
    // What the new snapshot covers is no longer needed.
    for (const std::string& name : entries(dir_)) {
      uint64_t n;
      if ((numbered(name, "snapshot-", ".idx", &n) && n < seq) || (numbered(name, "log-", ".wal", &n) && dir_ + "/" + name != log_))
        ::unlink((dir_ + "/" + name).c_str());
    }
    fsync_directory(dir_);
    snapshot_seq_ = seq;
  } catch (const CodedError& e) {
    d.error_code = e.code();
    d.error_message = e.what();
  } catch (const std::bad_alloc&) {
    d.error_code = "ERR_ASCMH_OUT_OF_MEMORY";
    d.error_message = "not enough memory for the checkpoint";
  }
}

void DurableIndex::run() {
  for (;;) {
    std::vector<Op> group;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return closing_ || !groups_.empty(); });
      if (groups_.empty()) return;  // closing and drained
      // Every group queued meanwhile shares this write and its fsync.
      while (!groups_.empty()) {
        for (Op& op : groups_.front()) group.push_back(std::move(op));
        groups_.pop_front();
      }
    }
    std::vector<Done> done;
    write_group(group, done);
    on_done_(std::move(done));
  }
}

void DurableIndex::close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    closed_ = closing_ = true;
    if (!prepared_.empty()) {
      groups_.push_back(std::move(prepared_));
      prepared_.clear();
    }
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (log_fd_ >= 0) ::close(log_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
  log_fd_ = lock_fd_ = -1;
}

DurableIndex::Stats DurableIndex::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Stats s;
  s.last_seq = next_seq_ - 1;
  s.snapshot_seq = snapshot_seq_;
  s.log_bytes = log_bytes_;
  s.replayed = replayed_;
  s.log_writes = log_writes_.load();
  for (const auto& g : groups_) s.pending += static_cast<int64_t>(g.size());
  s.pending += static_cast<int64_t>(prepared_.size());
  return s;
}

}  // namespace ascmh
