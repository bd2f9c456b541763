// A graded label similarity of n items, S = (1 + rho) G G^T - rho 1 1^T, used through products
// only (never formed: S is n x n). G (n x c, items as rows) is the 0/1 label matrix with each row
// scaled to unit norm (a row without labels stays 0), so G G^T is the cosine of the label vectors:
// 1 for the same labels, graded for overlapping multi-labels, 0 for none in common. rho rebalances
// similar against dissimilar pairs as ADSH does: with sbar the mean of G G^T over all n^2 pairs,
// rho = sbar / (1 - sbar), so S's entries average 0; single-label, that is ADSH's
// #similar / #dissimilar. Without rebalancing rho = 1 (S = 2 G G^T - 1 1^T).
// Row subsets S_rows (count x n) are what an asymmetric method with a sampled query set needs.
#pragma once
#include <cstdint>
#include <vector>

namespace ascmh {

template <class T>
struct LabelSimilarity {
  int64_t n = 0, c = 0;
  double rho = 0;
  std::vector<T> G;     // n x c, unit-norm rows
  std::vector<T> Gsum;  // c: G^T 1
  std::vector<T> GtG;   // c x c: G^T G (for norms of row subsets)
};

// From 0/1 labels (n x c, row-major). If every pair has the same labels (sbar = 1) there is nothing
// to rebalance and rho = 0.
template <class T>
LabelSimilarity<T> label_similarity(const uint8_t* labels, int64_t n, int64_t c, bool rebalance);

// Buffers the products reuse between calls (optional; a call without one allocates).
template <class T>
struct SimilarityScratch {
  std::vector<T> rows, small;
};

// The products of a matrix B (n x r, items as rows) that row subsets need, computed once per B:
// GtB = G^T B (c x r) and Bsum = B^T 1 (r). The caller holds the BLAS lane.
template <class T>
void similarity_sums(const LabelSimilarity<T>& S, const T* B, int r, T* GtB, T* Bsum);

// out (count x r) = S_rows B, for the listed rows, from similarity_sums of B. Caller holds the lane.
template <class T>
void similarity_rows_times(const LabelSimilarity<T>& S, const int64_t* rows, int64_t count, const T* GtB,
                           const T* Bsum, int r, T* out, SimilarityScratch<T>* scratch = nullptr);

// out (n x r) += alpha S_rows^T M, for M (count x r) whose row a belongs to item rows[a]. Caller
// holds the lane.
template <class T>
void similarity_rows_transposed_times(const LabelSimilarity<T>& S, const int64_t* rows, int64_t count, const T* M,
                                      int r, T alpha, T* out, SimilarityScratch<T>* scratch = nullptr);

// ||S_rows||_F^2, in double.
template <class T>
double similarity_rows_norm2(const LabelSimilarity<T>& S, const int64_t* rows, int64_t count);

}  // namespace ascmh
