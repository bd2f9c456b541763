#include "encoders/mlp_hash.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/blas_lane.h"
#include "core/codes.h"
#include "encoders/kernel_hash.h"
#include "encoders/vector_tanh.h"
#include "linalg/linalg.h"

namespace ascmh {

template <class T>
void standardise_rows(const MlpHash<T>& net, const MatrixView& block, int64_t first_row, const char* name, T* Xs) {
  check_finite(block, first_row, name);
  const int64_t d = net.dim;
  block.copy_rows<T>(0, block.rows, Xs);
  for (int64_t i = 0; i < block.rows; ++i) {
    T* x = Xs + i * d;
    for (int64_t j = 0; j < d; ++j) x[j] = (x[j] - net.mean[j]) * net.scale[j];
  }
}

template <class T>
void mlp_forward(const MlpHash<T>& net, const T* Xs, int64_t rows, T* H, T* Z) {
  const int h = net.hidden, r = net.bits, d = static_cast<int>(net.dim), m = static_cast<int>(rows);
  for (int64_t i = 0; i < rows; ++i) std::memcpy(H + i * h, net.b1.data(), sizeof(T) * h);
  gemm<T>(Op::N, Op::N, m, h, d, T(1), Xs, d, net.W1.data(), h, T(1), H, h);
  for (int64_t i = 0; i < rows * h; ++i) H[i] = H[i] > 0 ? H[i] : T(0);
  for (int64_t i = 0; i < rows; ++i) std::memcpy(Z + i * r, net.b2.data(), sizeof(T) * r);
  gemm<T>(Op::N, Op::N, m, r, h, T(1), H, h, net.W2.data(), r, T(1), Z, r);
}

template <class T>
void mlp_forward_direct(const MlpHash<T>& net, const T* Xs, int64_t rows, T* H, T* Z) {
  const int64_t h = net.hidden, r = net.bits, d = net.dim;
  for (int64_t i = 0; i < rows; ++i) {
    T* hi = H + i * h;
    std::memcpy(hi, net.b1.data(), sizeof(T) * h);
    for (int64_t a = 0; a < d; ++a) {
      const T x = Xs[i * d + a];
      const T* w = net.W1.data() + a * h;
      for (int64_t j = 0; j < h; ++j) hi[j] += x * w[j];
    }
    for (int64_t j = 0; j < h; ++j) hi[j] = hi[j] > 0 ? hi[j] : T(0);
    T* zi = Z + i * r;
    std::memcpy(zi, net.b2.data(), sizeof(T) * r);
    for (int64_t a = 0; a < h; ++a) {
      const T v = hi[a];
      if (v == 0) continue;
      const T* w = net.W2.data() + a * r;
      for (int64_t j = 0; j < r; ++j) zi[j] += v * w[j];
    }
  }
}

namespace {

// Z of every row of X, block by block; `emit(r0, rows, Z)` consumes each block.
template <class T, class Emit>
void forward_blocks(const MlpHash<T>& net, RowSource& X, const CancelToken* cancel, Emit emit) {
  const int64_t n = X.rows(), block = 2048;
  std::vector<T> Xs, H, Z;
  for (int64_t r0 = 0; r0 < n; r0 += block) {
    check_cancelled(cancel);
    const int64_t r1 = std::min(n, r0 + block), rows = r1 - r0;
    Xs.resize(static_cast<size_t>(rows * net.dim));
    H.resize(static_cast<size_t>(rows * net.hidden));
    Z.resize(static_cast<size_t>(rows * net.bits));
    standardise_rows(net, X.block(r0, r1), r0, "features", Xs.data());
    if (n <= kDirectRows) {
      mlp_forward_direct(net, Xs.data(), rows, H.data(), Z.data());
    } else {
      BlasLaneGuard lane;
      mlp_forward(net, Xs.data(), rows, H.data(), Z.data());
    }
    emit(r0, rows, Z.data());
  }
}

}  // namespace

template <class T>
void mlp_encode_rows(const MlpHash<T>& net, RowSource& X, uint64_t* codes, const CancelToken* cancel) {
  const int r = net.bits, words = words_per_code(r);
  if (X.rows() == 0) return;
  std::memset(codes, 0, sizeof(uint64_t) * X.rows() * words);
  forward_blocks(net, X, cancel, [&](int64_t r0, int64_t rows, const T* Z) {
    for (int64_t i = 0; i < rows; ++i) {
      uint64_t* code = codes + (r0 + i) * words;
      for (int j = 0; j < r; ++j)
        if (Z[i * r + j] >= 0) set_code_bit(code, j);
    }
  });
}

template <class T>
void mlp_project_rows(const MlpHash<T>& net, RowSource& X, T* out, const CancelToken* cancel) {
  const int r = net.bits;
  forward_blocks(net, X, cancel, [&](int64_t r0, int64_t rows, const T* Z) {
    for (int64_t i = 0; i < rows * r; ++i) out[r0 * r + i] = tanh_fast(Z[i]);
  });
}

#define ASCMH_MLP(T)                                                                                   \
  template void standardise_rows<T>(const MlpHash<T>&, const MatrixView&, int64_t, const char*, T*); \
  template void mlp_forward<T>(const MlpHash<T>&, const T*, int64_t, T*, T*);                         \
  template void mlp_forward_direct<T>(const MlpHash<T>&, const T*, int64_t, T*, T*);                  \
  template void mlp_encode_rows<T>(const MlpHash<T>&, RowSource&, uint64_t*, const CancelToken*);     \
  template void mlp_project_rows<T>(const MlpHash<T>&, RowSource&, T*, const CancelToken*);
ASCMH_MLP(double)
ASCMH_MLP(float)
#undef ASCMH_MLP

}  // namespace ascmh
