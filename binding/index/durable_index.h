// A Hamming index kept in a directory: the newest snapshot (an index file, mapped) plus a
// write-ahead log of the adds and removes since (storage/log_file.h).
//
//   dir/LOCK                    held (flock) by the one process that writes
//   dir/snapshot-<seq>.idx      the index as of log record <seq> (version 2 index file)
//   dir/log-<seq>.wal           records from <seq> on
//
// An operation is prepared on the caller's thread (checked, given its ids and a sequence number,
// encoded as a log record) and then handed to the index's own thread in a group with the others
// prepared since the last group. That thread writes the group's records with one write, makes them
// durable as chosen (fsync: fdatasync; os: the write only; none: nothing is logged), applies them to
// the in-memory index in order, and reports them done. So a search never sees an operation that
// could still be lost, and concurrent writers share one fsync.
//
// Opening takes the lock, maps the newest snapshot, replays the logs after it and cuts a log's torn
// or damaged tail at the last good record. checkpoint() writes a new snapshot (temporary file,
// fsync, rename, directory fsync), starts a new log and deletes what the snapshot covers.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "index/hamming_index.h"
#include "storage/log_file.h"

namespace ascmh {

enum class Durability { fsync, os, none };

class DurableIndex {
 public:
  struct Done {
    uint64_t ticket;
    std::string error_code, error_message;  // empty when it succeeded
    int64_t result = 0;                     // remove: how many were present
    int64_t first_id = 0;                   // add with automatic ids: the first one assigned
  };
  // Called on the index's thread with each finished group; must not block for long.
  using OnDone = std::function<void(std::vector<Done>)>;

  // Opens (creating it when `bits` > 0 and the directory holds no index) or throws a CodedError.
  DurableIndex(const std::string& dir, Durability durability, int bits, OnDone on_done);
  ~DurableIndex();  // close()

  std::shared_ptr<HammingIndex> index() const { return index_; }
  int bits() const { return index_->bits(); }

  // On the caller's thread: checks the operation against the index and the operations still in
  // flight, and queues it for the next group. Throws (queuing nothing) if it would fail.
  // codes: count codes of ceil(bits/64) words, padding cleared; ids null for automatic ids.
  uint64_t prepare_add(std::vector<uint64_t> codes, int64_t count, const int64_t* ids);
  uint64_t prepare_remove(const int64_t* ids, int64_t count);
  uint64_t prepare_checkpoint();
  // Hands every prepared operation to the index's thread as one group; returns how many.
  size_t commit();
  // Finishes queued work, stops the thread and releases the lock; prepare_* throw afterwards.
  void close();

  struct Stats {
    uint64_t last_seq = 0, snapshot_seq = 0, log_bytes = 0, replayed = 0, log_writes = 0;
    int64_t pending = 0;
  };
  Stats stats() const;

 private:
  enum class Kind { add, add_automatic, remove, checkpoint };
  struct Op {
    uint64_t ticket;
    Kind kind;
    uint64_t seq = 0;
    int64_t count = 0;
    std::vector<int64_t> ids;
    std::vector<uint64_t> codes;
  };
  void open_directory(int bits);
  void replay(const std::string& log, uint64_t after);
  void run();
  void write_group(std::vector<Op>& group, std::vector<Done>& done);
  void apply(const Op& op, Done& d);
  void checkpoint_now(Done& d);
  void release(const Op& op);
  std::string log_path(uint64_t first_seq) const;
  std::string snapshot_path(uint64_t seq) const;

  std::string dir_;
  Durability durability_;
  OnDone on_done_;
  std::shared_ptr<HammingIndex> index_;
  int lock_fd_ = -1, log_fd_ = -1;
  std::string log_;
  uint64_t log_bytes_ = 0, snapshot_seq_ = 0, replayed_ = 0;
  std::atomic<uint64_t> log_writes_{0};  // groups written (each one write and, with fsync, one fdatasync)

  // Caller side (prepare/commit), under mutex_.
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  uint64_t next_ticket_ = 1, next_seq_ = 1;
  int64_t next_auto_ = 0;  // the index's next automatic id once every queued add is applied
  std::unordered_set<int64_t> pending_ids_;
  std::vector<std::pair<int64_t, int64_t>> pending_ranges_;  // automatic ids [first, first + count)
  std::vector<Op> prepared_;
  std::deque<std::vector<Op>> groups_;
  bool closing_ = false, closed_ = false;
  std::string failed_;  // set when the log can no longer be trusted: every later write is refused

  // Index thread side.
  uint64_t applied_seq_ = 0;
  std::thread thread_;
};

}  // namespace ascmh
