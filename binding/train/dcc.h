// Discrete cyclic coordinate descent (DCC; SDH / DSDH / ADSH's bit-wise binary solver):
//   min_B  tr(B^T H B) - 2 tr(B^T Q)   over B in {-1, +1}^{r x n}
// for a symmetric r x r quadratic factor H and an r x n linear term Q. Bit k of every code is the
// exact minimiser with the other bits fixed, b_k = sgn(q_k - sum_{j != k} H_kj b_j), 0 -> +1;
// sweeping k = 0..r-1 `sweeps` times never increases the objective. Codes (columns) do not
// interact, so each code runs all its sweeps at once (same result as sweeping bit rows over every
// code), with H b kept up to date on each flip; the result does not depend on the thread count.
// Layout: one code per row, B and Q are n x r row-major (code i at B + i * r). No BLAS.
#pragma once
#include <cstdint>

#include "core/cancel.h"

namespace ascmh {

// Updates B in place; returns how many entries changed. Checks `cancel` between blocks of codes.
template <class T>
int64_t dcc_minimise(int r, int64_t n, const T* H, const T* Q, int8_t* B, int sweeps, const CancelToken* cancel = nullptr);

// tr(B^T H B) - 2 tr(B^T Q), in double.
template <class T>
double dcc_objective(int r, int64_t n, const T* H, const T* Q, const int8_t* B);

}  // namespace ascmh
