// Portable kernels (baseline x86-64: popcount through libgcc; on arm64 it compiles to NEON cnt).
#include "search/kernels_isa.h"
#include "search/kernels_scalar.h"

namespace ascmh {
namespace kernels {
namespace {
ASCMH_SCALAR_KERNELS(generic, )
}  // namespace

HammingScanFn generic_scan(int bits, int words) {
  return words == 1 ? scan_generic<1> : words == 2 ? scan_generic<2> : scan_generic<0>;
}
HammingDistFn generic_dist(int bits, int words) {
  return words == 1 ? dist_generic<1> : words == 2 ? dist_generic<2> : dist_generic<0>;
}

}  // namespace kernels
}  // namespace ascmh
