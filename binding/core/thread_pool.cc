#include "core/thread_pool.h"

#include <algorithm>

namespace ascmh {

ThreadPool& ThreadPool::instance() {
  // Never destroyed: a job cancelled at exit may still be finishing a block while statics are
  // torn down.
  static ThreadPool* pool = new ThreadPool(std::max(1, static_cast<int>(std::thread::hardware_concurrency())) - 1);
  return *pool;
}

ThreadPool::ThreadPool(int workers) {
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { worker_loop(); });
  limit_ = workers + 1;
}

void ThreadPool::set_concurrency(int threads) {
  threads = std::max(1, std::min(256, threads));
  std::lock_guard<std::mutex> lock(mutex_);
  while (static_cast<int>(workers_.size()) + 1 < threads) workers_.emplace_back([this] { worker_loop(); });
  limit_ = threads;
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run_chunks(Job& job) {
  for (;;) {
    const int64_t begin = job.next.fetch_add(job.grain);
    if (begin >= job.count) return;
    const int64_t end = std::min(job.count, begin + job.grain);
    job.body(begin, end);
    if (job.done.fetch_add(end - begin) + (end - begin) == job.count) {
      std::lock_guard<std::mutex> lock(job.mutex);
      job.finished.notify_all();
    }
  }
}

void ThreadPool::worker_loop() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = queue_.front();
      if (++job->helpers >= job->max_helpers) queue_.pop_front();
    }
    run_chunks(*job);
  }
}

void ThreadPool::parallel_for(int64_t count, int64_t grain, const std::function<void(int64_t, int64_t)>& body,
                              int max_threads) {
  if (count <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int threads = max_threads > 0 ? std::min(max_threads, concurrency()) : concurrency();
  const int64_t chunks = (count + grain - 1) / grain;
  if (threads <= 1 || chunks <= 1) {
    body(0, count);
    return;
  }
  auto job = std::make_shared<Job>();
  job->body = body;
  job->count = count;
  job->grain = grain;
  job->max_helpers = static_cast<int>(std::min<int64_t>(threads - 1, chunks - 1));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(job);
  }
  if (job->max_helpers == 1) cv_.notify_one(); else cv_.notify_all();
  run_chunks(*job);
  {
    std::unique_lock<std::mutex> lock(job->mutex);
    job->finished.wait(lock, [&] { return job->done.load() >= job->count; });
  }
  // A job whose chunks all ran before any worker took it may still sit in the queue.
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = queue_.begin(); it != queue_.end(); ++it)
    if (*it == job) {
      queue_.erase(it);
      break;
    }
}

}  // namespace ascmh
