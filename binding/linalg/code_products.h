// B F and B B^T for a code matrix B (r x n, entries -1, 0 or +1) and a fixed n x p matrix F
// (row-major), kept current while B changes. Late in training few entries change per iteration
// (SCRATCH on 20k pairs: under 0.2% in its last iterations), so the products are updated from the
// changed entries only: row j of B F gains (new - old) F_i for each changed entry (j, i), and B B^T
// gains the matching row and column (integers: exact in T). When many entries change, both are
// recomputed (a GEMM and a SYRK over n). The caller holds the BLAS lane.
#pragma once
#include <cstdint>
#include <vector>

#include "core/large_array.h"

namespace ascmh {

template <class T>
class CodeProducts {
 public:
  CodeProducts() = default;
  CodeProducts(int r, int64_t n, int64_t p, const T* F, int64_t ldf);

  // B <- codes (r x n); returns the number of entries that changed. The first call computes the
  // products directly.
  int64_t update(const int8_t* codes);

  const T* BF() const { return BF_.data(); }            // r x p
  const T* BBt() const { return BB_.data(); }           // r x r
  const T* codes_as_values() const { return Bt_.data(); }  // B as T (r x n), for products with B
  const int8_t* codes() const { return codes_.data(); }
  bool last_update_incremental() const { return incremental_; }
  // Updates from changed entries while they are at most this fraction of B (tests set 0 or 1).
  void set_incremental_limit(double fraction) { limit_ = fraction; }

 private:
  void recompute();
  int r_ = 0;
  int64_t n_ = 0, p_ = 0, ldf_ = 0;
  const T* F_ = nullptr;
  std::vector<int8_t> codes_, by_item_;  // B (r x n) and B^T (n x r: item i's bits together)
  LargeArray<T> Bt_;
  std::vector<T> BF_, BB_;
  bool initialised_ = false, incremental_ = false;
  // An entry's update reads a row of F (p values, often from memory) where the recomputation
  // does 2 r p multiply-adds per row at GEMM speed: measured break-even near 5% of the entries.
  double limit_ = 0.05;
};

}  // namespace ascmh
