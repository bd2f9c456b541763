// Discrete cyclic coordinate descent (DCC) for binary codes, the discrete B-step shared by the
// methods that solve one (DDASH, CSMH; SDH/DSDH/ADSH use the same solver). With everything else
// fixed, their B terms are
//     tr(B^T H B) - 2 tr(B^T Q) + const = sum_i ( b_i^T H b_i - 2 q_i^T b_i ) + const,
// over B in {-1, +1}^(r x n) (b_i, q_i the r-vectors of item i, H r x r symmetric). One sweep sets
// each bit k = 0..r-1 in turn to its exact minimiser given the others:
//     b_k = sgn(q_k - sum_{j != k} H_kj b_j),   0 -> +1.
// Items do not interact, so the sweep runs item by item (in parallel blocks), each item's bits in
// order: the same result as the bit-wise form b_k = sgn(q_k - B_{-k}^T H_{-k,k}) over the whole
// matrix, with B and Q read once per sweep instead of once per bit. Deterministic at any thread count.
#pragma once
#include <cstdint>

#include "core/cancel.h"

namespace ascmh {

// Where entry (item i, bit k) of B or Q sits: at i * item_stride + k * bit_stride.
struct DccLayout {
  int64_t item_stride = 0, bit_stride = 1;
  static DccLayout items_by_bits(int r) { return {r, 1}; }    // n x r row-major (rows are items)
  static DccLayout bits_by_items(int64_t n) { return {1, n}; }  // r x n row-major (columns are items)
};

// Runs `sweeps` sweeps over all n items, updating B (+1/-1 on entry) in place, and returns how
// many entries of B differ from their value on entry. H (r x r, row-major) must be symmetric; only
// H's entries are read, never factored. Checks `cancel` between blocks of items.
template <class T>
int64_t dcc_sweeps(int64_t n, int r, const T* H, const T* Q, DccLayout q_layout, int8_t* B, DccLayout b_layout,
                   int sweeps, const CancelToken* cancel = nullptr);

// sum_i ( b_i^T H b_i - 2 q_i^T b_i ), in double (for reports and tests).
template <class T>
double dcc_objective(int64_t n, int r, const T* H, const T* Q, DccLayout q_layout, const int8_t* B, DccLayout b_layout);

}  // namespace ascmh
