// The asymmetric scoring kernels (search/asymmetric.h): portable scalar code, unrolled for the
// common widths. An item's code is read as 64-bit words and split into bytes in registers.
// (AVX-512 gathers were tried: slower than these scalar loads on Zen 5; the AVX-512 kernels,
// asymmetric_kernels_avx512.cc, look nibbles up in registers instead.)
#include <cmath>

#include "core/codes.h"
#include "search/asymmetric.h"
#include "search/kernels_isa.h"

namespace ascmh {

void build_score_lut(const double* projection, int bits, float* lut) {
  const int bytes = lut_bytes(bits);
  float* nibbles = lut + int64_t(bytes) * kLutEntries;
  for (int b = 0; b < bytes; ++b) {
    float* nibble = nibbles + 32 * b;
    for (int h = 0; h < 2; ++h) {
      double p[4], sum = 0;
      for (int t = 0; t < 4; ++t) {
        const int j = 8 * b + 4 * h + t;
        p[t] = j < bits ? projection[j] : 0.0;
        sum += p[t];
      }
      // v's entry from v without its lowest set bit: that bit's term turns from -p to +p.
      double value[16];
      value[0] = -sum;
      for (int v = 1; v < 16; ++v) value[v] = value[v & (v - 1)] + 2 * p[__builtin_ctz(v)];
      // + 0: never -0 (then neither is a sum of two entries, in round-to-nearest).
      for (int v = 0; v < 16; ++v) nibble[16 * h + v] = static_cast<float>(value[v] + 0.0);
    }
    float* table = lut + b * kLutEntries;
    for (int v = 0; v < kLutEntries; ++v) table[v] = nibble[v & 15] + nibble[16 + (v >> 4)];
  }
}

namespace {

// score_code for B bytes known at compile time (B > 0), or any `bytes` (B = 0).
template <int B>
__attribute__((always_inline)) inline float score_of(const float* lut, const uint64_t* code, int bytes) {
  if (B == 0) return score_code(lut, code, bytes);
  uint64_t w = code[0];
  float s = lut[w & 255];
  for (int b = 1; b < B; ++b) {
    w = b % 8 == 0 ? code[b / 8] : w >> 8;
    s += lut[b * kLutEntries + (w & 255)];
  }
  return s;
}

// The scores of kItems consecutive items at once (B > 0): each item's adds stay in byte order,
// but the items' chains of dependent float adds interleave, so the adds of one item no longer
// wait on each other's latency (2.5x faster at 64 bits, 4x at 128 on Zen 5).
constexpr int kItems = 4;

template <int B>
__attribute__((always_inline)) inline void score_block(const float* lut, const uint64_t* db, float* s) {
  constexpr int stride = (B + 7) / 8;
  uint64_t w[kItems];
#pragma GCC unroll 8
  for (int k = 0; k < kItems; ++k) {
    w[k] = db[k * stride];
    s[k] = lut[w[k] & 255];
  }
#pragma GCC unroll 32
  for (int b = 1; b < B; ++b) {
#pragma GCC unroll 8
    for (int k = 0; k < kItems; ++k) {
      w[k] = b % 8 == 0 ? db[k * stride + b / 8] : w[k] >> 8;
      s[k] += lut[b * kLutEntries + (w[k] & 255)];
    }
  }
}

template <int B>
void scan_lut(const float* lut, const uint64_t* db, int64_t count, int words, int bytes, int64_t base, ScoreTopK& top) {
  const int stride = B > 0 ? (B + 7) / 8 : words;
  float cut = top.cut();
  int64_t i = 0;
  if constexpr (B > 0) {
    for (; i + kItems <= count; i += kItems) {
      float s[kItems];
      score_block<B>(lut, db + i * stride, s);
      for (int k = 0; k < kItems; ++k)
        if (s[k] > cut) {
          top.push(base + i + k, s[k]);
          cut = top.cut();
        }
    }
  }
  for (; i < count; ++i) {
    const float s = score_of<B>(lut, db + i * stride, bytes);
    if (s > cut) {
      top.push(base + i, s);
      cut = top.cut();
    }
  }
}

template <int B>
void score_lut(const float* lut, const uint64_t* db, int64_t count, int words, int bytes, float* out) {
  const int stride = B > 0 ? (B + 7) / 8 : words;
  int64_t i = 0;
  if constexpr (B > 0)
    for (; i + kItems <= count; i += kItems) score_block<B>(lut, db + i * stride, out + i);
  for (; i < count; ++i) out[i] = score_of<B>(lut, db + i * stride, bytes);
}

}  // namespace

ScoreScanFn score_scan_kernel(int bits) {
#if ASCMH_X86_KERNELS
  if (avx512_chosen())
    if (ScoreScanFn f = kernels::avx512_score_scan(bits)) return f;
#endif
  switch (bits) {
    case 16: return scan_lut<2>;
    case 32: return scan_lut<4>;
    case 64: return scan_lut<8>;
    case 128: return scan_lut<16>;
    case 256: return scan_lut<32>;
    default: return scan_lut<0>;
  }
}

ScoreFn score_kernel(int bits) {
#if ASCMH_X86_KERNELS
  if (avx512_chosen())
    if (ScoreFn f = kernels::avx512_score(bits)) return f;
#endif
  switch (bits) {
    case 16: return score_lut<2>;
    case 32: return score_lut<4>;
    case 64: return score_lut<8>;
    case 128: return score_lut<16>;
    case 256: return score_lut<32>;
    default: return score_lut<0>;
  }
}

}  // namespace ascmh
