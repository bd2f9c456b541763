// Cooperative cancellation of a native job: the caller (an AbortSignal, an exiting environment)
// sets the flag; long loops check it between blocks short enough to keep an exit prompt.
#pragma once
#include <atomic>

#include "core/error.h"

namespace ascmh {

class CancelToken {
 public:
  void cancel() { flag_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return flag_.load(std::memory_order_relaxed); }
  void check() const {
    if (cancelled()) fail("ERR_ASCMH_CANCELLED", "the operation was cancelled");
  }

 private:
  std::atomic<bool> flag_{false};
};

// For code that may run without a token (sync calls): null means never cancelled.
inline bool is_cancelled(const CancelToken* token) { return token && token->cancelled(); }
inline void check_cancelled(const CancelToken* token) {
  if (token) token->check();
}

}  // namespace ascmh
