// Packed binary codes: item i occupies words_per_code(bits) little-endian 64-bit words; bit j of the
// code is bit (j mod 64) of word j / 64; a set bit means +1. Unused high bits are zero.
#pragma once
#include <cstdint>

namespace ascmh {

inline int words_per_code(int bits) { return (bits + 63) / 64; }

inline void set_code_bit(uint64_t* code, int j) { code[j >> 6] |= uint64_t(1) << (j & 63); }

// Clears the bits above `bits` in the last word of each of count codes (codes from outside, where
// they may hold anything: every kernel relies on them being zero).
inline void clear_padding_bits(uint64_t* codes, int64_t count, int bits) {
  if (bits % 64 == 0) return;
  const int words = words_per_code(bits);
  const uint64_t mask = (uint64_t(1) << (bits % 64)) - 1;
  for (int64_t i = 0; i < count; ++i) codes[i * words + words - 1] &= mask;
}

}  // namespace ascmh
