// Hamming distances with the popcount kernel chosen once at load time from the CPU's features
// (baseline x86-64 has no POPCNT instruction, so the portable build must not assume it).
#pragma once
#include <cstdint>

namespace ascmh {

// out[i] = popcount(query XOR db[i]) for count database codes of `words` 64-bit words each.
using HammingRowFn = void (*)(const uint64_t* query, const uint64_t* db, int64_t count, int words, uint16_t* out);

HammingRowFn hamming_row();
const char* popcount_kernel_name();

}  // namespace ascmh
