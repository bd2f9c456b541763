// A read-only row-major matrix borrowed from a JS typed array (float32 or float64), zero-copy.
#pragma once
#include <cstdint>

namespace ascmh {

struct MatrixView {
  int64_t rows = 0, cols = 0;
  const void* data = nullptr;
  bool is_float32 = false;

  double at(int64_t i, int64_t j) const {
    const int64_t idx = i * cols + j;
    return is_float32 ? static_cast<const float*>(data)[idx] : static_cast<const double*>(data)[idx];
  }
  // Rows [r0, r1) converted to T, row-major with leading dimension cols.
  template <class T>
  void copy_rows(int64_t r0, int64_t r1, T* out) const {
    const int64_t count = (r1 - r0) * cols;
    if (is_float32) {
      const float* src = static_cast<const float*>(data) + r0 * cols;
      for (int64_t i = 0; i < count; ++i) out[i] = static_cast<T>(src[i]);
    } else {
      const double* src = static_cast<const double*>(data) + r0 * cols;
      for (int64_t i = 0; i < count; ++i) out[i] = static_cast<T>(src[i]);
    }
  }
};

// Index of the first NaN or infinity, or -1.
int64_t find_non_finite(const void* data, int64_t count, bool is_float32);

// Throws ERR_ASCMH_NON_FINITE naming `name`, the row (first_row + i) and the column of the first
// NaN or infinity in the rows of `block`. Async work checks each block as it arrives, so the JS
// thread never scans a whole input.
void check_finite(const MatrixView& block, int64_t first_row, const char* name);

}  // namespace ascmh
