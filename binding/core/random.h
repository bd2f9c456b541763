// Portable seeded generator (xoshiro256** seeded by splitmix64): std:: distributions differ across
// standard libraries, and codes must be bit-identical for a seed everywhere.
#pragma once
#include <cmath>
#include <algorithm>
#include <cstdint>
#include <vector>

namespace ascmh {

class Rng {
 public:
  // Substream `stream` of `seed`: independent generators for draws made in parallel, so the
  // numbers do not depend on how work is split across threads.
  Rng(uint64_t seed, uint64_t stream) : Rng(mix(seed ^ mix(stream + 0x632BE59BD9B4E019ull))) {}
  explicit Rng(uint64_t seed) {
    for (auto& s : state_) {
      seed += 0x9E3779B97F4A7C15ull;
      s = mix(seed);
    }
  }
  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }
  double uniform() { return (next() >> 11) * 0x1.0p-53; }  // [0, 1)
  uint64_t below(uint64_t bound) { return static_cast<uint64_t>(uniform() * static_cast<double>(bound)); }
  double gaussian() {  // Marsaglia's polar method; the second value of each pair is kept for the next call
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double scale = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * scale;
    has_spare_ = true;
    return u * scale;
  }
  // Chi-square with k >= 2 degrees of freedom: 2 Gamma(k / 2) by Marsaglia and Tsang's method.
  double chi_square(double k) {
    const double d = k / 2 - 1.0 / 3, c = 1 / std::sqrt(9 * d);
    for (;;) {
      double x, v;
      do {
        x = gaussian();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const double u = uniform();
      if (u < 1 - 0.0331 * x * x * x * x || std::log(u) < 0.5 * x * x + d * (1 - v + std::log(v))) return 2 * d * v;
    }
  }
  bool coin() { return next() >> 63; }
  // k distinct indices from [0, n), in draw order (partial Fisher-Yates); k is capped at n.
  std::vector<int64_t> sample_without_replacement(int64_t n, int64_t k) {
    n = std::max<int64_t>(n, 0);
    k = std::min(std::max<int64_t>(k, 0), n);
    std::vector<int64_t> pool(n);
    for (int64_t i = 0; i < n; ++i) pool[i] = i;
    for (int64_t i = 0; i < k; ++i) {
      int64_t j = i + static_cast<int64_t>(below(static_cast<uint64_t>(n - i)));
      std::swap(pool[i], pool[j]);
    }
    pool.resize(k);
    return pool;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t mix(uint64_t z) {  // splitmix64's finaliser
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t state_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace ascmh
