// AVX2 kernels: byte popcounts by nibble lookup (vpshufb), summed per 64-bit lane by vpsadbw.
#include "search/kernels_isa.h"

#if ASCMH_X86_KERNELS  // the whole file
#include <immintrin.h>

namespace ascmh {
namespace kernels {
namespace {

#define ASCMH_AVX2 __attribute__((target("avx2,popcnt"), always_inline)) inline

ASCMH_AVX2 __m256i popcount_bytes(__m256i v) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2,
                                       2, 3, 2, 3, 3, 4);
  const __m256i low = _mm256_set1_epi8(0x0f);
  const __m256i lo = _mm256_and_si256(v, low);
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
  return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
}

ASCMH_AVX2 __m256i lane_sums(__m256i x) { return _mm256_sad_epu8(popcount_bytes(x), _mm256_setzero_si256()); }

ASCMH_AVX2 __m256i load(const uint64_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// The query broadcast to fill a vector the way quad<W> consumes it.
template <int W>
ASCMH_AVX2 __m256i query_vector(const uint64_t* q) {
  if (W == 1) return _mm256_set1_epi64x(static_cast<long long>(q[0]));
  if (W == 2) return _mm256_setr_epi64x(q[0], q[1], q[0], q[1]);
  if (W == 4) return load(q);
  return _mm256_setzero_si256();
}

// Distances of the four consecutive items at db, one per 64-bit lane: in item order, except that
// for W == 2 lanes 1 and 2 are swapped (items 0 2 1 3; see swap_mid).
template <int W>
ASCMH_AVX2 __m256i quad(const uint64_t* q, __m256i qv, const uint64_t* db, int words) {
  if (W == 1) return lane_sums(_mm256_xor_si256(load(db), qv));
  if (W == 2) {
    // Byte counts of both words of an item are added before one vpsadbw: lanes hold items 0 2 1 3.
    const __m256i a = popcount_bytes(_mm256_xor_si256(load(db), qv));      // items 0 | 1
    const __m256i b = popcount_bytes(_mm256_xor_si256(load(db + 4), qv));  // items 2 | 3
    const __m256i s = _mm256_add_epi8(_mm256_unpacklo_epi64(a, b), _mm256_unpackhi_epi64(a, b));
    return _mm256_sad_epu8(s, _mm256_setzero_si256());
  }
  if (W == 4) {
    // Byte counts summed across words first (at most 32 per byte), one vpsadbw for four items.
    const __m256i c0 = popcount_bytes(_mm256_xor_si256(load(db), qv));
    const __m256i c1 = popcount_bytes(_mm256_xor_si256(load(db + 4), qv));
    const __m256i c2 = popcount_bytes(_mm256_xor_si256(load(db + 8), qv));
    const __m256i c3 = popcount_bytes(_mm256_xor_si256(load(db + 12), qv));
    const __m256i t01 = _mm256_add_epi8(_mm256_unpacklo_epi64(c0, c1), _mm256_unpackhi_epi64(c0, c1));
    const __m256i t23 = _mm256_add_epi8(_mm256_unpacklo_epi64(c2, c3), _mm256_unpackhi_epi64(c2, c3));
    const __m256i u = _mm256_add_epi8(_mm256_permute2x128_si256(t01, t23, 0x20), _mm256_permute2x128_si256(t01, t23, 0x31));
    return _mm256_sad_epu8(u, _mm256_setzero_si256());
  }
  // Any width: whole vectors per item, then the remaining words with popcnt.
  long long d[4];
  const int vecs = words / 4;
  for (int j = 0; j < 4; ++j) {
    const uint64_t* item = db + static_cast<int64_t>(j) * words;
    __m256i acc = _mm256_setzero_si256();
    for (int v = 0; v < vecs; ++v) acc = _mm256_add_epi64(acc, lane_sums(_mm256_xor_si256(load(item + 4 * v), load(q + 4 * v))));
    const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    long long s = _mm_cvtsi128_si64(h) + _mm_extract_epi64(h, 1);
    for (int w = vecs * 4; w < words; ++w) s += __builtin_popcountll(q[w] ^ item[w]);
    d[j] = s;
  }
  return _mm256_setr_epi64x(d[0], d[1], d[2], d[3]);
}

// Swaps bits 1 and 2 (lanes 1 and 2 of a quad): maps between lane and item order for W == 2.
inline int swap_mid(int m) { return (m & 9) | ((m & 2) << 1) | ((m & 4) >> 1); }

template <int W>
__attribute__((target("avx2,popcnt"))) void scan_avx2(const uint64_t* q, const uint64_t* db, int64_t count, int words,
                                                       int64_t base, TopK& top) {
  const int stride = W > 0 ? W : words;
  const __m256i qv = query_vector<W>(q);
  __m256i cutv = _mm256_set1_epi64x(top.cut());
  int64_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m256i a = quad<W>(q, qv, db + i * stride, words);
    const __m256i b = quad<W>(q, qv, db + (i + 4) * stride, words);
    const int ma = _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(cutv, a)));
    const int mb = _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(cutv, b)));
    if (__builtin_expect((ma | mb) != 0, 0)) {
      alignas(32) long long d[8];  // lane order
      _mm256_store_si256(reinterpret_cast<__m256i*>(d), a);
      _mm256_store_si256(reinterpret_cast<__m256i*>(d + 4), b);
      const int m = W == 2 ? swap_mid(ma) | (swap_mid(mb) << 4) : ma | (mb << 4);  // item order
      for (int bits = m; bits; bits &= bits - 1) {
        const int j = __builtin_ctz(bits);
        const long long dj = d[W == 2 ? (j & 4) | ((j & 1) << 1) | ((j >> 1) & 1) : j];  // lane of item j
        // The cut may have dropped since the compare.
        if (dj < top.cut()) top.push(base + i + j, static_cast<int>(dj));
      }
      cutv = _mm256_set1_epi64x(top.cut());
    }
  }
  for (; i < count; ++i) {
    const uint64_t* item = db + i * stride;
    int d = 0;
    for (int w = 0; w < stride; ++w) d += __builtin_popcountll(q[w] ^ item[w]);
    if (d < top.cut()) top.push(base + i, d);
  }
}

template <int W>
__attribute__((target("avx2,popcnt"))) void dist_avx2(const uint64_t* q, const uint64_t* db, int64_t count, int words,
                                                       uint16_t* out) {
  const int stride = W > 0 ? W : words;
  const __m256i qv = query_vector<W>(q);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    const __m256i s0 = quad<W>(q, qv, db + i * stride, words);
    const __m256i s1 = quad<W>(q, qv, db + (i + 4) * stride, words);
    const __m256i s2 = quad<W>(q, qv, db + (i + 8) * stride, words);
    const __m256i s3 = quad<W>(q, qv, db + (i + 12) * stride, words);
    // Two saturating packs leave the 16 distances as pairs in dword order 0 4 1 5 2 6 3 7... undone by order.
    const __m256i z = _mm256_packus_epi32(_mm256_packus_epi32(s0, s1), _mm256_packus_epi32(s2, s3));
    __m256i v = _mm256_permutevar8x32_epi32(z, order);
    // W == 2: 16-bit words 1 and 2 of every group of four hold items 2 and 1.
    if (W == 2) v = _mm256_shuffle_epi8(v, _mm256_setr_epi8(0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15, 0, 1, 4,
                                                           5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), v);
  }
  for (; i < count; ++i) {
    const uint64_t* item = db + i * stride;
    int d = 0;
    for (int w = 0; w < stride; ++w) d += __builtin_popcountll(q[w] ^ item[w]);
    out[i] = static_cast<uint16_t>(d);
  }
}


// Codes of at most 32 bits (16, 24, 32, ...): only the low dword of each word is set, so eight
// items' low dwords are packed into one vector and summed per dword: half the lookups of quad<1>.
// Lanes come out in item order 0 1 4 5 2 3 6 7.
ASCMH_AVX2 __m256i octet_half(__m256i qv32, const uint64_t* db) {
  const __m256 a = _mm256_castsi256_ps(load(db)), b = _mm256_castsi256_ps(load(db + 4));
  const __m256i lo = _mm256_castps_si256(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
  const __m256i c = popcount_bytes(_mm256_xor_si256(lo, qv32));
  return _mm256_madd_epi16(_mm256_maddubs_epi16(c, _mm256_set1_epi8(1)), _mm256_set1_epi16(1));
}

__attribute__((target("avx2,popcnt"))) void scan_avx2_half(const uint64_t* q, const uint64_t* db, int64_t count,
                                                            int words, int64_t base, TopK& top) {
  static constexpr int kItem[8] = {0, 1, 4, 5, 2, 3, 6, 7};
  const __m256i qv = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(q[0])));
  __m256i cutv = _mm256_set1_epi32(top.cut());
  int64_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m256i s = octet_half(qv, db + i);
    const int m = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(cutv, s)));
    if (__builtin_expect(m != 0, 0)) {
      alignas(32) int d[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(d), s);
      int order = 0;
      for (int j = 0; j < 8; ++j) order |= ((m >> j) & 1) << kItem[j];  // bit per item, in item order
      for (int bits = order; bits; bits &= bits - 1) {
        const int it = __builtin_ctz(bits);
        const int lane = it < 2 ? it : it < 4 ? it + 2 : it < 6 ? it - 2 : it;
        if (d[lane] < top.cut()) top.push(base + i + it, d[lane]);
      }
      cutv = _mm256_set1_epi32(top.cut());
    }
  }
  for (; i < count; ++i) {
    const int d = __builtin_popcountll(q[0] ^ db[i]);
    if (d < top.cut()) top.push(base + i, d);
  }
}

__attribute__((target("avx2,popcnt"))) void dist_avx2_half(const uint64_t* q, const uint64_t* db, int64_t count,
                                                            int words, uint16_t* out) {
  const __m256i qv = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(q[0])));
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    // Lanes 0 1 4 5 2 3 6 7 of each half; packus interleaves 128-bit lanes, fixed by one permute.
    const __m256i x = octet_half(qv, db + i), y = octet_half(qv, db + i + 8);
    const __m256i z = _mm256_packus_epi32(x, y);  // x0 x1 x4 x5 y0 y1 y4 y5 | x2 x3 x6 x7 y2 y3 y6 y7
    const __m256i fixed = _mm256_permutevar8x32_epi32(z, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), fixed);
  }
  for (; i < count; ++i) out[i] = static_cast<uint16_t>(__builtin_popcountll(q[0] ^ db[i]));
}

}  // namespace

HammingScanFn avx2_scan(int bits, int words) {
  if (bits <= 32) return scan_avx2_half;
  return words == 1 ? scan_avx2<1> : words == 2 ? scan_avx2<2> : words == 4 ? scan_avx2<4> : scan_avx2<0>;
}
HammingDistFn avx2_dist(int bits, int words) {
  if (bits <= 32) return dist_avx2_half;
  return words == 1 ? dist_avx2<1> : words == 2 ? dist_avx2<2> : words == 4 ? dist_avx2<4> : dist_avx2<0>;
}

}  // namespace kernels
}  // namespace ascmh

#endif  // ASCMH_X86_KERNELS
