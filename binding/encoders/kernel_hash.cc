#include "encoders/kernel_hash.h"

#include <algorithm>
#include <cstring>

#include "core/blas_lane.h"
#include "core/codes.h"
#include "encoders/projection_rotation.h"
#include "linalg/linalg.h"
#include "core/thread_pool.h"

namespace ascmh {

namespace {

// Code bit j of row i is set where z[i][j] >= 0, or > 0 when strict.
template <class T>
void set_bits(const T* z, int64_t rows, int bits, bool strict, uint64_t* codes, int words) {
  for (int64_t i = 0; i < rows; ++i) {
    uint64_t* code = codes + i * words;
    const T* zi = z + i * bits;
    if (strict) {
      for (int j = 0; j < bits; ++j)
        if (zi[j] > 0) set_code_bit(code, j);
    } else {
      for (int j = 0; j < bits; ++j)
        if (zi[j] >= 0) set_code_bit(code, j);
    }
  }
}

// Computes z (rows x bits) for every block of X and hands each block to sink(r0, rows, z), in
// row order. Encode and project share this, so a code is the sign of its projection bit for bit.
template <class T, class Sink>
void project_blocks(const HashFunction<T>& hash, RowSource& X, const CancelToken* cancel, Sink sink) {
  const int64_t k = hash.kernel.anchors, block = 2048, n = X.rows();
  const int bits = hash.bits;
  if (n == 0) return;
  std::vector<T> phi, z, rotated;
  if (n <= kDirectRows) {
    // z = phi W row by row, vectorised across bits; no BLAS, so no lane to wait for.
    const MatrixView input = X.block(0, n);
    check_finite(input, 0, "features");
    phi.resize(static_cast<size_t>(n * k));
    z.assign(static_cast<size_t>(n * bits), T(0));
    rbf_features_direct(hash.kernel, input, 0, n, phi.data(), k);
    for (int64_t i = 0; i < n; ++i) {
      T* zi = z.data() + i * bits;
      for (int64_t a = 0; a < k; ++a) {
        const T p = phi[(size_t)(i * k + a)];
        const T* w = hash.W.data() + a * bits;
        for (int j = 0; j < bits; ++j) zi[j] += p * w[j];
      }
    }
    if (!hash.rotation.empty()) {
      std::vector<T> rotated(z.size());
      rotate_rows_direct(z.data(), n, bits, hash.rotation.data(), rotated.data());
      z.swap(rotated);
    }
    sink(int64_t(0), n, static_cast<const T*>(z.data()));
    return;
  }
  for (int64_t r0 = 0; r0 < n; r0 += block) {
    check_cancelled(cancel);
    const int64_t r1 = std::min(n, r0 + block), rows = r1 - r0;
    phi.resize(static_cast<size_t>(rows * k));
    z.resize(static_cast<size_t>(rows * bits));
    const MatrixView input = X.block(r0, r1);
    check_finite(input, r0, "features");
    {
      BlasLaneGuard lane;
      rbf_features(hash.kernel, input, 0, rows, phi.data(), k);
      gemm<T>(Op::N, Op::N, (int)rows, bits, (int)k, 1, phi.data(), (int)k, hash.W.data(), bits, 0, z.data(), bits);
      if (!hash.rotation.empty()) {
        rotated.resize(z.size());
        rotate_rows(z.data(), rows, bits, hash.rotation.data(), rotated.data());
        z.swap(rotated);
      }
    }
    sink(r0, rows, static_cast<const T*>(z.data()));
  }
}

}  // namespace

template <class T>
void encode_rows(const HashFunction<T>& hash, RowSource& X, uint64_t* codes, const CancelToken* cancel) {
  const int bits = hash.bits, words = words_per_code(bits);
  if (X.rows() == 0) return;
  std::memset(codes, 0, sizeof(uint64_t) * X.rows() * words);
  project_blocks(hash, X, cancel, [&](int64_t r0, int64_t rows, const T* z) {
    set_bits(z, rows, bits, hash.strict, codes + r0 * words, words);
  });
}

template <class T>
void project_rows(const HashFunction<T>& hash, RowSource& X, T* out, const CancelToken* cancel) {
  const int bits = hash.bits;
  project_blocks(hash, X, cancel, [&](int64_t r0, int64_t rows, const T* z) {
    std::copy(z, z + rows * bits, out + r0 * bits);
  });
}

void pack_sign_columns(const int8_t* B, int bits, int64_t n, uint64_t* codes) {
  const int words = words_per_code(bits);
  constexpr int64_t kItems = 256;  // the codes of a block stay in L1 while every bit row is read
  ThreadPool::instance().parallel_for((n + kItems - 1) / kItems, 4, [&](int64_t b0, int64_t b1) {
    for (int64_t i0 = b0 * kItems; i0 < std::min(n, b1 * kItems); i0 += kItems) {
      const int64_t i1 = std::min(n, i0 + kItems);
      std::memset(codes + i0 * words, 0, sizeof(uint64_t) * (i1 - i0) * words);
      for (int j = 0; j < bits; ++j) {
        const int8_t* row = B + (size_t)j * n;
        const uint64_t bit = uint64_t(1) << (j & 63);
        uint64_t* word = codes + (j >> 6);
        for (int64_t i = i0; i < i1; ++i)
          if (row[i] > 0) word[i * words] |= bit;
      }
    }
  });
}

template void encode_rows<double>(const HashFunction<double>&, RowSource&, uint64_t*, const CancelToken*);
template void encode_rows<float>(const HashFunction<float>&, RowSource&, uint64_t*, const CancelToken*);
template void project_rows<double>(const HashFunction<double>&, RowSource&, double*, const CancelToken*);
template void project_rows<float>(const HashFunction<float>&, RowSource&, float*, const CancelToken*);

}  // namespace ascmh
