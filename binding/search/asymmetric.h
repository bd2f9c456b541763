// Asymmetric scoring kernels: a real-valued query projection p (one value per bit) against packed
// codes, score = sum_j p_j * (bit_j ? +1 : -1), the inner product of p with the code as a +-1
// vector. As product quantisation does, the query becomes one lookup table per byte of code
// (256 entries: the partial score of every value of those 8 bits), so an item costs one lookup
// and one add per byte.
//
// Summation order (it decides ties): each nibble's partial score is computed in double and rounded
// once to float; a byte's entry is its low nibble's plus its high nibble's, in float (never -0);
// a code's score adds its bytes' entries in byte order, in float. Equal codes therefore get equal
// scores, and every kernel keeps this order exactly: the scalar ones read the byte entries, the
// AVX-512 ones look the nibbles up 16 items at a time (vpermps over a 16-entry table) and add
// them in the same order, so both give the same floats.
#pragma once
#include <cstdint>

#include "search/score_topk.h"

namespace ascmh {

constexpr int kLutEntries = 256;

inline int lut_bytes(int bits) { return (bits + 7) / 8; }
// Floats in the tables of one query: per byte 256 entries, then per byte 16 + 16 nibble entries.
inline int64_t lut_floats(int bits) { return int64_t(lut_bytes(bits)) * (kLutEntries + 32); }

// lut (lut_floats(bits) floats) for projection[0..bits): lut[b * 256 + v] is the partial score of
// byte b holding v; lut[bytes * 256 + 32 b + h * 16 + v] that of its low (h = 0) or high (h = 1)
// nibble holding v. Bits at or above `bits` count 0.
void build_score_lut(const double* projection, int bits, float* lut);

// The score of one code (its words as laid out in core/codes.h), in the order above.
inline float score_code(const float* lut, const uint64_t* code, int bytes) {
  const uint8_t* c = reinterpret_cast<const uint8_t*>(code);
  float s = lut[c[0]];
  for (int b = 1; b < bytes; ++b) s += lut[b * kLutEntries + c[b]];
  return s;
}

// Offers items db[0..count) (positions base + i, `words` words each, `bytes` = lut_bytes(bits) of
// them scored) to `top` when their score is above its cut. Reads only the codes of those items.
using ScoreScanFn = void (*)(const float* lut, const uint64_t* db, int64_t count, int words, int bytes, int64_t base,
                             ScoreTopK& top);
// out[i] = score of db[i], for i < count.
using ScoreFn = void (*)(const float* lut, const uint64_t* db, int64_t count, int words, int bytes, float* out);

// Kernels for `bits`-bit codes, specialised for 16, 32, 64, 128 and 256 bits; with the AVX-512
// Hamming kernel chosen (search/kernels.h), vector ones at 16 to 128 bits.
ScoreScanFn score_scan_kernel(int bits);
ScoreFn score_kernel(int bits);

}  // namespace ascmh
