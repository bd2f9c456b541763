// Kernel dispatch: the best instruction set the CPU supports is detected once; tests and
// benchmarks may step down (set_hamming_kernel) to check the fallbacks on the same machine.
// Off x86 only the generic kernels exist (on arm64 they compile to NEON cnt: it is baseline there).
#include "search/kernels.h"

#include <algorithm>
#include <atomic>

#include "core/codes.h"
#include "search/kernels_isa.h"

namespace ascmh {

namespace {

enum class Isa { generic, popcnt, avx2, avx512 };

Isa detect() {
#if ASCMH_X86_KERNELS
  __builtin_cpu_init();
  const bool popcnt = __builtin_cpu_supports("popcnt");
  // __builtin_cpu_supports also checks that the OS saves the AVX / AVX-512 register state. Every
  // CPU with VPOPCNTDQ and BW (Ice Lake and later, Zen 4 and later) also has VBMI2 and BMI2.
  if (popcnt && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vpopcntdq") &&
      __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("bmi2"))
    return Isa::avx512;
  if (popcnt && __builtin_cpu_supports("avx2")) return Isa::avx2;
  if (popcnt) return Isa::popcnt;
#endif
  return Isa::generic;
}

std::atomic<int>& chosen() {
  static std::atomic<int> isa{static_cast<int>(detect())};
  return isa;
}

Isa isa() { return static_cast<Isa>(chosen().load(std::memory_order_relaxed)); }

}  // namespace

HammingScanFn hamming_scan_kernel(int bits) {
  const int words = words_per_code(bits);
  switch (isa()) {
#if ASCMH_X86_KERNELS
    case Isa::avx512: return kernels::avx512_scan(bits, words);
    case Isa::avx2: return kernels::avx2_scan(bits, words);
    case Isa::popcnt: return kernels::popcnt_scan(bits, words);
#endif
    default: return kernels::generic_scan(bits, words);
  }
}

HammingScanFn hamming_dense_scan_kernel(int bits) {
#if ASCMH_X86_KERNELS
  if (isa() == Isa::avx512 && bits <= 1024) return kernels::avx512_dense_scan(bits, words_per_code(bits));
#endif
  return hamming_scan_kernel(bits);
}

bool avx512_chosen() { return isa() == Isa::avx512; }

bool hamming_dense_scan_at_any_k(int bits) {
  const int words = words_per_code(bits);
  return isa() == Isa::avx512 && bits > 32 && (words == 1 || words == 2 || words == 4);
}

HammingDistFn hamming_dist_kernel(int bits) {
  const int words = words_per_code(bits);
  switch (isa()) {
#if ASCMH_X86_KERNELS
    case Isa::avx512: return kernels::avx512_dist(bits, words);
    case Isa::avx2: return kernels::avx2_dist(bits, words);
    case Isa::popcnt: return kernels::popcnt_dist(bits, words);
#endif
    default: return kernels::generic_dist(bits, words);
  }
}

bool set_hamming_kernel(const std::string& name) {
  Isa want;
  if (name == "avx512") want = Isa::avx512;
  else if (name == "avx2") want = Isa::avx2;
  else if (name == "popcnt") want = Isa::popcnt;
  else if (name == "generic") want = Isa::generic;
  else return false;
  if (static_cast<int>(want) > static_cast<int>(detect())) return false;
  chosen().store(static_cast<int>(want));
  return true;
}

const char* hamming_kernel_name() {
  switch (isa()) {
    case Isa::avx512: return "avx512";
    case Isa::avx2: return "avx2";
    case Isa::popcnt: return "popcnt";
    default: return "generic";
  }
}

int64_t hamming_chunk_items(int words) {
  // 128 KiB of codes: an eighth of Zen 5's 1 MiB L2 (a quarter of Zen 3's), leaving room for the
  // per-query state of a group.
  return std::max<int64_t>(64, (int64_t(128) << 10) / (8 * words)) & ~int64_t(15);
}

}  // namespace ascmh
