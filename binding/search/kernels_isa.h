// Internal to the kernel files: what each instruction-set file provides to kernels.cc.
#pragma once
#include "search/asymmetric.h"
#include "search/kernels.h"

// The popcnt / AVX2 / AVX-512 kernels are built for x86-64 only (their files compile to nothing
// elsewhere).
#if defined(__x86_64__)
#define ASCMH_X86_KERNELS 1
#else
#define ASCMH_X86_KERNELS 0
#endif

namespace ascmh {
namespace kernels {

HammingScanFn generic_scan(int bits, int words);
HammingDistFn generic_dist(int bits, int words);
#if ASCMH_X86_KERNELS
HammingScanFn popcnt_scan(int bits, int words);
HammingDistFn popcnt_dist(int bits, int words);
HammingScanFn avx2_scan(int bits, int words);
HammingDistFn avx2_dist(int bits, int words);
HammingScanFn avx512_scan(int bits, int words);
HammingScanFn avx512_dense_scan(int bits, int words);
HammingDistFn avx512_dist(int bits, int words);
// Asymmetric scoring (search/asymmetric.h) at 16 to 128 bits; null at other widths.
ScoreScanFn avx512_score_scan(int bits);
ScoreFn avx512_score(int bits);
#endif

}  // namespace kernels

// Whether the AVX-512 Hamming kernel is the one in use (the asymmetric kernels follow it).
bool avx512_chosen();

}  // namespace ascmh
