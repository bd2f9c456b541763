// Hash functions of a trained model: code = sgn(W^T (phi(x) - mean)), bit set where >= 0.
#pragma once
#include <cstdint>
#include <vector>

#include "features/kernel_features.h"

namespace ascmh {

template <class T>
struct HashFunction {
  RbfKernel<T> kernel;
  std::vector<T> W;  // anchors x bits
  int bits = 0;
};

// Encodes every row of X into packed codes (X.rows * words_per_code(bits) words), block by block.
template <class T>
void encode_rows(const HashFunction<T>& hash, const MatrixView& X, uint64_t* codes);

// Packs the columns of an r x n matrix of signs (> 0 means +1) into n codes.
void pack_sign_columns(const int8_t* B, int bits, int64_t n, uint64_t* codes);

}  // namespace ascmh
