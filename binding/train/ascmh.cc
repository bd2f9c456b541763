#include "train/ascmh.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <type_traits>

#include "core/blas_lane.h"
#include "features/kernel_map.h"
#include "core/large_array.h"
#include "linalg/linalg.h"
#include "core/thread_pool.h"

namespace ascmh {
namespace {

// Rows of kernel features per hold of the BLAS lane during the feature pass.
constexpr int64_t kLaneRows = 16384;

// Eigenvalues of S = (C J)(C J)^T below this fraction of the largest count as zero: an eigenvector
// of eigenvalue w is accurate to about eps * max(w) / w, so 1e-8 keeps V V^T = n I to ~1e-10 in
// double precision (the method page suggests 1e-10, which leaves errors of 1e-7); float needs more.
template <class T>
constexpr double kRankTolerance = std::is_same<T, float>::value ? 1e-4 : 1e-8;

template <class T>
std::vector<T> transpose(const std::vector<T>& A, int rows, int cols) {
  std::vector<T> out(A.size());
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) out[(size_t)j * rows + i] = A[(size_t)i * cols + j];
  return out;
}

// Column sums of the row-major rows x cols matrix X, in parallel. Partial sums are added in a fixed
// order, so the result does not depend on the thread count.
template <class T>
std::vector<double> column_sums(const T* X, int64_t rows, int64_t cols) {
  const int64_t grain = std::max<int64_t>(512, (rows + 63) / 64);
  const int64_t parts = (rows + grain - 1) / grain;
  std::vector<double> partial((size_t)(parts * cols), 0.0);
  ThreadPool::instance().parallel_for(parts, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      double* sum = partial.data() + p * cols;
      for (int64_t i = p * grain; i < std::min(rows, (p + 1) * grain); ++i)
        for (int64_t j = 0; j < cols; ++j) sum[j] += X[i * cols + j];
    }
  });
  std::vector<double> total(cols, 0.0);
  for (int64_t p = 0; p < parts; ++p)
    for (int64_t j = 0; j < cols; ++j) total[j] += partial[p * cols + j];
  return total;
}

// Rows of the random matrix Y0 per generator substream.
constexpr int64_t kRandomRows = 1024;

// Rows [r0, r1) of a Gaussian matrix with r columns (r0 a multiple of kRandomRows). Each block of
// kRandomRows rows has its own substream, so blocks are drawn in parallel.
template <class T>
void gaussian_rows(uint64_t seed, int64_t r0, int64_t r1, int r, T* out) {
  const int64_t blocks = (r1 - r0 + kRandomRows - 1) / kRandomRows;
  ThreadPool::instance().parallel_for(blocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t first = r0 + b * kRandomRows, last = std::min(r1, first + kRandomRows);
      Rng stream(seed, static_cast<uint64_t>(first / kRandomRows));
      T* o = out + (first - r0) * r;
      for (int64_t i = 0; i < (last - first) * r; ++i) o[i] = static_cast<T>(stream.gaussian());
    }
  });
}

// Eigen-decomposition of the symmetric r x r matrix S into U (columns) and w, plus the count of
// eigenvalues above the relative tolerance.
template <class T>
int symmetric_eigen(std::vector<T>& S, int r, std::vector<T>& w) {
  w.assign(r, 0);
  syevd<T>(r, S.data(), w.data());
  const T top = w[r - 1];
  if (!(top > 0)) return 0;
  int rank = 0;
  for (int j = 0; j < r; ++j)
    if (w[j] > static_cast<T>(kRankTolerance<T>) * top) ++rank;
  return rank;
}

// Everything the loop needs that does not change across iterations.
template <class T>
struct Problem {
  int64_t n = 0, K = 0;
  int r = 0, c = 0;
  int64_t k[2] = {0, 0}, offset[2] = {0, 0};
  LargeArray<T> PhiT;      // n x K, centred kernel features [image | text]
  std::vector<T> Gram;     // K x K, Phi Phi^T
  std::vector<T> DGram;    // diag(lambda) Gram
  std::vector<T> lambda;   // K, the reconstruction weight of each feature row
  std::vector<T> GL;       // 2c x n: G (unit-norm label columns) above L
  std::vector<T> F, DF;    // c x K: G Phi^T and G Phi^T diag(lambda)
  std::vector<T> Gg, GgJ, LL;  // c x c: G G^T, G J G^T, L L^T
  // Y0: n x r Gaussian with centred columns, drawn once; it initialises V and completes V with
  // random directions when C J is rank-deficient. Only its products are kept.
  std::vector<T> Y0, Y0Phi, Y0G, Y0Y0;  // n x r (only with keep_latent), r x K, r x c, r x r
  bool keep_latent = false;
  // Items with the same label vector share the B-step argument: group_of[i] indexes the distinct
  // label rows, whose [G; L] columns are GLu (2c x groups).
  std::vector<int32_t> group_of, group_size;
  std::vector<T> GLu;
  int64_t groups = 0;
  // With few groups (grouped()), products with Phi go through the per-group sums of its rows,
  // group_phi (groups x K): G Phi^T = Gu group_phi and, in the hash step, Phi^T B^T.
  std::vector<T> group_phi;
  bool grouped() const { return groups * 4 <= n; }
  std::vector<T> g1;       // c: G 1
  T phi_energy = 0;        // sum_m lambda_m ||Phi_m||^2
  T Gg_norm2 = 0;          // ||G G^T||_F^2
  const T* G() const { return GL.data(); }
  const T* L() const { return GL.data() + (size_t)c * n; }
  const T* Gu() const { return GLu.data(); }
  const T* Lu() const { return GLu.data() + (size_t)c * groups; }
};

template <class T>
struct State {
  std::vector<T> A;    // r x K: V Phi^T
  std::vector<T> VG;   // r x c: V G^T
  std::vector<int8_t> B;  // r x n, +1 / -1
  // r x groups: the sum of B's columns over each distinct label vector. B G^T = Bsum Gu^T and
  // B L^T = Bsum Lu^T, so the products with the labels cost r u c instead of r n c.
  std::vector<T> Bsum;
  // r x groups: the sign the last B-step gave each group; 0 where its argument was exactly 0 and
  // the group's items kept their own bits. Empty before the first B-step.
  std::vector<int8_t> group_sign;
  std::vector<T> R;    // r x r
  std::vector<T> M;    // r x c
  std::vector<T> E;    // r x c: B G^T
  // The last V-step, for rebuilding V explicitly on request (keep_latent).
  struct Completion {
    std::vector<T> Ukept, Utw, Urest, QtY, Uchol;
  } completion;
  std::vector<T> A_prev, RtE_prev;
  bool initial = true;  // V is still the initialisation (C J = Y0^T)
  int rank = 0;
};

template <class T>
void compute_E(const Problem<T>& P, State<T>& S) {
  S.E.assign((size_t)P.r * P.c, 0);
  gemm<T>(Op::N, Op::T, P.r, P.c, (int)P.groups, 1, S.Bsum.data(), (int)P.groups, P.Gu(), (int)P.groups, 0,
          S.E.data(), P.c);
}

// B L^T (r x c)
template <class T>
std::vector<T> b_times_labels(const Problem<T>& P, const State<T>& S) {
  std::vector<T> BLt((size_t)P.r * P.c);
  gemm<T>(Op::N, Op::T, P.r, P.c, (int)P.groups, 1, S.Bsum.data(), (int)P.groups, P.Lu(), (int)P.groups, 0,
          BLt.data(), P.c);
  return BLt;
}

// Bsum row j from B row j; int32 accumulators keep it exact whatever T is.
template <class T>
void group_sums_row(const Problem<T>& P, const int8_t* b, T* sums, std::vector<int32_t>& scratch) {
  scratch.assign(P.groups, 0);
  for (int64_t i = 0; i < P.n; ++i) scratch[P.group_of[i]] += b[i];
  for (int64_t g = 0; g < P.groups; ++g) sums[g] = static_cast<T>(scratch[g]);
}

// From an explicit V: A = V Phi^T and V G^T.
template <class T>
void project_latent(const Problem<T>& P, const std::vector<T>& V, State<T>& S) {
  S.A.assign((size_t)P.r * P.K, 0);
  gemm<T>(Op::N, Op::N, P.r, (int)P.K, (int)P.n, 1, V.data(), (int)P.n, P.PhiT.data(), (int)P.K, 0, S.A.data(),
          (int)P.K);
  S.VG.assign((size_t)P.r * P.c, 0);
  gemm<T>(Op::N, Op::T, P.r, P.c, (int)P.n, 1, V.data(), (int)P.n, P.G(), (int)P.n, 0, S.VG.data(), P.c);
}

template <class T>
void m_step(const Problem<T>& P, const TrainOptions& o, State<T>& S) {
  const int r = P.r, c = P.c;
  const std::vector<T> BLt = b_times_labels(P, S);
  std::vector<T> system = P.LL;
  for (int i = 0; i < c; ++i) system[(size_t)i * c + i] += static_cast<T>(o.eps);
  std::vector<T> Mt = transpose(BLt, r, c);  // (L L^T + eps I) M^T = L B^T
  posv<T>(c, r, system.data(), Mt.data());
  S.M = transpose(Mt, c, r);
}

// R-step (orthogonal Procrustes): R = W U^T for K = (V G^T)(G B^T) = U S W^T maximises tr(R K).
// K has rank <= c, so when c < r its SVD comes from QR factors of V G^T and E = B G^T and the SVD
// of a c x c core; R maps the complement of range(V G^T) onto that of range(E), as a full SVD would
// for zero singular values (any orthogonal map between them attains the same maximum).
template <class T>
void r_step(const Problem<T>& P, State<T>& S) {
  const int r = P.r, c = P.c;
  std::vector<T> K((size_t)r * r), U((size_t)r * r), WT((size_t)r * r);
  if (c >= r) {
    std::vector<T> sv(r);
    gemm<T>(Op::N, Op::T, r, r, c, 1, S.VG.data(), c, S.E.data(), c, 0, K.data(), r);
    gesvd<T>(r, r, K.data(), sv.data(), U.data(), WT.data());
  } else {
    std::vector<T> R1(S.VG), R2(S.E), Q1((size_t)r * r), Q2((size_t)r * r);
    qr_full<T>(r, c, R1.data(), Q1.data());  // V G^T = Q1 [R1; 0]
    qr_full<T>(r, c, R2.data(), Q2.data());  // E = Q2 [R2; 0]
    std::vector<T> core((size_t)c * c), cu((size_t)c * c), cwt((size_t)c * c), sv(c);
    gemm<T>(Op::N, Op::T, c, c, c, 1, R1.data(), c, R2.data(), c, 0, core.data(), c);  // R1 R2^T
    gesvd<T>(c, c, core.data(), sv.data(), cu.data(), cwt.data());
    // U = Q1 diag(cu, I), W = Q2 diag(cwt^T, I)
    std::vector<T> blockU((size_t)r * r, 0), blockW((size_t)r * r, 0);
    for (int i = 0; i < r; ++i) blockU[(size_t)i * r + i] = blockW[(size_t)i * r + i] = 1;
    for (int i = 0; i < c; ++i)
      for (int j = 0; j < c; ++j) {
        blockU[(size_t)i * r + j] = cu[(size_t)i * c + j];
        blockW[(size_t)i * r + j] = cwt[(size_t)j * c + i];
      }
    gemm<T>(Op::N, Op::N, r, r, r, 1, Q1.data(), r, blockU.data(), r, 0, U.data(), r);
    std::vector<T> W((size_t)r * r);
    gemm<T>(Op::N, Op::N, r, r, r, 1, Q2.data(), r, blockW.data(), r, 0, W.data(), r);
    WT = transpose(W, r, r);
  }
  std::vector<T> UWT((size_t)r * r);
  gemm<T>(Op::N, Op::N, r, r, r, 1, U.data(), r, WT.data(), r, 0, UWT.data(), r);
  S.R = transpose(UWT, r, r);  // R = W U^T
}

template <class T>
std::vector<T> explicit_C(const Problem<T>& P, const TrainOptions& o, const std::vector<T>& A,
                          const std::vector<T>& RtE) {
  // C J = (1/n) A diag(lambda) Phi + r alpha R^T E G, then rows centred (Phi is centred already).
  const int r = P.r;
  const int64_t n = P.n;
  std::vector<T> AD(A);
  for (int i = 0; i < r; ++i)
    for (int64_t j = 0; j < P.K; ++j) AD[(size_t)i * P.K + j] *= P.lambda[j];
  std::vector<T> C((size_t)r * n);
  gemm<T>(Op::N, Op::T, r, (int)n, (int)P.K, T(1) / n, AD.data(), (int)P.K, P.PhiT.data(), (int)P.K, 0, C.data(),
          (int)n);
  gemm<T>(Op::N, Op::N, r, (int)n, P.c, static_cast<T>(r * o.alpha), RtE.data(), P.c, P.G(), (int)n, 1, C.data(),
          (int)n);
  for (int i = 0; i < r; ++i) {
    T* row = C.data() + (size_t)i * n;
    double mean = 0;
    for (int64_t j = 0; j < n; ++j) mean += row[j];
    mean /= n;
    for (int64_t j = 0; j < n; ++j) row[j] -= static_cast<T>(mean);
  }
  return C;
}

// Columns `cols` of the row-major matrix X (rows x ld).
template <class T>
std::vector<T> columns(const std::vector<T>& X, int rows, int ld, const std::vector<int>& cols) {
  std::vector<T> out((size_t)rows * cols.size());
  for (int i = 0; i < rows; ++i)
    for (size_t j = 0; j < cols.size(); ++j) out[(size_t)i * cols.size() + j] = X[(size_t)i * ld + cols[j]];
  return out;
}

// The closed form of the V-step given, for the current C J:
//   S = (C J)(C J)^T (r x r), CPhi = C J Phi^T (r x K), CG = C J G^T (r x c), CY = C J Y0 (r x r).
// V = sqrt(n) [U' Ubar] [Q Qbar]^T with Q = (C J)^T U' w'^{-1/2} and Qbar the columns of Y0
// projected off Q and orthonormalised; only V Phi^T and V G^T are produced.
template <class T>
void latent_from_gram(const Problem<T>& P, State<T>& S, std::vector<T> Smat, const std::vector<T>& CPhi,
                      const std::vector<T>& CG, const std::vector<T>& CY) {
  const int r = P.r, c = P.c;
  const int64_t K = P.K;
  std::vector<T> w;
  const int rank = symmetric_eigen(Smat, r, w);  // Smat now holds the eigenvectors U (columns)
  S.rank = rank;
  const int m = r - rank;
  std::vector<int> kept, rest;
  for (int j = 0; j < r; ++j) (j >= m ? kept : rest).push_back(j);
  // Ut_w = diag(w'^-1/2) U'^T (rank x r)
  std::vector<T> Utw((size_t)rank * r);
  for (int a = 0; a < rank; ++a)
    for (int i = 0; i < r; ++i)
      Utw[(size_t)a * r + i] = Smat[(size_t)i * r + kept[a]] / std::sqrt(w[kept[a]]);
  std::vector<T> QPhi((size_t)rank * K), QG((size_t)rank * c);  // Q^T Phi^T, Q^T G^T
  gemm<T>(Op::N, Op::N, rank, (int)K, r, 1, Utw.data(), r, CPhi.data(), (int)K, 0, QPhi.data(), (int)K);
  gemm<T>(Op::N, Op::N, rank, c, r, 1, Utw.data(), r, CG.data(), c, 0, QG.data(), c);
  std::vector<T> Ukept = columns(Smat, r, r, kept);
  const T root_n = std::sqrt(static_cast<T>(P.n));
  gemm<T>(Op::N, Op::N, r, (int)K, rank, root_n, Ukept.data(), rank, QPhi.data(), (int)K, 0, S.A.data(), (int)K);
  gemm<T>(Op::N, Op::N, r, c, rank, root_n, Ukept.data(), rank, QG.data(), c, 0, S.VG.data(), c);
  S.completion = {Ukept, Utw, {}, {}, {}};
  if (m == 0) return;
  // Qbar = (Y0m - Q QtY) N with QtY = Q^T Y0m (rank x m) and N = (Y0m^T Y0m - QtY^T QtY)^{-1/2}.
  std::vector<T> QtY((size_t)rank * m, 0);
  if (rank > 0) {
    std::vector<T> CYm = columns(CY, r, r, rest);  // first m columns of Y0 (rest = 0..m-1)
    gemm<T>(Op::N, Op::N, rank, m, r, 1, Utw.data(), r, CYm.data(), m, 0, QtY.data(), m);
  }
  std::vector<T> Nm((size_t)m * m);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) Nm[(size_t)i * m + j] = P.Y0Y0[(size_t)i * r + j];
  if (rank > 0) gemm<T>(Op::T, Op::N, m, m, rank, -1, QtY.data(), m, QtY.data(), m, 1, Nm.data(), m);
  cholesky_upper<T>(m, Nm.data());  // Y0m^T (I - Q Q^T) Y0m = U^T U; Qbar = (I - Q Q^T) Y0m U^{-1}
  // Qbar^T Phi^T = U^{-T} (Y0m^T Phi^T - QtY^T Q^T Phi^T), likewise for G^T.
  std::vector<T> YPhi(P.Y0Phi.begin(), P.Y0Phi.begin() + (size_t)m * K);
  std::vector<T> YG(P.Y0G.begin(), P.Y0G.begin() + (size_t)m * c);
  if (rank > 0) {
    gemm<T>(Op::T, Op::N, m, (int)K, rank, -1, QtY.data(), m, QPhi.data(), (int)K, 1, YPhi.data(), (int)K);
    gemm<T>(Op::T, Op::N, m, c, rank, -1, QtY.data(), m, QG.data(), c, 1, YG.data(), c);
  }
  solve_upper_transposed<T>(m, (int)K, Nm.data(), YPhi.data());
  solve_upper_transposed<T>(m, c, Nm.data(), YG.data());
  const std::vector<T>& QbPhi = YPhi;
  const std::vector<T>& QbG = YG;
  std::vector<T> Urest = columns(Smat, r, r, rest);
  gemm<T>(Op::N, Op::N, r, (int)K, m, root_n, Urest.data(), m, QbPhi.data(), (int)K, 1, S.A.data(), (int)K);
  gemm<T>(Op::N, Op::N, r, c, m, root_n, Urest.data(), m, QbG.data(), c, 1, S.VG.data(), c);
  S.completion = {std::move(Ukept), std::move(Utw), std::move(Urest), std::move(QtY), std::move(Nm)};
}

// V-step in Gram space (see the header). Uses the A of the previous V (the P-step) and the
// current R and B.
template <class T>
void v_step(const Problem<T>& P, const TrainOptions& o, State<T>& S) {
  const int r = P.r, c = P.c;
  const int64_t K = P.K;
  const T ra = static_cast<T>(r * o.alpha), inv_n = T(1) / P.n;

  std::vector<T> RtE((size_t)r * c);
  gemm<T>(Op::T, Op::N, r, c, r, 1, S.R.data(), r, S.E.data(), c, 0, RtE.data(), c);
  // C J = (1/n) A D Phi + r alpha R^T E G J; with X = A D Gram:
  //   C J Phi^T = X / n + r alpha R^T E F
  std::vector<T> CPhi((size_t)r * K);
  gemm<T>(Op::N, Op::N, r, (int)K, (int)K, 1, S.A.data(), (int)K, P.DGram.data(), (int)K, 0, CPhi.data(), (int)K);
  std::vector<T> AD(S.A);
  for (int i = 0; i < r; ++i)
    for (int64_t j = 0; j < K; ++j) AD[(size_t)i * K + j] *= P.lambda[j];
  // S = X D A^T / n^2 + (r alpha / n) (ADF RtE^T + its transpose) + (r alpha)^2 RtE (G J G^T) RtE^T,
  // each term computed directly so the small eigenvalues do not come from cancellation.
  std::vector<T> Smat((size_t)r * r);
  gemm<T>(Op::N, Op::T, r, r, (int)K, inv_n * inv_n, CPhi.data(), (int)K, AD.data(), (int)K, 0, Smat.data(), r);
  std::vector<T> ADF((size_t)r * c);  // A D F^T = A D Phi G^T
  gemm<T>(Op::N, Op::T, r, c, (int)K, 1, S.A.data(), (int)K, P.DF.data(), (int)K, 0, ADF.data(), c);
  std::vector<T> cross((size_t)r * r);
  gemm<T>(Op::N, Op::T, r, r, c, ra * inv_n, ADF.data(), c, RtE.data(), c, 0, cross.data(), r);
  std::vector<T> RtEG((size_t)r * c);  // RtE (G J G^T)
  gemm<T>(Op::N, Op::N, r, c, c, 1, RtE.data(), c, P.GgJ.data(), c, 0, RtEG.data(), c);
  gemm<T>(Op::N, Op::T, r, r, c, ra * ra, RtEG.data(), c, RtE.data(), c, 1, Smat.data(), r);
  for (int i = 0; i < r; ++i)
    for (int j = 0; j < r; ++j) Smat[(size_t)i * r + j] += cross[(size_t)i * r + j] + cross[(size_t)j * r + i];
  gemm<T>(Op::N, Op::N, r, (int)K, c, ra, RtE.data(), c, P.F.data(), (int)K, inv_n, CPhi.data(), (int)K);
  // C J G^T = ADF / n + r alpha RtE (G J G^T)
  std::vector<T> CG((size_t)r * c);
  for (size_t i = 0; i < CG.size(); ++i) CG[i] = ADF[i] * inv_n + ra * RtEG[i];
  // C J Y0 = (1/n) A D (Y0^T Phi^T)^T + r alpha RtE (Y0^T G^T)^T   (Y0 has centred columns)
  std::vector<T> CY((size_t)r * r);
  gemm<T>(Op::N, Op::T, r, r, (int)K, inv_n, AD.data(), (int)K, P.Y0Phi.data(), (int)K, 0, CY.data(), r);
  gemm<T>(Op::N, Op::T, r, r, c, ra, RtE.data(), c, P.Y0G.data(), c, 1, CY.data(), r);
  if (P.keep_latent) {
    S.A_prev = S.A;
    S.RtE_prev = RtE;
  }
  latent_from_gram(P, S, std::move(Smat), CPhi, CG, CY);
  S.initial = false;
}

// V itself (r x n) from the last V-step, as V = sqrt(n) (U' Q^T + Ubar Qbar^T).
template <class T>
std::vector<T> materialize_latent(const Problem<T>& P, const TrainOptions& o, const State<T>& S) {
  const int r = P.r, rank = S.rank, m = r - rank;
  const int64_t n = P.n;
  std::vector<T> CJ;
  if (S.initial) {
    CJ = transpose(P.Y0, (int)n, r);
  } else {
    CJ = explicit_C(P, o, S.A_prev, S.RtE_prev);
  }
  const auto& Cm = S.completion;
  std::vector<T> Qt((size_t)rank * n), V((size_t)r * n, 0);
  gemm<T>(Op::N, Op::N, rank, (int)n, r, 1, Cm.Utw.data(), r, CJ.data(), (int)n, 0, Qt.data(), (int)n);
  const T root_n = std::sqrt(static_cast<T>(n));
  gemm<T>(Op::N, Op::N, r, (int)n, rank, root_n, Cm.Ukept.data(), rank, Qt.data(), (int)n, 0, V.data(), (int)n);
  if (m > 0) {
    std::vector<T> Ym((size_t)m * n);  // Y0m^T - QtY^T Q^T
    for (int i = 0; i < m; ++i)
      for (int64_t t = 0; t < n; ++t) Ym[(size_t)i * n + t] = P.Y0[(size_t)t * r + i];
    if (rank > 0) gemm<T>(Op::T, Op::N, m, (int)n, rank, -1, Cm.QtY.data(), m, Qt.data(), (int)n, 1, Ym.data(), (int)n);
    solve_upper_transposed<T>(m, (int)n, Cm.Uchol.data(), Ym.data());  // Qbar^T
    gemm<T>(Op::N, Op::N, r, (int)n, m, root_n, Cm.Urest.data(), m, Ym.data(), (int)n, 1, V.data(), (int)n);
  }
  return V;
}

// Returns the number of bits that changed.
template <class T>
int64_t b_step(const Problem<T>& P, const TrainOptions& o, State<T>& S) {
  const int r = P.r, c = P.c;
  const int64_t n = P.n;
  // argument = [r alpha R V G^T, omega M] [G; L], evaluated once per distinct label vector
  std::vector<T> H((size_t)r * 2 * c);
  std::vector<T> RVG((size_t)r * c);
  gemm<T>(Op::N, Op::N, r, c, r, 1, S.R.data(), r, S.VG.data(), c, 0, RVG.data(), c);
  for (int i = 0; i < r; ++i)
    for (int j = 0; j < c; ++j) {
      H[(size_t)i * 2 * c + j] = static_cast<T>(r * o.alpha) * RVG[(size_t)i * c + j];
      H[(size_t)i * 2 * c + c + j] = static_cast<T>(o.omega) * S.M[(size_t)i * c + j];
    }
  const int64_t u = P.groups;
  std::vector<T> arg((size_t)r * u);
  gemm<T>(Op::N, Op::N, r, (int)u, 2 * c, 1, H.data(), 2 * c, P.GLu.data(), (int)u, 0, arg.data(), (int)u);
  // The argument is the same for every item of a group, so each group's new bit is one sign, and
  // Bsum is that sign times the group size. Only an exactly zero argument (e.g. items without
  // labels) keeps each item's previous bit, and then Bsum is recounted from B.
  std::atomic<int64_t> changed{0};
  S.group_sign.resize((size_t)r * u);
  ThreadPool::instance().parallel_for(r, 8, [&](int64_t j0, int64_t j1) {
    int64_t local = 0;
    std::vector<int32_t> scratch;
    for (int64_t j = j0; j < j1; ++j) {
      const T* a = arg.data() + (size_t)j * u;
      int8_t* sign = S.group_sign.data() + (size_t)j * u;
      T* sums = S.Bsum.data() + (size_t)j * u;
      bool tie = false;
      for (int64_t g = 0; g < u; ++g) {
        sign[g] = static_cast<int8_t>((a[g] > 0) - (a[g] < 0));
        tie |= sign[g] == 0;
        sums[g] = static_cast<T>(sign[g] * P.group_size[g]);
      }
      int8_t* b = S.B.data() + (size_t)j * n;
      for (int64_t i = 0; i < n; ++i) {
        const int8_t s = sign[P.group_of[i]];
        const int8_t bit = s != 0 ? s : b[i];
        local += bit != b[i];
        b[i] = bit;
      }
      if (tie) group_sums_row(P, b, sums, scratch);
    }
    changed += local;
  });
  return changed.load();
}

template <class T>
IterationReport objective(const Problem<T>& P, const TrainOptions& o, const State<T>& S) {
  const int r = P.r, c = P.c;
  const double n = static_cast<double>(P.n);
  IterationReport rep;
  double captured = 0;  // sum_m lambda_m ||Phi_m V^T||^2 / n
  for (int i = 0; i < r; ++i)
    for (int64_t j = 0; j < P.K; ++j) captured += P.lambda[j] * double(S.A[(size_t)i * P.K + j]) * S.A[(size_t)i * P.K + j];
  rep.reconstruction = double(P.phi_energy) - captured / n;
  // alpha ||(R V)^T B - r G^T G||^2 = alpha (n^2 r - 2 r tr(R V G^T E^T) + r^2 ||G G^T||^2)
  double trace = 0;
  {
    std::vector<T> RVG((size_t)r * c);
    gemm<T>(Op::N, Op::N, r, c, r, 1, S.R.data(), r, S.VG.data(), c, 0, RVG.data(), c);
    for (size_t i = 0; i < RVG.size(); ++i) trace += double(RVG[i]) * S.E[i];
  }
  rep.similarity = o.alpha * (n * n * r - 2.0 * r * trace + double(r) * r * P.Gg_norm2);
  // omega ||B - M L||^2 = omega (r n - 2 <M, B L^T> + tr(M L L^T M^T))
  const std::vector<T> BLt = b_times_labels(P, S);
  double inner = 0, quad = 0;
  for (size_t i = 0; i < BLt.size(); ++i) inner += double(S.M[i]) * BLt[i];
  for (int i = 0; i < r; ++i)
    for (int a = 0; a < c; ++a)
      for (int b = 0; b < c; ++b) quad += double(S.M[(size_t)i * c + a]) * P.LL[(size_t)a * c + b] * S.M[(size_t)i * c + b];
  rep.label = o.omega * (r * n - 2.0 * inner + quad);
  rep.latent_rank = S.rank;
  return rep;
}

// Adds a draw of W ~ Wishart(I_r, dof) to the r x r matrix S: W = X^T X for a dof x r standard
// Gaussian X, drawn as X when dof is small and otherwise by Bartlett's decomposition W = L L^T
// (L lower triangular, L_ii^2 ~ chi-square(dof - i) for 0-based i, N(0, 1) below the diagonal).
void add_wishart(std::vector<double>& S, int r, int64_t dof, Rng& rng) {
  if (dof <= 0) return;
  if (dof < 4 * r) {
    std::vector<double> X((size_t)(dof * r));
    for (auto& x : X) x = rng.gaussian();
    syrk<double>(Op::T, r, (int)dof, 1, X.data(), r, 1, S.data(), r);
    return;
  }
  std::vector<double> L((size_t)r * r, 0);
  for (int i = 0; i < r; ++i) {
    L[(size_t)i * r + i] = std::sqrt(rng.chi_square(static_cast<double>(dof - i)));
    for (int j = 0; j < i; ++j) L[(size_t)i * r + j] = rng.gaussian();
  }
  syrk<double>(Op::N, r, r, 1, L.data(), r, 1, S.data(), r);
}

// The factor R of features_labels_factor from a block Cholesky; false if Gram is singular.
template <class T>
bool block_factor(const Problem<T>& P, std::vector<double>& R, int& rank) {
  const int64_t K = P.K;
  const int c = P.c, p = static_cast<int>(K) + c;
  std::vector<double> U(P.Gram.begin(), P.Gram.end());
  double top = 0;
  for (int64_t j = 0; j < K; ++j) top = std::max(top, U[(size_t)j * K + j]);
  try {
    cholesky_upper<double>((int)K, U.data());
  } catch (const CodedError&) {
    return false;
  }
  // dpotrf only fails on a pivot <= 0; rounding can leave a singular Gram a tiny positive one.
  for (int64_t j = 0; j < K; ++j)
    if (!(U[(size_t)j * K + j] * U[(size_t)j * K + j] > K * 1e-15 * top)) return false;
  std::vector<double> X((size_t)K * c);  // F^T, then U^-T F^T
  for (int64_t j = 0; j < K; ++j)
    for (int a = 0; a < c; ++a) X[(size_t)j * c + a] = P.F[(size_t)a * K + j];
  solve_upper_transposed<double>((int)K, c, U.data(), X.data());
  std::vector<double> schur(P.GgJ.begin(), P.GgJ.end());
  gemm<double>(Op::T, Op::N, c, c, (int)K, -1, X.data(), c, X.data(), c, 1, schur.data(), c);
  std::vector<int> order;
  const int label_rank = pivoted_cholesky(c, schur.data(), order);
  rank = static_cast<int>(K) + label_rank;
  R.assign((size_t)rank * p, 0);
  for (int64_t i = 0; i < K; ++i) {
    std::copy(U.begin() + i * K, U.begin() + (i + 1) * K, R.begin() + i * p);
    std::copy(X.begin() + i * c, X.begin() + (i + 1) * c, R.begin() + i * p + K);
  }
  for (int i = 0; i < label_rank; ++i)
    for (int j = 0; j < c; ++j) R[(size_t)(K + i) * p + K + order[j]] = schur[(size_t)i * c + j];
  return true;
}

// M^T M = R^T R for M = [Phi^T | J G^T] (n x p, p = K + c), whose Gram matrix is
// [Gram F^T; F G J G^T] (F = G Phi^T = G J Phi^T since Phi is centred). Block Cholesky
// (block_factor): Gram = U^T U (dpotrf, blocked), X = U^-T F^T, and a pivoted Cholesky of the
// c x c Schur complement G J G^T - X^T X (label columns can be dependent: single labels sum to 1).
// If Gram itself is singular (e.g. duplicate anchors), the whole matrix takes the pivoted
// Cholesky (dpstrf, much slower: about 30 ms at p = 810). Returns R (rank x p).
template <class T>
std::vector<double> features_labels_factor(const Problem<T>& P, int& rank) {
  std::vector<double> R;
  if (block_factor(P, R, rank)) return R;
  const int64_t K = P.K;
  const int c = P.c, p = static_cast<int>(K) + c;
  std::vector<double> MtM((size_t)p * p);
  for (int64_t i = 0; i < K; ++i)
    for (int64_t j = 0; j < K; ++j) MtM[(size_t)i * p + j] = P.Gram[(size_t)i * K + j];
  for (int a = 0; a < c; ++a) {
    for (int64_t j = 0; j < K; ++j)
      MtM[(size_t)(K + a) * p + j] = MtM[(size_t)j * p + K + a] = P.F[(size_t)a * K + j];
    for (int b = 0; b < c; ++b) MtM[(size_t)(K + a) * p + K + b] = P.GgJ[(size_t)a * c + b];
  }
  std::vector<int> order;
  rank = pivoted_cholesky(p, MtM.data(), order);  // P^T MtM P = U^T U; R = U P^T
  R.assign((size_t)rank * p, 0);
  for (int i = 0; i < rank; ++i)
    for (int j = 0; j < p; ++j) R[(size_t)i * p + order[j]] = MtM[(size_t)i * p + j];
  return R;
}

// The products of the initial Gaussian Y0 (n x r, centred columns) that the loop uses, drawn from
// their exact joint distribution instead of from Y0 itself. With M and R as above: rotating Y0
// into a basis of range(M), the rest of 1's complement and 1 shows that Y0^T M is distributed as
// Z R for an r x rank standard Gaussian Z, and Y0^T J Y0 as Z Z^T + W with W ~ Wishart(I_r,
// n - 1 - rank) independent of Z. Costs O(K^3 + r K^2) instead of n r draws and an r K n product.
template <class T>
void sample_initial_products(Problem<T>& P, Rng& rng) {
  const int64_t K = P.K;
  const int r = P.r, c = P.c, p = static_cast<int>(K) + c;
  int rank = 0;
  const std::vector<double> R = features_labels_factor(P, rank);
  std::vector<double> Z((size_t)r * rank), ZR((size_t)r * p, 0), Y0Y0((size_t)r * r, 0);
  for (auto& z : Z) z = rng.gaussian();
  if (rank > 0) {
    gemm<double>(Op::N, Op::N, r, p, rank, 1, Z.data(), rank, R.data(), p, 0, ZR.data(), p);
    syrk<double>(Op::N, r, rank, 1, Z.data(), rank, 0, Y0Y0.data(), r);
  }
  add_wishart(Y0Y0, r, P.n - 1 - rank, rng);
  P.Y0Phi.resize((size_t)r * K);
  P.Y0G.resize((size_t)r * c);
  for (int i = 0; i < r; ++i) {
    for (int64_t j = 0; j < K; ++j) P.Y0Phi[(size_t)i * K + j] = static_cast<T>(ZR[(size_t)i * p + j]);
    for (int a = 0; a < c; ++a) P.Y0G[(size_t)i * c + a] = static_cast<T>(ZR[(size_t)i * p + K + a]);
  }
  P.Y0Y0.assign(Y0Y0.begin(), Y0Y0.end());
}

void check_cancel(const CancelToken* cancel) {
  if (is_cancelled(cancel)) fail("ERR_ASCMH_CANCELLED", "training was cancelled");
}

// Y0 (n x r) drawn explicitly in row chunks and kept (for keepLatent), then centred; with
// mu = Y0^T 1 / n the centred products are Y0^T Phi^T (Phi is centred: Phi 1 = 0),
// Y0^T G^T - mu (G 1)^T and Y0^T Y0 - n mu mu^T.
template <class T>
void draw_initial_products(Problem<T>& P, Rng& rng, const CancelToken* cancel) {
  const int64_t n = P.n, K = P.K;
  const int r = P.r, c = P.c;
  const uint64_t seed = rng.next();
  P.Y0.resize((size_t)n * r);
  P.Y0Phi.assign((size_t)r * K, 0);
  P.Y0G.assign((size_t)r * c, 0);
  P.Y0Y0.assign((size_t)r * r, 0);
  std::vector<double> mu(r, 0.0);
  for (int64_t b0 = 0; b0 < n; b0 += kLaneRows) {
    const int64_t b1 = std::min(n, b0 + kLaneRows), rows = b1 - b0;
    T* Y = P.Y0.data() + b0 * r;
    gaussian_rows(seed, b0, b1, r, Y);
    const std::vector<double> sums = column_sums(Y, rows, r);
    for (int j = 0; j < r; ++j) mu[j] += sums[j] / n;
    BlasLaneGuard lane;
    gemm<T>(Op::T, Op::N, r, (int)K, (int)rows, 1, Y, r, P.PhiT.data() + b0 * K, (int)K, 1, P.Y0Phi.data(), (int)K);
    gemm<T>(Op::T, Op::T, r, c, (int)rows, 1, Y, r, P.G() + b0, (int)n, 1, P.Y0G.data(), c);
    syrk<T>(Op::T, r, (int)rows, 1, Y, r, 1, P.Y0Y0.data(), r);
    check_cancel(cancel);
  }
  for (int i = 0; i < r; ++i) {
    for (int j = 0; j < c; ++j) P.Y0G[(size_t)i * c + j] -= static_cast<T>(mu[i] * P.g1[j]);
    for (int j = 0; j < r; ++j) P.Y0Y0[(size_t)i * r + j] -= static_cast<T>(n * mu[i] * mu[j]);
  }
  for (int64_t t = 0; t < n; ++t)
    for (int j = 0; j < r; ++j) P.Y0[(size_t)t * r + j] -= static_cast<T>(mu[j]);
}

// Per-group sums of the rows of Phi (groups x K, double). Phi is read in row order (reading each
// group's rows where they lie was 3x slower): a few fixed row ranges each add into their own
// partial sums, which are then added in range order, so the result does not depend on threads.
template <class T>
std::vector<double> group_sums(const Problem<T>& P) {
  const int64_t K = P.K, u = P.groups, n = P.n;
  const int64_t ranges = std::clamp<int64_t>((int64_t(256) << 20) / (u * K * 8), 1, 8);
  std::vector<double> partial((size_t)(ranges * u * K), 0.0);
  ThreadPool::instance().parallel_for(ranges, 1, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      double* part = partial.data() + (size_t)(q * u * K);
      for (int64_t i = q * n / ranges; i < (q + 1) * n / ranges; ++i) {
        const T* phi = P.PhiT.data() + (size_t)i * K;
        double* to = part + (size_t)P.group_of[i] * K;
        for (int64_t k = 0; k < K; ++k) to[k] += phi[k];
      }
    }
  });
  std::vector<double> sums(partial.begin(), partial.begin() + u * K);
  for (int64_t q = 1; q < ranges; ++q)
    for (int64_t j = 0; j < u * K; ++j) sums[j] += partial[(size_t)(q * u * K + j)];
  return sums;
}

// Phi^T B^T (K x r) from row chunks of Phi, each chunk of B converted to T for the GEMM: K n r.
template <class T>
void features_times_codes_direct(const Problem<T>& P, const State<T>& S, std::vector<T>& out,
                                 const CancelToken* cancel) {
  const int64_t n = P.n, K = P.K;
  const int r = P.r;
  std::vector<T> chunk;
  for (int64_t b0 = 0; b0 < n; b0 += kLaneRows) {
    const int64_t b1 = std::min(n, b0 + kLaneRows), rows = b1 - b0;
    chunk.resize((size_t)r * rows);
    ThreadPool::instance().parallel_for(r, 8, [&](int64_t j0, int64_t j1) {
      for (int64_t j = j0; j < j1; ++j)
        for (int64_t i = 0; i < rows; ++i) chunk[j * rows + i] = S.B[j * n + b0 + i];
    });
    BlasLaneGuard lane;
    gemm<T>(Op::T, Op::T, (int)K, r, (int)rows, 1, P.PhiT.data() + b0 * K, (int)K, chunk.data(), (int)rows, 1,
            out.data(), r);
    check_cancel(cancel);
  }
}

// Phi^T B^T (K x r) through the label groups: every item of a group has the group's code, except
// in the bits where the last B-step tied (argument exactly 0) and items kept their own bits. So
// Phi^T B^T = sum_g group_phi_g sign_g^T + the tied items' own bits: K u r multiply-adds (plus
// K r per tied item) instead of K n r.
template <class T>
void features_times_codes_grouped(const Problem<T>& P, const State<T>& S, std::vector<T>& out,
                                  const CancelToken* cancel) {
  const int64_t n = P.n, K = P.K, u = P.groups;
  const int r = P.r;
  std::vector<T> sign((size_t)r * u);
  std::vector<uint8_t> tied(u, 0);
  for (int j = 0; j < r; ++j)
    for (int64_t g = 0; g < u; ++g) {
      sign[(size_t)j * u + g] = S.group_sign[(size_t)j * u + g];
      tied[g] |= S.group_sign[(size_t)j * u + g] == 0;
    }
  {
    BlasLaneGuard lane;
    gemm<T>(Op::T, Op::T, (int)K, r, (int)u, 1, P.group_phi.data(), (int)K, sign.data(), (int)u, 0, out.data(), r);
  }
  std::vector<int64_t> items;  // items of tied groups, in chunks
  for (int64_t i = 0; i <= n; ++i) {
    if (i < n && tied[P.group_of[i]]) items.push_back(i);
    if (items.empty() || ((int64_t)items.size() < kLaneRows && i < n)) continue;
    const int64_t m = static_cast<int64_t>(items.size());
    std::vector<T> rows((size_t)(m * K)), own((size_t)r * m);  // own bits where the group tied, else 0
    for (int64_t t = 0; t < m; ++t) {
      std::copy(P.PhiT.data() + items[t] * K, P.PhiT.data() + (items[t] + 1) * K, rows.data() + t * K);
      const int64_t g = P.group_of[items[t]];
      for (int j = 0; j < r; ++j)
        own[(size_t)j * m + t] = S.group_sign[(size_t)j * u + g] == 0 ? S.B[(size_t)j * n + items[t]] : 0;
    }
    BlasLaneGuard lane;
    gemm<T>(Op::T, Op::T, (int)K, r, (int)m, 1, rows.data(), (int)K, own.data(), (int)m, 1, out.data(), r);
    items.clear();
    check_cancel(cancel);
  }
}

}  // namespace

template <class T>
TrainResult<T> train_ascmh(RowSource& image, RowSource& text, const uint8_t* labels, int64_t classes,
                           const TrainOptions& o, const std::function<void(const IterationReport&)>& progress,
                           const CancelToken* cancel) {
  using clock = std::chrono::steady_clock;
  TrainResult<T> result;
  Rng rng(o.seed);
  Problem<T> P;
  P.n = image.rows();
  P.r = o.bits;
  P.c = static_cast<int>(classes);
  const int64_t n = P.n;
  const int r = P.r, c = P.c;
  RowSource* views[2] = {&image, &text};
  for (int m = 0; m < 2; ++m) {
    P.k[m] = o.anchors[m];
    P.offset[m] = m == 0 ? 0 : P.k[0];
  }
  P.K = P.k[0] + P.k[1];
  const int64_t K = P.K;

  // Labels: L (c x n) and G with unit-norm columns (a sample with no label keeps a zero column).
  P.GL.assign((size_t)2 * c * n, 0);
  for (int64_t i = 0; i < n; ++i) {
    int count = 0;
    for (int j = 0; j < c; ++j) count += labels[i * c + j] != 0;
    const T inv = count ? T(1) / std::sqrt(static_cast<T>(count)) : T(0);
    for (int j = 0; j < c; ++j)
      if (labels[i * c + j]) {
        P.GL[(size_t)j * n + i] = inv;
        P.GL[(size_t)(c + j) * n + i] = 1;
      }
  }
  {
    std::map<std::vector<uint8_t>, int32_t> seen;
    P.group_of.resize(n);
    std::vector<uint8_t> row(c);
    for (int64_t i = 0; i < n; ++i) {
      for (int j = 0; j < c; ++j) row[j] = labels[i * c + j] != 0;
      auto it = seen.emplace(row, static_cast<int32_t>(seen.size())).first;
      P.group_of[i] = it->second;
    }
    P.groups = static_cast<int64_t>(seen.size());
    P.group_size.assign(P.groups, 0);
    for (int64_t i = 0; i < n; ++i) ++P.group_size[P.group_of[i]];
    P.GLu.assign((size_t)2 * c * P.groups, 0);
    for (int64_t i = 0; i < n; ++i)
      for (int j = 0; j < 2 * c; ++j) P.GLu[(size_t)j * P.groups + P.group_of[i]] = P.GL[(size_t)j * n + i];
  }
  P.g1.assign(c, 0);
  for (int j = 0; j < c; ++j)
    for (int64_t i = 0; i < n; ++i) P.g1[j] += P.GL[(size_t)j * n + i];

  // Kernel features, centred on the training mean.
  report_phase<IterationReport>(progress, FitPhase::features);
  auto t0 = clock::now();
  P.PhiT = LargeArray<T>((size_t)n * K);
  for (int m = 0; m < 2; ++m) {
    // The shared kernel component (features/kernel_map.h) with ASCMH's rule: sigma = width x the
    // mean distance of a sample; both modalities are centred together below.
    KernelSpec spec;
    spec.anchors = P.k[m];
    spec.rule = SigmaRule::mean_distance;
    spec.width = o.kernel_width[m];
    spec.subtract_mean = false;
    result.kernels[m] = fit_kernel_map<T>(*views[m], spec, rng, nullptr, P.PhiT.data() + P.offset[m], K,
                                          m == 0 ? "image" : "text", cancel);
  }
  {
    // With few label groups, one pass gives the group sums of phi, and from them the mean, G Phi^T
    // and (at the end) Phi B^T; otherwise the mean is a plain column sum.
    std::vector<double> sums, mean;
    if (P.grouped()) {
      sums = group_sums(P);
      mean.assign(K, 0.0);
      for (int64_t g = 0; g < P.groups; ++g)
        for (int64_t j = 0; j < K; ++j) mean[j] += sums[(size_t)g * K + j];
    } else {
      mean = column_sums(P.PhiT.data(), n, K);
    }
    for (auto& v : mean) v /= n;
    ThreadPool::instance().parallel_for(n, 512, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        for (int64_t j = 0; j < K; ++j) P.PhiT[(size_t)i * K + j] -= static_cast<T>(mean[j]);
    });
    if (P.grouped()) {  // sums of the centred features: sum_g - |g| mean
      P.group_phi.resize((size_t)(P.groups * K));
      for (int64_t g = 0; g < P.groups; ++g)
        for (int64_t j = 0; j < K; ++j)
          P.group_phi[(size_t)g * K + j] = static_cast<T>(sums[(size_t)g * K + j] - P.group_size[g] * mean[j]);
    }
    for (int m = 0; m < 2; ++m) {
      result.kernels[m].mean.resize(P.k[m]);
      for (int64_t j = 0; j < P.k[m]; ++j) result.kernels[m].mean[j] = static_cast<T>(mean[P.offset[m] + j]);
    }
  }
  P.lambda.resize(K);
  for (int64_t j = 0; j < K; ++j) P.lambda[j] = static_cast<T>(o.lambda[j < P.k[0] ? 0 : 1]);

  {
    P.Gram.assign((size_t)K * K, 0);
    for (int64_t b0 = 0; b0 < n; b0 += kLaneRows) {
      BlasLaneGuard lane;
      const int64_t rows = std::min(n, b0 + kLaneRows) - b0;
      syrk<T>(Op::T, (int)K, (int)rows, 1, P.PhiT.data() + b0 * K, (int)K, 1, P.Gram.data(), (int)K);
      check_cancel(cancel);
    }
    BlasLaneGuard lane;
    P.DGram = P.Gram;
    for (int64_t i = 0; i < K; ++i)
      for (int64_t j = 0; j < K; ++j) P.DGram[(size_t)i * K + j] *= P.lambda[i];
    P.F.assign((size_t)c * K, 0);
    if (P.grouped())
      gemm<T>(Op::N, Op::N, c, (int)K, (int)P.groups, 1, P.Gu(), (int)P.groups, P.group_phi.data(), (int)K, 0,
              P.F.data(), (int)K);
    else
      gemm<T>(Op::N, Op::N, c, (int)K, (int)n, 1, P.G(), (int)n, P.PhiT.data(), (int)K, 0, P.F.data(), (int)K);
    P.DF = P.F;
    for (int i = 0; i < c; ++i)
      for (int64_t j = 0; j < K; ++j) P.DF[(size_t)i * K + j] *= P.lambda[j];
    P.Gg.assign((size_t)c * c, 0);
    syrk<T>(Op::N, c, (int)n, 1, P.G(), (int)n, 0, P.Gg.data(), c);
    P.GgJ = P.Gg;
    for (int i = 0; i < c; ++i)
      for (int j = 0; j < c; ++j) P.GgJ[(size_t)i * c + j] -= P.g1[i] * P.g1[j] / static_cast<T>(n);
    P.LL.assign((size_t)c * c, 0);
    syrk<T>(Op::N, c, (int)n, 1, P.L(), (int)n, 0, P.LL.data(), c);
  }
  for (int64_t j = 0; j < K; ++j) P.phi_energy += P.lambda[j] * P.Gram[(size_t)j * K + j];
  for (T v : P.Gg) P.Gg_norm2 += v * v;
  result.seconds_features = std::chrono::duration<double>(clock::now() - t0).count();
  check_cancel(cancel);

  // Initialisation: V from the closed form on a Gaussian matrix (C J = Y0^T), R = I,
  // B = sgn(Gaussian), then the M-step.
  report_phase<IterationReport>(progress, FitPhase::iterations);
  auto t1 = clock::now();
  State<T> S;
  {
    // Y0's products: drawn from an explicit Y0, or sampled from their distribution (see
    // sample_initial_products), whichever costs less: about 2 n r K flops against K^3 / 3 + 2 r K^2,
    // counting the factorisation twice (it runs slower per flop). keepLatent needs Y0 itself.
    P.keep_latent = o.keep_latent;
    const double draw_cost = 2.0 * n * r * K, sample_cost = 2.0 * (K * K * (K / 3.0 + 2.0 * r));
    const bool sample = !o.keep_latent && (o.initialisation == Initialisation::sampled ||
                                           (o.initialisation == Initialisation::automatic && draw_cost > sample_cost));
    if (sample) {
      BlasLaneGuard lane;
      sample_initial_products(P, rng);
    } else {
      draw_initial_products(P, rng, cancel);
    }
    BlasLaneGuard lane;
    S.A.assign((size_t)r * K, 0);
    S.VG.assign((size_t)r * c, 0);
    latent_from_gram(P, S, P.Y0Y0, P.Y0Phi, P.Y0G, P.Y0Y0);
    // B = sgn(Gaussian): fair coins, 64 from each draw
    S.B.resize((size_t)r * n);
    for (size_t i = 0; i < S.B.size(); i += 64) {
      const uint64_t coins = rng.next();
      for (size_t k = 0; k < 64 && i + k < S.B.size(); ++k) S.B[i + k] = (coins >> k) & 1 ? 1 : -1;
    }
    S.Bsum.resize((size_t)r * P.groups);
    ThreadPool::instance().parallel_for(r, 8, [&](int64_t j0, int64_t j1) {
      std::vector<int32_t> scratch;
      for (int64_t j = j0; j < j1; ++j) group_sums_row(P, S.B.data() + j * n, S.Bsum.data() + j * P.groups, scratch);
    });
    S.R.assign((size_t)r * r, 0);
    for (int i = 0; i < r; ++i) S.R[(size_t)i * r + i] = 1;
    m_step(P, o, S);
  }

  double previous_total = 0;
  for (int it = 1; it <= o.iterations; ++it) {
    check_cancel(cancel);
    IterationReport rep;
    {
      BlasLaneGuard lane;
      // P-step is implicit: P_m = Phi_m V^T / n = A_m^T / n.
      m_step(P, o, S);
      compute_E(P, S);
      r_step(P, S);
      v_step(P, o, S);
      const int64_t changed = b_step(P, o, S);
      compute_E(P, S);
      rep = objective(P, o, S);
      rep.changed_bits = changed;
    }
    rep.iteration = it;
    const double total = rep.reconstruction + rep.similarity + rep.label;
    result.converged = o.tolerance > 0 && it > 1 && rep.changed_bits == 0 &&
                       std::fabs(previous_total - total) <= o.tolerance * std::fabs(total);
    previous_total = total;
    result.history.push_back(rep);
    if (progress) progress(rep);
    if (result.converged) break;
  }
  result.seconds_iterations = std::chrono::duration<double>(clock::now() - t1).count();
  check_cancel(cancel);

  // Hash functions: W_m = (Phi_m Phi_m^T + lambda_h I)^{-1} Phi_m B^T.
  report_phase<IterationReport>(progress, FitPhase::hash_functions);
  auto t2 = clock::now();
  std::vector<T> PhiBt((size_t)K * r, 0);
  if (!S.group_sign.empty() && P.grouped())
    features_times_codes_grouped(P, S, PhiBt, cancel);
  else
    features_times_codes_direct(P, S, PhiBt, cancel);
  for (int m = 0; m < 2; ++m) {
    BlasLaneGuard lane;
    const int64_t km = P.k[m], off = P.offset[m];
    std::vector<T> system((size_t)km * km);
    for (int64_t i = 0; i < km; ++i)
      for (int64_t j = 0; j < km; ++j) system[(size_t)i * km + j] = P.Gram[(size_t)(off + i) * K + off + j];
    for (int64_t i = 0; i < km; ++i) system[(size_t)i * km + i] += static_cast<T>(o.ridge[m]);
    result.W[m].assign(PhiBt.begin() + off * r, PhiBt.begin() + (off + km) * r);
    posv<T>((int)km, r, system.data(), result.W[m].data());
  }
  result.seconds_hash = std::chrono::duration<double>(clock::now() - t2).count();

  result.B = std::move(S.B);
  if (o.keep_latent) {
    {
      BlasLaneGuard lane;
      result.V = materialize_latent(P, o, S);
    }
    result.R = S.R;
    result.M = S.M;
  }
  return result;
}

template TrainResult<double> train_ascmh<double>(RowSource&, RowSource&, const uint8_t*, int64_t,
                                                 const TrainOptions&,
                                                 const std::function<void(const IterationReport&)>&,
                                                 const CancelToken*);
template TrainResult<float> train_ascmh<float>(RowSource&, RowSource&, const uint8_t*, int64_t,
                                               const TrainOptions&, const std::function<void(const IterationReport&)>&,
                                               const CancelToken*);

}  // namespace ascmh
