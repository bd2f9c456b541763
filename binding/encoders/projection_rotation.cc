#include "encoders/projection_rotation.h"

#include <algorithm>

#include "linalg/linalg.h"

namespace ascmh {

template <class T>
void rotate_rows(const T* z, int64_t rows, int r, const T* R, T* out) {
  gemm<T>(Op::N, Op::T, static_cast<int>(rows), r, r, 1, z, r, R, r, 0, out, r);
}

template <class T>
void rotate_rows_direct(const T* z, int64_t rows, int r, const T* R, T* out) {
  for (int64_t i = 0; i < rows; ++i) {
    T* o = out + i * r;
    std::fill(o, o + r, T(0));
    for (int a = 0; a < r; ++a) {
      const T v = z[i * r + a];
      for (int j = 0; j < r; ++j) o[j] += v * R[(size_t)j * r + a];
    }
  }
}

template void rotate_rows<double>(const double*, int64_t, int, const double*, double*);
template void rotate_rows<float>(const float*, int64_t, int, const float*, float*);
template void rotate_rows_direct<double>(const double*, int64_t, int, const double*, double*);
template void rotate_rows_direct<float>(const float*, int64_t, int, const float*, float*);

}  // namespace ascmh
