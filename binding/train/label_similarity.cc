#include "train/label_similarity.h"

#include <cmath>

#include "linalg/linalg.h"

namespace ascmh {
namespace {

template <class T>
const T* gather_rows(const std::vector<T>& G, int64_t c, const int64_t* rows, int64_t count, std::vector<T>& out) {
  out.resize(static_cast<size_t>(count * c));
  for (int64_t a = 0; a < count; ++a)
    for (int64_t j = 0; j < c; ++j) out[a * c + j] = G[rows[a] * c + j];
  return out.data();
}

}  // namespace

template <class T>
LabelSimilarity<T> label_similarity(const uint8_t* labels, int64_t n, int64_t c, bool rebalance) {
  LabelSimilarity<T> S;
  S.n = n;
  S.c = c;
  S.G.assign(static_cast<size_t>(n * c), T(0));
  std::vector<double> sum(static_cast<size_t>(c), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t count = 0;
    for (int64_t j = 0; j < c; ++j) count += labels[i * c + j] != 0;
    if (count == 0) continue;
    const double scale = 1.0 / std::sqrt(static_cast<double>(count));
    for (int64_t j = 0; j < c; ++j)
      if (labels[i * c + j]) {
        S.G[i * c + j] = static_cast<T>(scale);
        sum[j] += scale;
      }
  }
  double sbar = 0;
  for (const double s : sum) sbar += s * s;
  sbar /= static_cast<double>(n) * static_cast<double>(n);
  S.rho = !rebalance ? 1.0 : sbar < 1 - 1e-12 ? sbar / (1 - sbar) : 0.0;
  S.Gsum.assign(sum.begin(), sum.end());
  std::vector<double> gram(static_cast<size_t>(c * c), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t a = 0; a < c; ++a) {
      const double ga = S.G[i * c + a];
      if (ga == 0) continue;
      for (int64_t b = 0; b < c; ++b) gram[a * c + b] += ga * S.G[i * c + b];
    }
  S.GtG.assign(gram.begin(), gram.end());
  return S;
}

template <class T>
void similarity_sums(const LabelSimilarity<T>& S, const T* B, int r, T* GtB, T* Bsum) {
  const int n = static_cast<int>(S.n), c = static_cast<int>(S.c);
  gemm<T>(Op::T, Op::N, c, r, n, T(1), S.G.data(), c, B, r, T(0), GtB, r);
  std::vector<double> sum(static_cast<size_t>(r), 0.0);
  for (int64_t i = 0; i < S.n; ++i)
    for (int k = 0; k < r; ++k) sum[k] += B[i * r + k];
  for (int k = 0; k < r; ++k) Bsum[k] = static_cast<T>(sum[k]);
}

template <class T>
void similarity_rows_times(const LabelSimilarity<T>& S, const int64_t* rows, int64_t count, const T* GtB,
                           const T* Bsum, int r, T* out, SimilarityScratch<T>* scratch) {
  const int c = static_cast<int>(S.c);
  SimilarityScratch<T> local;
  SimilarityScratch<T>& buffers = scratch ? *scratch : local;
  const T* Gr = gather_rows(S.G, S.c, rows, count, buffers.rows);
  gemm<T>(Op::N, Op::N, static_cast<int>(count), r, c, static_cast<T>(1 + S.rho), Gr, c, GtB, r, T(0), out, r);
  const T rho = static_cast<T>(S.rho);
  for (int64_t a = 0; a < count; ++a)
    for (int k = 0; k < r; ++k) out[a * r + k] -= rho * Bsum[k];
}

template <class T>
void similarity_rows_transposed_times(const LabelSimilarity<T>& S, const int64_t* rows, int64_t count, const T* M,
                                      int r, T alpha, T* out, SimilarityScratch<T>* scratch) {
  const int c = static_cast<int>(S.c);
  SimilarityScratch<T> local;
  SimilarityScratch<T>& buffers = scratch ? *scratch : local;
  const T* Gr = gather_rows(S.G, S.c, rows, count, buffers.rows);
  std::vector<T>& GtM = buffers.small;
  GtM.resize(static_cast<size_t>(c) * r);
  gemm<T>(Op::T, Op::N, c, r, static_cast<int>(count), T(1), Gr, c, M, r, T(0), GtM.data(), r);
  gemm<T>(Op::N, Op::N, static_cast<int>(S.n), r, c, static_cast<T>(alpha * (1 + S.rho)), S.G.data(), c, GtM.data(), r,
          T(1), out, r);
  std::vector<double> sum(static_cast<size_t>(r), 0.0);
  for (int64_t a = 0; a < count; ++a)
    for (int k = 0; k < r; ++k) sum[k] += M[a * r + k];
  std::vector<T> shift(static_cast<size_t>(r));  // r values: small
  for (int k = 0; k < r; ++k) shift[k] = static_cast<T>(alpha * S.rho * sum[k]);
  for (int64_t i = 0; i < S.n; ++i)
    for (int k = 0; k < r; ++k) out[i * r + k] -= shift[k];
}

template <class T>
double similarity_rows_norm2(const LabelSimilarity<T>& S, const int64_t* rows, int64_t count) {
  // sum_j S_ij^2 = (1+rho)^2 g_i^T (G^T G) g_i - 2 rho (1+rho) g_i^T (G^T 1) + rho^2 n
  const int64_t c = S.c;
  const double a = 1 + S.rho, rho = S.rho;
  double total = 0;
  for (int64_t t = 0; t < count; ++t) {
    const T* g = S.G.data() + rows[t] * c;
    double quad = 0, lin = 0;
    for (int64_t p = 0; p < c; ++p) {
      if (g[p] == 0) continue;
      double s = 0;
      for (int64_t q = 0; q < c; ++q) s += static_cast<double>(S.GtG[p * c + q]) * g[q];
      quad += g[p] * s;
      lin += g[p] * static_cast<double>(S.Gsum[p]);
    }
    total += a * a * quad - 2 * rho * a * lin + rho * rho * static_cast<double>(S.n);
  }
  return total;
}

#define ASCMH_SIMILARITY(T)                                                                                          \
  template LabelSimilarity<T> label_similarity<T>(const uint8_t*, int64_t, int64_t, bool);                          \
  template void similarity_sums<T>(const LabelSimilarity<T>&, const T*, int, T*, T*);                               \
  template void similarity_rows_times<T>(const LabelSimilarity<T>&, const int64_t*, int64_t, const T*, const T*, int, \
                                         T*, SimilarityScratch<T>*);                                                 \
  template void similarity_rows_transposed_times<T>(const LabelSimilarity<T>&, const int64_t*, int64_t, const T*,    \
                                                    int, T, T*, SimilarityScratch<T>*);                              \
  template double similarity_rows_norm2<T>(const LabelSimilarity<T>&, const int64_t*, int64_t);
ASCMH_SIMILARITY(double)
ASCMH_SIMILARITY(float)
#undef ASCMH_SIMILARITY

}  // namespace ascmh
