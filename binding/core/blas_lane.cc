#include "core/blas_lane.h"

namespace ascmh {

BlasLane& BlasLane::instance() {
  static BlasLane lane;
  return lane;
}

void BlasLane::acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  const uint64_t ticket = next_ticket_++;
  cv_.wait(lock, [&] { return serving_ == ticket; });
}

void BlasLane::release() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++serving_;
  }
  cv_.notify_all();
}

}  // namespace ascmh
