// Hash functions of a trained model, of two kinds (issue 13):
//   kernel + ridge (ASCMH, BATCH):                z = W^T (phi(x) - mean)
//   kernel + projection + rotation (SCRATCH):     z = R W^T (phi(x) - mean)   (encoders/projection_rotation.h)
// and the code bit is set where z >= 0 (ASCMH, SCRATCH) or z > 0 (`strict`: BATCH's evaluate_BATCH.m).
#pragma once
#include <cstdint>
#include <vector>

#include "core/cancel.h"
#include "core/row_source.h"
#include "features/kernel_features.h"

namespace ascmh {

template <class T>
struct HashFunction {
  using Scalar = T;
  RbfKernel<T> kernel;
  std::vector<T> W;         // anchors x bits
  std::vector<T> rotation;  // bits x bits, or empty (kernel + ridge)
  bool strict = false;      // bit set where z > 0 instead of z >= 0
  int bits = 0;
};

// Encodes every row of X into packed codes (X.rows() * words_per_code(bits) words), block by block,
// checking cancel between blocks. Rows are read before the BLAS lane is taken. At most
// kDirectRows rows are encoded without BLAS and without the lane, so a small encode never waits
// behind a fit.
constexpr int64_t kDirectRows = 64;

template <class T>
void encode_rows(const HashFunction<T>& hash, RowSource& X, uint64_t* codes, const CancelToken* cancel);

// The real-valued projections z (X.rows() x bits, row-major) that encode_rows takes the sign of:
// for the same rows, bit j of a code is set exactly where z_j >= 0 (z_j > 0 when strict).
template <class T>
void project_rows(const HashFunction<T>& hash, RowSource& X, T* out, const CancelToken* cancel);

// Packs the columns of an r x n matrix of signs (> 0 means +1) into n codes.
void pack_sign_columns(const int8_t* B, int bits, int64_t n, uint64_t* codes);

}  // namespace ascmh
