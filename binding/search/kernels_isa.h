// Internal to the kernel files: what each instruction-set file provides to kernels.cc.
#pragma once
#include "search/kernels.h"

namespace ascmh {
namespace kernels {

HammingScanFn generic_scan(int bits, int words);
HammingDistFn generic_dist(int bits, int words);
HammingScanFn popcnt_scan(int bits, int words);
HammingDistFn popcnt_dist(int bits, int words);
HammingScanFn avx2_scan(int bits, int words);
HammingDistFn avx2_dist(int bits, int words);
HammingScanFn avx512_scan(int bits, int words);
HammingDistFn avx512_dist(int bits, int words);

}  // namespace kernels
}  // namespace ascmh
