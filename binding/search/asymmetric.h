// Asymmetric scoring kernels: a real-valued query projection p (one value per bit) against packed
// codes, score = sum_j p_j * (bit_j ? +1 : -1), the inner product of p with the code as a +-1
// vector. As product quantisation does, the query becomes one lookup table per byte of code
// (256 entries: the partial score of every value of those 8 bits), so an item costs one lookup
// and one add per byte.
//
// Summation order (it decides ties): an entry is its byte's sum computed in double and rounded
// once to float (never -0); a code's score adds its bytes' entries in byte order, in float. Equal
// codes therefore get equal scores, and any kernel variant must keep this order exactly.
#pragma once
#include <cstdint>

#include "search/score_topk.h"

namespace ascmh {

constexpr int kLutEntries = 256;

inline int lut_bytes(int bits) { return (bits + 7) / 8; }

// lut (lut_bytes(bits) * 256 floats) for projection[0..bits): lut[b * 256 + v] is the partial score
// of byte b holding v; bits at or above `bits` count 0.
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

// Kernels for `bits`-bit codes, specialised for 16, 32, 64, 128 and 256 bits.
ScoreScanFn score_scan_kernel(int bits);
ScoreFn score_kernel(int bits);

}  // namespace ascmh
