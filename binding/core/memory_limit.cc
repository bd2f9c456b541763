#include "core/memory_limit.h"

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>

#include "core/error.h"

namespace ascmh {
namespace {

std::atomic<uint64_t> configured{0};

uint64_t half_of_physical_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || size <= 0) return uint64_t(8) << 30;
  return static_cast<uint64_t>(pages) / 2 * static_cast<uint64_t>(size);
}

std::string gib(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return text;
}

}  // namespace

uint64_t memory_limit() {
  const uint64_t set = configured.load(std::memory_order_relaxed);
  static const uint64_t fallback = half_of_physical_memory();
  return set ? set : fallback;
}

void set_memory_limit(uint64_t bytes) { configured.store(bytes, std::memory_order_relaxed); }

void require_memory(double count, double unit_bytes, const std::string& what) {
  const double bytes = count * unit_bytes;  // doubles: no wrap-around for any pair of int64 inputs
  if (!(bytes >= 0) || bytes > static_cast<double>(memory_limit()))
    fail("ERR_ASCMH_TOO_LARGE", what + " would need " + gib(bytes) + ", more than the limit of " +
                                    gib(static_cast<double>(memory_limit())) + " (half the physical memory)");
}

}  // namespace ascmh
