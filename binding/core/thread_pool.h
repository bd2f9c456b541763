// One process-wide pool shared by search, evaluation and the element-wise parts of training.
// parallel_for lets the calling thread work too, so a call never waits on a busy pool and nested
// or concurrent calls cannot deadlock.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace ascmh {

class ThreadPool {
 public:
  static ThreadPool& instance();
  explicit ThreadPool(int workers);
  ~ThreadPool();
  // Threads a parallel_for may use, the caller's included: all cores unless set_concurrency
  // lowered (or raised) it, so N cluster workers on N cores need not each start N threads.
  int concurrency() const { return limit_.load(std::memory_order_relaxed); }
  void set_concurrency(int threads);  // 1 .. 256; adds workers when raised

  // Runs body(begin, end) over [0, count) in chunks of about `grain`, using at most max_threads
  // threads (0 = all); returns when every chunk is done.
  void parallel_for(int64_t count, int64_t grain, const std::function<void(int64_t, int64_t)>& body,
                    int max_threads = 0);

 private:
  struct Job {
    std::function<void(int64_t, int64_t)> body;
    int64_t count = 0, grain = 1;
    std::atomic<int64_t> next{0};
    std::atomic<int64_t> done{0};
    std::atomic<int> helpers{0};
    int max_helpers = 0;
    std::mutex mutex;
    std::condition_variable finished;
  };
  static void run_chunks(Job& job);
  void worker_loop();

  std::vector<std::thread> workers_;
  std::atomic<int> limit_{1};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stopping_ = false;
};

}  // namespace ascmh
