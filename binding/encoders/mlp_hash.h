// The third encoder kind (DDASH): a small network over the raw feature vector,
//     x_s = (x - mean) .* scale          (z-score with the training mean and 1 / std)
//     h   = relu(W1^T x_s + b1)           (hidden layer, `hidden` units)
//     z   = W2^T h + b2                   (bits outputs; the query output is tanh(z))
// and the code bit j is set where z_j >= 0 (tanh is monotone, so sgn(tanh(z)) = sgn(z)).
// Rows are samples: a block X_s (rows x dim) goes through H = relu(X_s W1 + 1 b1^T), Z = H W2 + 1 b2^T,
// two GEMMs. The training side (backward pass, Adam) is train/mlp_training.h.
#pragma once
#include <cstdint>
#include <vector>

#include "core/cancel.h"
#include "core/matrix_view.h"
#include "core/row_source.h"

namespace ascmh {

template <class T>
struct MlpHash {
  int64_t dim = 0;
  int hidden = 0, bits = 0;
  std::vector<T> mean, scale;  // dim
  std::vector<T> W1, b1;       // dim x hidden, hidden
  std::vector<T> W2, b2;       // hidden x bits, bits
};

// X_s (rows x dim) = (block - mean) .* scale; checks the block is finite (rows first_row...).
template <class T>
void standardise_rows(const MlpHash<T>& net, const MatrixView& block, int64_t first_row, const char* name, T* Xs);

// H (rows x hidden, after the ReLU) and Z (rows x bits, before tanh) of standardised rows, with
// BLAS (the caller holds the BLAS lane).
template <class T>
void mlp_forward(const MlpHash<T>& net, const T* Xs, int64_t rows, T* H, T* Z);

// The same without BLAS, for a few rows (no lane to wait for).
template <class T>
void mlp_forward_direct(const MlpHash<T>& net, const T* Xs, int64_t rows, T* H, T* Z);

// Codes of every row of X (X.rows() * words_per_code(bits) words), block by block, checking cancel
// between blocks; rows are read before the lane is taken, at most kDirectRows without BLAS.
template <class T>
void mlp_encode_rows(const MlpHash<T>& net, RowSource& X, uint64_t* codes, const CancelToken* cancel);

// The real-valued outputs tanh(z) of every row (rows x bits), as mlp_encode_rows.
template <class T>
void mlp_project_rows(const MlpHash<T>& net, RowSource& X, T* out, const CancelToken* cancel);

}  // namespace ascmh
