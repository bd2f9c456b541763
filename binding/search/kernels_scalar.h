// Internal to the kernel files: the scalar scan and distance loops, instantiated once per target
// (kernels_generic.cc for baseline x86-64, kernels_popcnt.cc with the popcnt instruction).
#pragma once
#include <cstdint>

#include "search/topk.h"

// Defines scan_<SUFFIX><W> and dist_<SUFFIX><W> in the including file's anonymous namespace; W is
// the word count (0: any, taken from `words`).
#define ASCMH_SCALAR_KERNELS(SUFFIX, ATTR)                                                                    \
  template <int W>                                                                                            \
  ATTR __attribute__((always_inline)) inline int dist_one_##SUFFIX(const uint64_t* q, const uint64_t* d,     \
                                                                   int words) {                               \
    const int n = W > 0 ? W : words;                                                                          \
    int s = 0;                                                                                                \
    for (int w = 0; w < n; ++w) s += __builtin_popcountll(q[w] ^ d[w]);                                       \
    return s;                                                                                                 \
  }                                                                                                           \
  template <int W>                                                                                            \
  ATTR void scan_##SUFFIX(const uint64_t* q, const uint64_t* db, int64_t count, int words, int64_t base,     \
                          TopK& top) {                                                                        \
    const int stride = W > 0 ? W : words;                                                                     \
    for (int64_t i = 0; i < count; ++i) {                                                                     \
      const int d = dist_one_##SUFFIX<W>(q, db + i * stride, words);                                          \
      if (d < top.cut()) top.push(base + i, d);                                                               \
    }                                                                                                         \
  }                                                                                                           \
  template <int W>                                                                                            \
  ATTR void dist_##SUFFIX(const uint64_t* q, const uint64_t* db, int64_t count, int words, uint16_t* out) {   \
    const int stride = W > 0 ? W : words;                                                                     \
    for (int64_t i = 0; i < count; ++i)                                                                       \
      out[i] = static_cast<uint16_t>(dist_one_##SUFFIX<W>(q, db + i * stride, words));                        \
  }
