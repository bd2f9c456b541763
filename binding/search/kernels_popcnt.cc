// Scalar kernels with the popcnt instruction.
#include "search/kernels_isa.h"

#if ASCMH_X86_KERNELS  // the whole file
#include "search/kernels_scalar.h"

namespace ascmh {
namespace kernels {
namespace {
ASCMH_SCALAR_KERNELS(popcnt, __attribute__((target("popcnt"))))
}  // namespace

HammingScanFn popcnt_scan(int bits, int words) {
  return words == 1 ? scan_popcnt<1> : words == 2 ? scan_popcnt<2> : words == 4 ? scan_popcnt<4> : scan_popcnt<0>;
}
HammingDistFn popcnt_dist(int bits, int words) {
  return words == 1 ? dist_popcnt<1> : words == 2 ? dist_popcnt<2> : words == 4 ? dist_popcnt<4> : dist_popcnt<0>;
}

}  // namespace kernels
}  // namespace ascmh

#endif  // ASCMH_X86_KERNELS
