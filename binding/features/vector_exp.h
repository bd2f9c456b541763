// exp(x) for x <= 0 in plain arithmetic that compilers vectorise (glibc's exp is one scalar call
// per element, which made it a fifth of the kernel-feature time). Range reduction x = n ln2 + f,
// |f| <= ln2 / 2, with 2^n written into the exponent bits; accurate to about 1 ulp. Below the
// smallest normal result it returns 0.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>

namespace ascmh {

__attribute__((always_inline)) inline float exp_nonpositive(float x) {
  const bool underflow = x < -87.0f;
  x = std::max(x, -87.0f);
  const float magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to the nearest integer
  const float t = x * 1.44269504088896341f + magic;
  const float k = t - magic;
  const float f = (x - k * 0.693359375f) + k * 2.12194440e-4f;  // Cody-Waite: ln2 in two parts
  // Cephes expf polynomial on [-ln2/2, ln2/2]
  float p = 1.9875691500e-4f;
  p = p * f + 1.3981999507e-3f;
  p = p * f + 8.3334519073e-3f;
  p = p * f + 4.1665795894e-2f;
  p = p * f + 1.6666665459e-1f;
  p = p * f + 5.0000001201e-1f;
  p = p * (f * f) + f + 1.0f;
  uint32_t tb, pb;  // unsigned: the shift of a negative n wraps as intended
  std::memcpy(&tb, &t, sizeof tb);
  std::memcpy(&pb, &p, sizeof pb);
  pb += (tb - 0x4B400000u) << 23;  // tb - bits(magic) = n
  std::memcpy(&p, &pb, sizeof p);
  return underflow ? 0.0f : p;
}

__attribute__((always_inline)) inline double exp_nonpositive(double x) {
  const bool underflow = x < -708.0;
  x = std::max(x, -708.0);
  const double magic = 6755399441055744.0;  // 1.5 * 2^52
  const double t = x * 1.4426950408889634074 + magic;
  const double k = t - magic;
  const double f = (x - k * 6.93145751953125e-1) - k * 1.42860682030941723212e-6;
  // Taylor series to degree 13: truncation error below 5e-18 on the reduced range
  double p = 1.0 / 6227020800.0;
  p = p * f + 1.0 / 479001600.0;
  p = p * f + 1.0 / 39916800.0;
  p = p * f + 1.0 / 3628800.0;
  p = p * f + 1.0 / 362880.0;
  p = p * f + 1.0 / 40320.0;
  p = p * f + 1.0 / 5040.0;
  p = p * f + 1.0 / 720.0;
  p = p * f + 1.0 / 120.0;
  p = p * f + 1.0 / 24.0;
  p = p * f + 1.0 / 6.0;
  p = p * f + 0.5;
  p = p * f + 1.0;
  p = p * f + 1.0;
  uint64_t tb, pb;
  std::memcpy(&tb, &t, sizeof tb);
  std::memcpy(&pb, &p, sizeof pb);
  pb += (tb - 0x4338000000000000ull) << 52;
  std::memcpy(&p, &pb, sizeof p);
  return underflow ? 0.0 : p;
}

}  // namespace ascmh
