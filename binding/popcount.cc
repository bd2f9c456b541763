#include "popcount.h"

namespace ascmh {
namespace {

template <int Words>
inline void hamming_fixed(const uint64_t* q, const uint64_t* db, int64_t count, uint16_t* out) {
  for (int64_t i = 0; i < count; ++i) {
    const uint64_t* d = db + i * Words;
    int s = 0;
    for (int w = 0; w < Words; ++w) s += __builtin_popcountll(q[w] ^ d[w]);
    out[i] = static_cast<uint16_t>(s);
  }
}

#define ASCMH_HAMMING_BODY                                         \
  switch (words) {                                                 \
    case 1: return hamming_fixed<1>(q, db, count, out);            \
    case 2: return hamming_fixed<2>(q, db, count, out);            \
    case 4: return hamming_fixed<4>(q, db, count, out);            \
    default:                                                       \
      for (int64_t i = 0; i < count; ++i) {                        \
        const uint64_t* d = db + i * words;                        \
        int s = 0;                                                 \
        for (int w = 0; w < words; ++w) s += __builtin_popcountll(q[w] ^ d[w]); \
        out[i] = static_cast<uint16_t>(s);                         \
      }                                                            \
  }

__attribute__((target("popcnt"))) void hamming_popcnt(const uint64_t* q, const uint64_t* db, int64_t count, int words,
                                                       uint16_t* out) {
  ASCMH_HAMMING_BODY
}

void hamming_generic(const uint64_t* q, const uint64_t* db, int64_t count, int words, uint16_t* out) {
  ASCMH_HAMMING_BODY
}

struct Dispatch {
  HammingRowFn fn;
  const char* name;
  Dispatch() {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("popcnt")) {
      fn = hamming_popcnt;
      name = "popcnt";
    } else {
      fn = hamming_generic;
      name = "generic";
    }
  }
};

const Dispatch& dispatch() {
  static Dispatch d;
  return d;
}

}  // namespace

HammingRowFn hamming_row() { return dispatch().fn; }
const char* popcount_kernel_name() { return dispatch().name; }

}  // namespace ascmh
