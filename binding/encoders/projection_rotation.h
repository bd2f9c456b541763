// The second encoder kind (issue 13): kernel features, a linear projection, then a rotation:
// code = sgn(R (W^T (phi(x) - mean))) (SCRATCH: XTest * Wx' * R' >= 0). HashFunction (kernel_hash.h)
// holds R when it is of this kind; these apply it to the projected rows z (rows x r).
#pragma once
#include <cstdint>
#include <vector>

namespace ascmh {

// out (rows x r) = z R^T, with BLAS (the caller holds the lane).
template <class T>
void rotate_rows(const T* z, int64_t rows, int r, const T* R, T* out);

// The same without BLAS (small encodes, which never take the lane).
template <class T>
void rotate_rows_direct(const T* z, int64_t rows, int r, const T* R, T* out);

}  // namespace ascmh
