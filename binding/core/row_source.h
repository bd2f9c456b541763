// A row-major feature matrix read block by block. A synchronous call reads the caller's memory in
// place (BorrowedRows); work on another thread never does: it reads a copy it owns (OwnedRows) or
// blocks that the JS thread copies for it (js/row_stream.h), because the caller's buffer can be
// detached, resized or freed while the work runs.
#pragma once
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/matrix_view.h"

namespace ascmh {

class RowSource {
 public:
  virtual ~RowSource() = default;
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  bool is_float32() const { return is_float32_; }
  size_t element_bytes() const { return is_float32_ ? 4 : 8; }

  // Rows [r0, r1) (0 <= r0 <= r1 <= rows), valid until the next call on this source.
  virtual MatrixView block(int64_t r0, int64_t r1) = 0;
  // The listed rows (each in [0, rows)), in that order, valid until the next call.
  virtual MatrixView gather(const std::vector<int64_t>& rows) = 0;

 protected:
  RowSource(int64_t rows, int64_t cols, bool is_float32) : rows_(rows), cols_(cols), is_float32_(is_float32) {}
  MatrixView view_of(const void* data, int64_t rows) const {
    MatrixView v;
    v.rows = rows;
    v.cols = cols_;
    v.data = data;
    v.is_float32 = is_float32_;
    return v;
  }

 private:
  int64_t rows_, cols_;
  bool is_float32_;
};

// A view of memory that outlives every call on it.
class BorrowedRows : public RowSource {
 public:
  explicit BorrowedRows(const MatrixView& whole) : RowSource(whole.rows, whole.cols, whole.is_float32), whole_(whole) {}
  MatrixView block(int64_t r0, int64_t r1) override {
    return view_of(static_cast<const char*>(whole_.data) + r0 * cols() * element_bytes(), r1 - r0);
  }
  MatrixView gather(const std::vector<int64_t>& list) override {
    const size_t row = static_cast<size_t>(cols()) * element_bytes();
    gathered_.resize(list.size() * row);
    for (size_t i = 0; i < list.size(); ++i)
      std::memcpy(gathered_.data() + i * row, static_cast<const char*>(whole_.data) + list[i] * row, row);
    return view_of(gathered_.data(), static_cast<int64_t>(list.size()));
  }

 private:
  MatrixView whole_;
  std::vector<char> gathered_;
};

// A private copy, made on the calling thread (for inputs small enough to copy at once).
class OwnedRows : public RowSource {
 public:
  explicit OwnedRows(const MatrixView& whole)
      : RowSource(whole.rows, whole.cols, whole.is_float32),
        copy_(static_cast<const char*>(whole.data),
              static_cast<const char*>(whole.data) + whole.rows * whole.cols * (whole.is_float32 ? 4 : 8)),
        borrowed_(view_of(copy_.data(), whole.rows)) {}
  MatrixView block(int64_t r0, int64_t r1) override { return borrowed_.block(r0, r1); }
  MatrixView gather(const std::vector<int64_t>& list) override { return borrowed_.gather(list); }

 private:
  std::vector<char> copy_;
  BorrowedRows borrowed_;
};

}  // namespace ascmh
