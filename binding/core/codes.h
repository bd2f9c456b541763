// Packed binary codes: item i occupies words_per_code(bits) little-endian 64-bit words; bit j of the
// code is bit (j mod 64) of word j / 64; a set bit means +1. Unused high bits are zero.
#pragma once
#include <cstdint>

namespace ascmh {

inline int words_per_code(int bits) { return (bits + 63) / 64; }

inline void set_code_bit(uint64_t* code, int j) { code[j >> 6] |= uint64_t(1) << (j & 63); }

}  // namespace ascmh
