// The checksum of index files and log records: four interleaved multiply-rotate lanes over 64-bit
// words, so it runs at memory speed while a file is read, finished over the word count. It detects
// accidents (truncation, flipped bits, torn writes), not forgeries: anyone can recompute it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstring>

namespace ascmh {

class Checksum64 {
 public:
  // Adds n words; successive calls continue the same stream.
  void update(const uint64_t* w, size_t n) {
    size_t i = 0;
    while (i < n && (lane_ & 3)) step(w[i++]);
    for (; i + 4 <= n; i += 4) {
      h_[0] = mix(h_[0], w[i]);
      h_[1] = mix(h_[1], w[i + 1]);
      h_[2] = mix(h_[2], w[i + 2]);
      h_[3] = mix(h_[3], w[i + 3]);
    }
    while (i < n) step(w[i++]);
    words_ += n;
  }
  // Bytes whose length is a multiple of 8, at any alignment.
  void update_bytes(const void* data, size_t bytes) {
    uint64_t buffer[512];
    const char* p = static_cast<const char*>(data);
    while (bytes >= 8) {
      const size_t n = std::min<size_t>(bytes / 8, 512);
      std::memcpy(buffer, p, n * 8);
      update(buffer, n);
      p += n * 8;
      bytes -= n * 8;
    }
  }
  uint64_t value() const {
    const uint64_t h = h_[0] ^ rotl(h_[1], 17) ^ rotl(h_[2], 31) ^ rotl(h_[3], 47);
    return fmix(h ^ words_);
  }

  static uint64_t of(const uint64_t* w, size_t n) {
    Checksum64 c;
    c.update(w, n);
    return c.value();
  }

 private:
  static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
  static uint64_t mix(uint64_t h, uint64_t w) { return rotl((h ^ w) * 0x9E3779B97F4A7C15ull, 29) + 0x632BE59BD9B4E019ull; }
  static uint64_t fmix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
  }
  void step(uint64_t w) {
    const int l = static_cast<int>(lane_++ & 3);
    h_[l] = mix(h_[l], w);
  }
  uint64_t h_[4] = {1, 2, 3, 4};
  uint64_t lane_ = 0, words_ = 0;
};

}  // namespace ascmh
