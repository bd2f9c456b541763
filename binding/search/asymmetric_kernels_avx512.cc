// AVX-512 asymmetric scoring kernels (search/asymmetric.h) for 16, 32, 64 and 128 bits: 16 items
// at a time, their codes transposed into dword vectors (lane i: item i), and every nibble looked
// up with one vpermps in its 16-entry table, so a byte costs two lookups and two adds for 16
// items instead of a load and an add per item. The additions follow the scalar kernels' order
// (a byte's entry is its low nibble's plus its high nibble's; bytes added in order), so the
// scores are the same floats.
#include "search/kernels_isa.h"

#if ASCMH_X86_KERNELS  // the whole file
#include <immintrin.h>

// GCC 12's avx512fintrin.h starts some intrinsics from _mm512_undefined_*() (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace ascmh {
namespace kernels {
namespace {

#define ASCMH_AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
#define ASCMH_AVX512 ASCMH_AVX512_TARGET __attribute__((always_inline)) inline

// d[j] lane i = dword j of item i, for the 16 items of W words at db and j < 2W.
template <int W>
ASCMH_AVX512 void load_dwords(const uint64_t* db, __m512i* d) {
  if constexpr (W == 1) {
    const __m512i a = _mm512_loadu_si512(db), b = _mm512_loadu_si512(db + 8);
    d[0] = _mm512_permutex2var_epi32(a, _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), b);
    d[1] = _mm512_permutex2var_epi32(a, _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), b);
  } else {
    // Item i's dword j is dword 4i + j of the 16 x 4 loaded. Each permute takes two dwords of 8
    // items (lanes 0-7 and 8-15); the 256-bit halves of two such vectors then make 16 items.
    const __m512i v0 = _mm512_loadu_si512(db), v1 = _mm512_loadu_si512(db + 8);
    const __m512i v2 = _mm512_loadu_si512(db + 16), v3 = _mm512_loadu_si512(db + 24);
#pragma GCC unroll 2
    for (int j = 0; j < 4; j += 2) {
      const __m512i idx = _mm512_add_epi32(
          _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29), _mm512_set1_epi32(j));
      const __m512i p = _mm512_permutex2var_epi32(v0, idx, v1), q = _mm512_permutex2var_epi32(v2, idx, v3);
      d[j] = _mm512_shuffle_i64x2(p, q, _MM_SHUFFLE(1, 0, 1, 0));
      d[j + 1] = _mm512_shuffle_i64x2(p, q, _MM_SHUFFLE(3, 2, 3, 2));
    }
  }
}

// The scores of 16 items of B bytes from their dwords; nib: the nibble tables (32 floats a byte).
template <int B>
ASCMH_AVX512 __m512 score16(const float* nib, const __m512i* d) {
  __m512 s = _mm512_setzero_ps();
#pragma GCC unroll 16
  for (int b = 0; b < B; ++b) {
    const __m512i w = d[b / 4];
    const int shift = 8 * (b % 4);
    // vpermps reads only the low 4 bits of each index.
    const __m512i lo = shift ? _mm512_srli_epi32(w, shift) : w;
    const __m512i hi = _mm512_srli_epi32(w, shift + 4);
    const __m512 t = _mm512_add_ps(_mm512_permutexvar_ps(lo, _mm512_loadu_ps(nib + 32 * b)),
                                   _mm512_permutexvar_ps(hi, _mm512_loadu_ps(nib + 32 * b + 16)));
    s = b == 0 ? t : _mm512_add_ps(s, t);
  }
  return s;
}

template <int B>
ASCMH_AVX512_TARGET void scan_avx512_lut(const float* lut, const uint64_t* db, int64_t count, int words, int bytes,
                                         int64_t base, ScoreTopK& top) {
  constexpr int W = (B + 7) / 8;
  const float* nib = lut + int64_t(B) * kLutEntries;
  float cut = top.cut();
  alignas(64) float scores[16];
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    __m512i d[2 * W];
    load_dwords<W>(db + i * W, d);
    const __m512 s = score16<B>(nib, d);
    uint32_t m = _mm512_cmp_ps_mask(s, _mm512_set1_ps(cut), _CMP_GT_OQ);
    if (__builtin_expect(m != 0, 0)) {
      _mm512_store_ps(scores, s);
      // In position order, each against the cut as it rises.
      for (; m; m &= m - 1) {
        const int k = __builtin_ctz(m);
        if (scores[k] > cut) {
          top.push(base + i + k, scores[k]);
          cut = top.cut();
        }
      }
    }
  }
  for (; i < count; ++i) {
    const float s = score_code(lut, db + i * words, bytes);
    if (s > cut) {
      top.push(base + i, s);
      cut = top.cut();
    }
  }
}

template <int B>
ASCMH_AVX512_TARGET void score_avx512_lut(const float* lut, const uint64_t* db, int64_t count, int words, int bytes,
                                          float* out) {
  constexpr int W = (B + 7) / 8;
  const float* nib = lut + int64_t(B) * kLutEntries;
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    __m512i d[2 * W];
    load_dwords<W>(db + i * W, d);
    _mm512_storeu_ps(out + i, score16<B>(nib, d));
  }
  for (; i < count; ++i) out[i] = score_code(lut, db + i * words, bytes);
}

}  // namespace

ScoreScanFn avx512_score_scan(int bits) {
  switch (bits) {
    case 16: return scan_avx512_lut<2>;
    case 32: return scan_avx512_lut<4>;
    case 64: return scan_avx512_lut<8>;
    case 128: return scan_avx512_lut<16>;
    default: return nullptr;
  }
}

ScoreFn avx512_score(int bits) {
  switch (bits) {
    case 16: return score_avx512_lut<2>;
    case 32: return score_avx512_lut<4>;
    case 64: return score_avx512_lut<8>;
    case 128: return score_avx512_lut<16>;
    default: return nullptr;
  }
}

}  // namespace kernels
}  // namespace ascmh

#endif  // ASCMH_X86_KERNELS
