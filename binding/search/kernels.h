// Exact Hamming kernels: the dispatch interface. One implementation per instruction set
// (kernels_generic.cc, kernels_popcnt.cc, kernels_avx2.cc, kernels_avx512.cc), chosen once at
// load time from the CPU (kernels.cc); the binary itself is compiled for baseline x86-64. On
// arm64 only the generic kernels are built (NEON, whose cnt they compile to, is baseline there).
//
// A scan visits items in order and offers an item to its TopK only when its distance is below
// the collector's running cut (search/topk.h), so most items cost no branch at all.
#pragma once
#include <cstdint>
#include <string>

#include "search/topk.h"

namespace ascmh {

// Offers items db[0..count) (positions base + i, `words` words each) to `top` against one query.
// Reads exactly count * words words of db and `words` words of query.
using HammingScanFn = void (*)(const uint64_t* query, const uint64_t* db, int64_t count, int words, int64_t base,
                               TopK& top);
// out[i] = Hamming distance between query and db[i], for i < count (distances above 65535 wrap).
using HammingDistFn = void (*)(const uint64_t* query, const uint64_t* db, int64_t count, int words, uint16_t* out);

// Kernels for `bits`-bit codes (words_per_code(bits) words each), specialised for <= 32 bits,
// 64, 128 and 256 bits (1, 2 and 4 words); other widths use a generic loop.
HammingScanFn hamming_scan_kernel(int bits);
HammingDistFn hamming_dist_kernel(int bits);
// As hamming_scan_kernel, for scans that accept many items (a radius search, k of 100 and more):
// the same answers, cheaper per accepted item and dearer per item when few are accepted. The
// AVX-512 kernel has its own; the others return their usual scan.
HammingScanFn hamming_dense_scan_kernel(int bits);
// Whether the dense scan is also the cheaper one when few items are accepted (top-10): the
// AVX-512 kernel at 33 to 128 and 193 to 256 bits, whose first pass packs distances into bytes
// (bench/search.mjs).
bool hamming_dense_scan_at_any_k(int bits);

// "avx512" (AVX-512 VPOPCNTDQ), "avx2" (nibble lookup), "popcnt" or "generic".
const char* hamming_kernel_name();
// For tests and benchmarks: use the named kernel; false (and no change) if unknown or this CPU
// lacks it. The default is the best the CPU has.
bool set_hamming_kernel(const std::string& name);

// Items per database chunk so one chunk stays in L2 while a group of queries scans it.
int64_t hamming_chunk_items(int words);

}  // namespace ascmh
