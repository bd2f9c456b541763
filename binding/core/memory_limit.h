// Allocations sized by a request are checked against a budget before they are made, so a huge
// request is refused with ERR_ASCMH_TOO_LARGE instead of ending in std::bad_alloc, or in the
// kernel's OOM killer once overcommitted pages are touched.
#pragma once
#include <cstdint>
#include <string>

namespace ascmh {

// Half the machine's physical memory, unless set_memory_limit changed it.
uint64_t memory_limit();
void set_memory_limit(uint64_t bytes);  // 0 restores the default

// Throws ERR_ASCMH_TOO_LARGE when count * unit_bytes (checked for overflow) exceeds the budget.
void require_memory(double count, double unit_bytes, const std::string& what);

}  // namespace ascmh
