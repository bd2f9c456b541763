// Threading policy: OpenBLAS uses every core, and one BLAS-heavy block of work runs at a time.
// Multithreaded OpenBLAS called from several threads at once collapses (37x slower measured here),
// so every native call that runs BLAS holds the lane. Long jobs (training) take it per block of work
// (one iteration, one feature block), so other callers interleave instead of waiting a whole job.
// Hamming search and evaluation use no BLAS and never take the lane.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace ascmh {

class BlasLane {
 public:
  static BlasLane& instance();
  void acquire();  // FIFO: tickets are served in order
  void release();

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  uint64_t next_ticket_ = 0, serving_ = 0;
};

class BlasLaneGuard {
 public:
  BlasLaneGuard() { BlasLane::instance().acquire(); }
  ~BlasLaneGuard() { BlasLane::instance().release(); }
  BlasLaneGuard(const BlasLaneGuard&) = delete;
  BlasLaneGuard& operator=(const BlasLaneGuard&) = delete;
};

}  // namespace ascmh
