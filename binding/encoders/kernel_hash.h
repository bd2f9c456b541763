// Hash functions of a trained model: code = sgn(W^T (phi(x) - mean)), bit set where >= 0.
#pragma once
#include <cstdint>
#include <vector>

#include "core/cancel.h"
#include "core/row_source.h"
#include "features/kernel_features.h"

namespace ascmh {

template <class T>
struct HashFunction {
  RbfKernel<T> kernel;
  std::vector<T> W;  // anchors x bits
  int bits = 0;
};

// Encodes every row of X into packed codes (X.rows() * words_per_code(bits) words), block by block,
// checking cancel between blocks. Rows are read before the BLAS lane is taken. At most
// kDirectRows rows are encoded without BLAS and without the lane, so a small encode never waits
// behind a fit.
constexpr int64_t kDirectRows = 64;

template <class T>
void encode_rows(const HashFunction<T>& hash, RowSource& X, uint64_t* codes, const CancelToken* cancel);

// Packs the columns of an r x n matrix of signs (> 0 means +1) into n codes.
void pack_sign_columns(const int8_t* B, int bits, int64_t n, uint64_t* codes);

}  // namespace ascmh
