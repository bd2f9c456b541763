// AVX-512 kernels: VPOPCNTDQ popcounts, AVX512F/BW unsigned compares against the TopK cut (VBMI2
// concatenating shifts pack distances into bytes for the dense scan), and
// candidates compressed (vpcompressq) straight into the TopK log, so a block of items with hits
// costs no branch per hit. The dense scan (many hits) keeps a bit per item and collects the hits
// in a second pass. Tails use masked loads: nothing past `count` items is read.
#include "search/kernels_isa.h"

#if ASCMH_X86_KERNELS  // the whole file
#include <immintrin.h>

// GCC 12's avx512fintrin.h starts some intrinsics from _mm512_undefined_*() and warns about it
// (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace ascmh {
namespace kernels {
namespace {

#define ASCMH_AVX512_TARGET \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vpopcntdq,avx512vbmi2,bmi2,popcnt")))
#define ASCMH_AVX512 ASCMH_AVX512_TARGET __attribute__((always_inline)) inline

ASCMH_AVX512 __m512i pop(__m512i a, __m512i b) { return _mm512_popcnt_epi64(_mm512_xor_si512(a, b)); }
ASCMH_AVX512 __m512i load(const uint64_t* p) { return _mm512_loadu_si512(p); }
ASCMH_AVX512 __m512i load(const uint64_t* p, __mmask8 m) { return _mm512_maskz_loadu_epi64(m, p); }
// Lanes 0..n-1 of 8.
ASCMH_AVX512 __mmask8 first(int n) { return static_cast<__mmask8>(n >= 8 ? 0xff : n <= 0 ? 0 : (1u << n) - 1); }

// Sums of adjacent lane pairs of a then b: (a0+a1, a2+a3, a4+a5, a6+a7, b0+b1, ..., b6+b7).
ASCMH_AVX512 __m512i pair_sums(__m512i a, __m512i b) {
  const __m512i even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
  const __m512i odd = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
  return _mm512_add_epi64(_mm512_permutex2var_epi64(a, even, b), _mm512_permutex2var_epi64(a, odd, b));
}

// The query, held in registers the way dist8<W> consumes it.
template <int W>
struct Query {
  __m512i v;
  const uint64_t* q;
  int words;
  ASCMH_AVX512 Query(const uint64_t* query, int n) : q(query), words(n) {
    if (W == 1) v = _mm512_set1_epi64(static_cast<long long>(query[0]));
    else if (W == 2) v = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(query)));
    else if (W == 4) v = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(query)));
    else v = _mm512_setzero_si512();
  }
};

// Distances of the n <= 8 consecutive items at db (8 when !Tail), one per 64-bit lane in item
// order; lanes >= n hold garbage. Reads only the words of items < n.
template <int W, bool Tail>
ASCMH_AVX512 __m512i dist8(const Query<W>& q, const uint64_t* db, int n) {
  if (W == 1) return pop(Tail ? load(db, first(n)) : load(db), q.v);
  if (W == 2) {
    const __m512i a = pop(Tail ? load(db, first(2 * n)) : load(db), q.v);              // items 0-3
    const __m512i b = pop(Tail ? load(db + 8, first(2 * n - 8)) : load(db + 8), q.v);  // items 4-7
    return pair_sums(a, b);
  }
  if (W == 4) {
    const __m512i p0 = pop(Tail ? load(db, first(4 * n)) : load(db), q.v);  // items 0, 1
    const __m512i p1 = pop(Tail ? load(db + 8, first(4 * n - 8)) : load(db + 8), q.v);
    const __m512i p2 = pop(Tail ? load(db + 16, first(4 * n - 16)) : load(db + 16), q.v);
    const __m512i p3 = pop(Tail ? load(db + 24, first(4 * n - 24)) : load(db + 24), q.v);
    return pair_sums(pair_sums(p0, p1), pair_sums(p2, p3));
  }
  // Any width: per item, whole vectors then a masked one; the 8 per-item lane sums are reduced
  // together by three levels of pair sums.
  const int words = q.words, full = words / 8;
  const __mmask8 rest = first(words % 8);
  __m512i acc[8];
  for (int j = 0; j < 8; ++j) {
    acc[j] = _mm512_setzero_si512();
    if (Tail && j >= n) continue;
    const uint64_t* item = db + static_cast<int64_t>(j) * words;
    __m512i s = _mm512_setzero_si512();
    for (int c = 0; c < full; ++c) s = _mm512_add_epi64(s, pop(load(item + 8 * c), load(q.q + 8 * c)));
    if (rest) s = _mm512_add_epi64(s, pop(load(item + 8 * full, rest), load(q.q + 8 * full, rest)));
    acc[j] = s;
  }
  const __m512i t01 = pair_sums(acc[0], acc[1]), t23 = pair_sums(acc[2], acc[3]);
  const __m512i t45 = pair_sums(acc[4], acc[5]), t67 = pair_sums(acc[6], acc[7]);
  return pair_sums(pair_sums(t01, t23), pair_sums(t45, t67));
}

// Appends the items of masks ma and mb (lane j = position pos0 + j in a, pos0 + 8 + j in b, the
// distances in the lanes) to the log and accounts for them with one commit: no branch on which of
// the two blocks holds the hits.
ASCMH_AVX512 void offer(TopK& top, __m512i a, __mmask8 ma, __m512i b, __mmask8 mb, int64_t pos0) {
  const __m512i p = _mm512_add_epi64(_mm512_set1_epi64(pos0), _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7));
  const int na = __builtin_popcount(ma);
  const TopK::Tail t = top.reserve(16);
  _mm512_storeu_si512(t.pos, _mm512_maskz_compress_epi64(ma, p));
  _mm512_storeu_si512(t.pos + na, _mm512_maskz_compress_epi64(mb, _mm512_add_epi64(p, _mm512_set1_epi64(8))));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(t.dist), _mm512_cvtepi64_epi16(_mm512_maskz_compress_epi64(ma, a)));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(t.dist + na), _mm512_cvtepi64_epi16(_mm512_maskz_compress_epi64(mb, b)));
  top.commit(na + __builtin_popcount(mb));
}

template <int W>
ASCMH_AVX512_TARGET void scan_avx512(const uint64_t* query, const uint64_t* db, int64_t count, int words, int64_t base,
                                     TopK& top) {
  const int64_t stride = W > 0 ? W : words;
  const Query<W> q(query, words);
  __m512i cut = _mm512_set1_epi64(top.cut());
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    const __m512i a = dist8<W, false>(q, db + i * stride, 8);
    const __m512i b = dist8<W, false>(q, db + (i + 8) * stride, 8);
    // One compare of the lane minima decides whether any of the 16 items is a candidate.
    if (__builtin_expect(!_mm512_kortestz(_mm512_cmplt_epu64_mask(_mm512_min_epu64(a, b), cut), 0), 0)) {
      offer(top, a, _mm512_cmplt_epu64_mask(a, cut), b, _mm512_cmplt_epu64_mask(b, cut), base + i);
      cut = _mm512_set1_epi64(top.cut());
    }
  }
  for (; i < count; i += 8) {
    const int n = static_cast<int>(count - i < 8 ? count - i : 8);
    const __m512i a = n == 8 ? dist8<W, false>(q, db + i * stride, 8) : dist8<W, true>(q, db + i * stride, n);
    const __mmask8 m = _mm512_cmplt_epu64_mask(a, cut) & first(n);
    if (m) {
      offer(top, a, m, a, 0, base + i);
      cut = _mm512_set1_epi64(top.cut());
    }
  }
}

template <int W>
ASCMH_AVX512_TARGET void dist_avx512(const uint64_t* query, const uint64_t* db, int64_t count, int words,
                                     uint16_t* out) {
  const int64_t stride = W > 0 ? W : words;
  const Query<W> q(query, words);
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    const __m128i a = _mm512_cvtepi64_epi16(dist8<W, false>(q, db + i * stride, 8));
    const __m128i b = _mm512_cvtepi64_epi16(dist8<W, false>(q, db + (i + 8) * stride, 8));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm256_inserti128_si256(_mm256_castsi128_si256(a), b, 1));
  }
  for (; i < count; i += 8) {
    const int n = static_cast<int>(count - i < 8 ? count - i : 8);
    const __m512i d = n == 8 ? dist8<W, false>(q, db + i * stride, 8) : dist8<W, true>(q, db + i * stride, n);
    _mm_mask_storeu_epi16(out + i, first(n), _mm512_cvtepi64_epi16(d));
  }
}

// Codes of at most 32 bits: only the low dword of each word is set, so 16 items' low dwords fill
// one vector and are counted with vpopcntd.
ASCMH_AVX512 __mmask16 first16(int n) {
  return static_cast<__mmask16>(n >= 16 ? 0xffff : n <= 0 ? 0 : (1u << n) - 1);
}

template <bool Tail>
ASCMH_AVX512 __m512i dist16_half(__m512i q32, const uint64_t* db, int n) {
  const __m512i lo = Tail ? load(db, first(n)) : load(db);
  const __m512i hi = Tail ? load(db + 8, first(n - 8)) : load(db + 8);
  const __m512i low_dwords = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  return _mm512_popcnt_epi32(_mm512_xor_si512(_mm512_permutex2var_epi32(lo, low_dwords, hi), q32));
}

// As offer() for two blocks of 16 items with 32-bit distances.
ASCMH_AVX512 void offer_half(TopK& top, __m512i a, __mmask16 ma, __m512i b, __mmask16 mb, int64_t pos0) {
  const __m512i p = _mm512_add_epi64(_mm512_set1_epi64(pos0), _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7));
  const __m512i eight = _mm512_set1_epi64(8);
  const int n0 = __builtin_popcount(ma & 0xff), na = __builtin_popcount(ma), n2 = na + __builtin_popcount(mb & 0xff);
  const TopK::Tail t = top.reserve(32);
  _mm512_storeu_si512(t.pos, _mm512_maskz_compress_epi64(static_cast<__mmask8>(ma), p));
  _mm512_storeu_si512(t.pos + n0, _mm512_maskz_compress_epi64(static_cast<__mmask8>(ma >> 8), _mm512_add_epi64(p, eight)));
  const __m512i p2 = _mm512_add_epi64(p, _mm512_set1_epi64(16));
  _mm512_storeu_si512(t.pos + na, _mm512_maskz_compress_epi64(static_cast<__mmask8>(mb), p2));
  _mm512_storeu_si512(t.pos + n2, _mm512_maskz_compress_epi64(static_cast<__mmask8>(mb >> 8), _mm512_add_epi64(p2, eight)));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(t.dist), _mm512_cvtepi32_epi16(_mm512_maskz_compress_epi32(ma, a)));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(t.dist + na), _mm512_cvtepi32_epi16(_mm512_maskz_compress_epi32(mb, b)));
  top.commit(na + __builtin_popcount(mb));
}

ASCMH_AVX512_TARGET void scan_avx512_half(const uint64_t* query, const uint64_t* db, int64_t count, int words,
                                          int64_t base, TopK& top) {
  const __m512i q32 = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(query[0])));
  __m512i cut = _mm512_set1_epi32(top.cut());
  int64_t i = 0;
  for (; i + 32 <= count; i += 32) {
    const __m512i a = dist16_half<false>(q32, db + i, 16), b = dist16_half<false>(q32, db + i + 16, 16);
    if (__builtin_expect(!_mm512_kortestz(_mm512_cmplt_epu32_mask(_mm512_min_epu32(a, b), cut), 0), 0)) {
      offer_half(top, a, _mm512_cmplt_epu32_mask(a, cut), b, _mm512_cmplt_epu32_mask(b, cut), base + i);
      cut = _mm512_set1_epi32(top.cut());
    }
  }
  for (; i < count; i += 16) {
    const int n = static_cast<int>(count - i < 16 ? count - i : 16);
    const __m512i a = n == 16 ? dist16_half<false>(q32, db + i, 16) : dist16_half<true>(q32, db + i, n);
    const __mmask16 m = _mm512_cmplt_epu32_mask(a, cut) & first16(n);
    if (m) {
      offer_half(top, a, m, a, 0, base + i);
      cut = _mm512_set1_epi32(top.cut());
    }
  }
}

ASCMH_AVX512_TARGET void dist_avx512_half(const uint64_t* query, const uint64_t* db, int64_t count, int words,
                                          uint16_t* out) {
  const __m512i q32 = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(query[0])));
  int64_t i = 0;
  for (; i + 16 <= count; i += 16)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm512_cvtepi32_epi16(dist16_half<false>(q32, db + i, 16)));
  if (i < count) {
    const int n = static_cast<int>(count - i);
    _mm256_mask_storeu_epi16(out + i, first16(n), _mm512_cvtepi32_epi16(dist16_half<true>(q32, db + i, n)));
  }
}

// Bit i: item i of the 16 at p is below the cut.
template <int W>
ASCMH_AVX512 __mmask16 below16(const Query<W>& q, const uint64_t* p, int64_t stride, __m512i cut) {
  return _mm512_kunpackb(_mm512_cmplt_epu64_mask(dist8<W, false>(q, p + 8 * stride, 8), cut),
                         _mm512_cmplt_epu64_mask(dist8<W, false>(q, p, 8), cut));
}

// Bit i: item i of the 64 at p is below the cut.
template <int W, bool Half>
ASCMH_AVX512 uint64_t below64(const Query<W>& q, __m512i q32, const uint64_t* p, int64_t stride, __m512i cut) {
  if (Half) {
    const __mmask16 k0 = _mm512_cmplt_epu32_mask(dist16_half<false>(q32, p, 16), cut);
    const __mmask16 k1 = _mm512_cmplt_epu32_mask(dist16_half<false>(q32, p + 16, 16), cut);
    const __mmask16 k2 = _mm512_cmplt_epu32_mask(dist16_half<false>(q32, p + 32, 16), cut);
    const __mmask16 k3 = _mm512_cmplt_epu32_mask(dist16_half<false>(q32, p + 48, 16), cut);
    return _cvtmask64_u64(_mm512_kunpackd(_mm512_kunpackw(k3, k2), _mm512_kunpackw(k1, k0)));
  }
  uint64_t m = 0;
  // Wider codes: unrolled, this loop ran 15% slower than the single-pass scan (measured at 256 bits).
#pragma GCC unroll 1
  for (int part = 0; part < 4; ++part)
    m |= static_cast<uint64_t>(_cvtmask16_u32(below16(q, p + 16 * part * stride, stride, cut))) << (16 * part);
  return m;
}

// The popcounts of the 8 vectors at p (p[8k .. 8k + 7] against the query) packed one byte per
// lane: byte 8j + k is lane j of vector k (every count is at most 64).
template <int W>
ASCMH_AVX512 __m512i pack8(const Query<W>& q, const uint64_t* p) {
  __m512i x = _mm512_slli_epi64(pop(load(p), q.v), 56);
#pragma GCC unroll 7
  for (int k = 1; k < 8; ++k) x = _mm512_shrdi_epi64(x, pop(load(p + 8 * k), q.v), 8);
  return x;
}

// Each lane quad's bytes summed (saturating), the sum in all four lanes.
ASCMH_AVX512 __m512i quad_sums(__m512i x) {
  x = _mm512_adds_epu8(x, _mm512_shuffle_epi32(x, _MM_PERM_BADC));
  return _mm512_adds_epu8(x, _mm512_permutex_epi64(x, _MM_SHUFFLE(1, 0, 3, 2)));
}

// Codes of 64, 128 or 256 bits: the 64 items' distances packed one byte each with concatenating
// shifts, then one byte compare against `cut8` (at most 255). Comparing each block of 8 and merging
// the masks cost more than the popcounts at 64 bits (the k-register moves and shifts). The words of
// an item are summed with in-lane shuffles and byte adds, not cross-lane permutes; at 256 bits the
// adds saturate, so distances 255 and 256 both read 255, which is never below the cut. The mask's
// bits come in an order of their own; item_order<W> restores item order.
template <int W>
ASCMH_AVX512 uint64_t below64_packed(const Query<W>& q, const uint64_t* p, __m512i cut8) {
  if constexpr (W == 1) {
    // Byte 8j + k: item 8k + j.
    return _cvtmask64_u64(_mm512_cmplt_epu8_mask(pack8(q, p), cut8));
  } else if constexpr (W == 2) {
    // Byte 8j + k of x: word j % 2 of item 4k + j / 2 (of y: the same for the next 32 items). Each
    // lane plus its neighbour is the item's distance (at most 128: no byte carries); the blend
    // takes x's even lanes and y's odd ones: byte 8j + k is item 32 (j % 2) + 4k + j / 2.
    __m512i x = pack8(q, p), y = pack8(q, p + 64);
    x = _mm512_add_epi8(x, _mm512_shuffle_epi32(x, _MM_PERM_BADC));
    y = _mm512_add_epi8(y, _mm512_shuffle_epi32(y, _MM_PERM_BADC));
    return _cvtmask64_u64(_mm512_cmplt_epu8_mask(_mm512_mask_blend_epi64(0xAA, x, y), cut8));
  } else {
    // Byte 8j + k of x[m]: word j % 4 of item 2 (8m + k) + j / 4. Summed over lane quads, then
    // lane j taken from x[j % 4]: byte 8j + k is item 16 (j % 4) + 2k + j / 4.
    __m512i z = quad_sums(pack8(q, p));
    z = _mm512_mask_blend_epi64(0x22, z, quad_sums(pack8(q, p + 64)));
    z = _mm512_mask_blend_epi64(0x44, z, quad_sums(pack8(q, p + 128)));
    z = _mm512_mask_blend_epi64(0x88, z, quad_sums(pack8(q, p + 192)));
    return _cvtmask64_u64(_mm512_cmplt_epu8_mask(z, cut8));
  }
}

// The mask of below64_packed<W> in item order (bit i: item i).
template <int W>
ASCMH_AVX512 uint64_t item_order(uint64_t x) {
  if constexpr (W == 1) {
    // The 8 x 8 bit matrix transposed: bit 8r + c to 8c + r.
    uint64_t t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAULL;
    x ^= t ^ (t << 7);
    t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCULL;
    x ^= t ^ (t << 14);
    t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0ULL;
    return x ^ t ^ (t << 28);
  } else if constexpr (W == 2) {
    // Bits 16t .. 16t + 15 are items t, t + 4, ..., t + 60.
    constexpr uint64_t every4 = 0x1111111111111111ULL;
    return _pdep_u64(x, every4) | _pdep_u64(x >> 16, every4 << 1) | _pdep_u64(x >> 32, every4 << 2) |
           _pdep_u64(x >> 48, every4 << 3);
  } else {
    // Bits 0 .. 31 are the even items, bits 32 .. 63 the odd ones.
    return _pdep_u64(x, 0x5555555555555555ULL) | _pdep_u64(x >> 32, 0xAAAAAAAAAAAAAAAAULL);
  }
}

// The first pass of dense_scan_avx512 over `words` * 64 items at p: masks[w] bit i for item
// 64 w + i (Packed: in below64_packed's order) below the cut.
template <int W, bool Half, bool Packed>
ASCMH_AVX512 void fill_masks(const Query<W>& q, __m512i q32, const uint64_t* p, int64_t stride, __m512i cut,
                             uint64_t* masks, int64_t words) {
  for (int64_t w = 0; w < words; ++w, p += 64 * stride) {
    if constexpr (Packed) masks[w] = below64_packed<W>(q, p, cut);
    else masks[w] = below64<W, Half>(q, q32, p, stride, cut);
  }
}

// Scans that accept many items (a radius search, a large k), in two passes over blocks of 4096
// items. The first keeps one bit per item (below the cut or not) with no branch; the second walks
// the set bits without a data-dependent branch (the next word is picked with conditional moves)
// and recomputes each hit's distance. In the single-pass scan every hit's branch resolves behind
// the popcounts, and each misprediction threw away about 15 ns of work; here a block costs about
// one misprediction, at the end of its walk.
template <int W, bool Half>
ASCMH_AVX512_TARGET void dense_scan_avx512(const uint64_t* query, const uint64_t* db, int64_t count, int words,
                                           int64_t base, TopK& top) {
  const int64_t stride = W > 0 ? W : words;
  const Query<W> q(query, words);
  const __m512i q32 = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(query[0])));
  constexpr bool kPackable = !Half && (W == 1 || W == 2 || W == 4);
  constexpr int64_t kBlock = 4096;
  uint64_t masks[kBlock / 64] = {};
  const int64_t whole = count & ~int64_t(63);
  for (int64_t i0 = 0; i0 < whole; i0 += kBlock) {
    const int64_t block_words = (whole - i0 < kBlock ? whole - i0 : kBlock) / 64;
    if (!top.settled()) {
      // A top-k still filling: its cut falls with every offer, which the single pass follows.
      if (Half) scan_avx512_half(query, db + i0 * stride, 64 * block_words, words, base + i0, top);
      else scan_avx512<W>(query, db + i0 * stride, 64 * block_words, words, base + i0, top);
      continue;
    }
    const int cut_now = top.cut();  // at most bits + 1
    // The cut fits a byte at 64 and 128 bits always, at 256 bits when at most 255.
    const bool packed = kPackable && (W < 4 || cut_now <= 255);
    const __m512i cut = packed ? _mm512_set1_epi8(static_cast<char>(cut_now))
                        : Half ? _mm512_set1_epi32(cut_now)
                               : _mm512_set1_epi64(cut_now);
    const uint64_t* block = db + i0 * stride;
    if (packed) fill_masks<W, Half, kPackable>(q, q32, block, stride, cut, masks, block_words);
    else fill_masks<W, Half, false>(q, q32, block, stride, cut, masks, block_words);
    // Which words have hits, and how many, counted in vectors after the pass: counted inside it,
    // each word's move from a mask register to a general one held the pass up.
    uint64_t nonempty = 0;  // bit w: masks[w] has a hit
    __m512i counts = _mm512_setzero_si512();
    for (int v = 0; v < kBlock / 512; ++v) {
      const __m512i x = load(masks + 8 * v, first(static_cast<int>(block_words - 8 * v)));
      nonempty |= static_cast<uint64_t>(static_cast<uint8_t>(_mm512_test_epi64_mask(x, x))) << (8 * v);
      counts = _mm512_add_epi64(counts, _mm512_popcnt_epi64(x));
    }
    const int64_t hits = _mm512_reduce_add_epi64(counts);
    int64_t w = 0;
    uint64_t m = 0;
    for (int64_t h = 0; h < hits;) {
      const int n = static_cast<int>(hits - h < TopK::kMaxBatch ? hits - h : TopK::kMaxBatch);
      const TopK::Tail t = top.reserve(n);
      for (int c = 0; c < n; ++c) {
        // The next nonempty word when this one is used up (nonempty > 0 then: hits remain).
        const bool next = m == 0;
        const int64_t nw = __builtin_ctzll(nonempty | (uint64_t(1) << 63));
        uint64_t nm = masks[nw];
        if constexpr (kPackable) nm = packed ? item_order<W>(nm) : nm;
        w = next ? nw : w;
        m = next ? nm : m;
        nonempty = next ? nonempty & (nonempty - 1) : nonempty;
        const int64_t item = i0 + 64 * w + __builtin_ctzll(m);
        m &= m - 1;
        const uint64_t* code = db + item * stride;
        int d = 0;
        for (int64_t x = 0; x < stride; ++x) d += __builtin_popcountll(code[x] ^ query[x]);
        t.pos[c] = base + item;
        t.dist[c] = static_cast<uint16_t>(d);
      }
      top.commit(n);
      h += n;
    }
  }
  if (whole < count) {
    if (Half) scan_avx512_half(query, db + whole * stride, count - whole, words, base + whole, top);
    else scan_avx512<W>(query, db + whole * stride, count - whole, words, base + whole, top);
  }
}

}  // namespace

HammingScanFn avx512_scan(int bits, int words) {
  if (bits <= 32) return scan_avx512_half;
  return words == 1 ? scan_avx512<1> : words == 2 ? scan_avx512<2> : words == 4 ? scan_avx512<4> : scan_avx512<0>;
}
HammingScanFn avx512_dense_scan(int bits, int words) {
  if (bits <= 32) return dense_scan_avx512<1, true>;
  return words == 1   ? dense_scan_avx512<1, false>
         : words == 2 ? dense_scan_avx512<2, false>
         : words == 4 ? dense_scan_avx512<4, false>
                      : dense_scan_avx512<0, false>;
}
HammingDistFn avx512_dist(int bits, int words) {
  if (bits <= 32) return dist_avx512_half;
  return words == 1 ? dist_avx512<1> : words == 2 ? dist_avx512<2> : words == 4 ? dist_avx512<4> : dist_avx512<0>;
}

}  // namespace kernels
}  // namespace ascmh

#endif  // ASCMH_X86_KERNELS
