#include "train/ddash.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <numeric>

#include "core/blas_lane.h"
#include "core/error.h"
#include "core/random.h"
#include "core/thread_pool.h"
#include "encoders/vector_tanh.h"
#include "linalg/linalg.h"
#include "train/dcc.h"
#include "train/mlp_training.h"
#include "train/trainer.h"

namespace ascmh {
namespace {

constexpr int64_t kBlockBytes = int64_t(8) << 20;

// Mean and 1/std (population) of every column of X, from shifted sums (shift: the first row), and,
// when `keep` is given, X itself as T (n x d). A constant column gets scale 1.
template <class T>
void column_statistics(RowSource& X, const char* name, MlpHash<T>& net, std::vector<T>* keep,
                       const CancelToken* cancel) {
  const int64_t n = X.rows(), d = X.cols();
  const int64_t step = std::max<int64_t>(1, kBlockBytes / std::max<int64_t>(1, d * 8));
  std::vector<double> shift(static_cast<size_t>(d)), s1(static_cast<size_t>(d), 0.0), s2(static_cast<size_t>(d), 0.0);
  if (keep) keep->resize(static_cast<size_t>(n * d));
  for (int64_t r0 = 0; r0 < n; r0 += step) {
    check_training_cancelled(cancel);
    const int64_t r1 = std::min(n, r0 + step);
    const MatrixView block = X.block(r0, r1);
    check_finite(block, r0, name);
    if (r0 == 0)
      for (int64_t j = 0; j < d; ++j) shift[j] = block.at(0, j);
    for (int64_t i = 0; i < r1 - r0; ++i)
      for (int64_t j = 0; j < d; ++j) {
        const double v = block.at(i, j) - shift[j];
        s1[j] += v;
        s2[j] += v * v;
      }
    if (keep) block.copy_rows<T>(0, r1 - r0, keep->data() + r0 * d);
  }
  net.mean.resize(static_cast<size_t>(d));
  net.scale.resize(static_cast<size_t>(d));
  for (int64_t j = 0; j < d; ++j) {
    const double mean = s1[j] / n, var = std::max(0.0, s2[j] / n - mean * mean);
    const double sd = std::sqrt(var);
    net.mean[j] = static_cast<T>(shift[j] + mean);
    net.scale[j] = static_cast<T>(sd > 1e-12 * (1 + std::fabs(shift[j] + mean)) ? 1 / sd : 1.0);
  }
  if (keep) {
    T* x = keep->data();
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < d; ++j) x[i * d + j] = (x[i * d + j] - net.mean[j]) * net.scale[j];
  }
}

template <class T>
double dot(const T* a, const T* b, int64_t count) {
  double s = 0;
  for (int64_t i = 0; i < count; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

// What the updates need from B: K_B = B^T B, G^T B, B^T 1. Caller holds the lane.
template <class T>
struct CodeSums {
  std::vector<T> K, GtB, Bsum;
  void compute(const LabelSimilarity<T>& S, const std::vector<T>& B, int r) {
    K.resize(static_cast<size_t>(r) * r);
    GtB.resize(static_cast<size_t>(S.c) * r);
    Bsum.resize(static_cast<size_t>(r));
    syrk<T>(Op::T, r, static_cast<int>(S.n), T(1), B.data(), r, T(0), K.data(), r);
    similarity_sums(S, B.data(), r, GtB.data(), Bsum.data());
  }
};

// One network's training state and the buffers its mini-batches reuse.
template <class T>
struct NetworkState {
  MlpTrainer<T> trainer;
  std::vector<int64_t> order, items;
  std::vector<T> Xb, dU;
  DdashBatchScratch<T> scratch;
  NetworkState(MlpHash<T>& net, AdamSettings adam) : trainer(net, adam) {}
};

// Single-threaded BLAS while held (within the BLAS lane, so no other BLAS call is in flight): the
// two networks then train at once on two threads, each with its own small GEMMs, which threaded
// BLAS runs slower than one thread does (measured on Wiki: 13.5 s with 2 BLAS threads, 10.1 s with 1).
class OneBlasThread {
 public:
  OneBlasThread() : saved_(blas_threads()) { set_blas_threads(1); }
  ~OneBlasThread() { set_blas_threads(saved_); }
  OneBlasThread(const OneBlasThread&) = delete;
  OneBlasThread& operator=(const OneBlasThread&) = delete;

 private:
  int saved_;
};

}  // namespace

template <class T>
double ddash_batch_gradient(const LabelSimilarity<T>& S, const int64_t* rows, int64_t count, const T* U, const T* B,
                            const T* K_B, const T* GtB, const T* Bsum, int r, double gamma, T* dU,
                            DdashBatchScratch<T>* scratch) {
  const int64_t size = count * r;
  DdashBatchScratch<T> local;
  DdashBatchScratch<T>& buffers = scratch ? *scratch : local;
  std::vector<T>& SB = buffers.SB;
  std::vector<T>& UK = buffers.UK;
  SB.resize(static_cast<size_t>(size));
  UK.resize(static_cast<size_t>(size));
  similarity_rows_times(S, rows, count, GtB, Bsum, r, SB.data(), &buffers.similarity);
  gemm<T>(Op::N, Op::N, static_cast<int>(count), r, r, T(1), U, r, K_B, r, T(0), UK.data(), r);
  const double n = static_cast<double>(S.n), rr = r;
  // ||U B^T - r S_b||^2 = tr(U K_B U^T) - 2 r tr(U^T S_b B) + r^2 ||S_b||^2
  double fit = dot(UK.data(), U, size) - 2 * rr * dot(SB.data(), U, size) + rr * rr * similarity_rows_norm2(S, rows, count);
  double link = 0;
  const T scale = static_cast<T>(2 / n), g = static_cast<T>(gamma), tr = static_cast<T>(r);
  for (int64_t a = 0; a < count; ++a) {
    const T* b = B + rows[a] * r;
    for (int k = 0; k < r; ++k) {
      const int64_t at = a * r + k;
      const T diff = U[at] - b[k];
      link += static_cast<double>(diff) * diff;
      dU[at] = scale * (UK[at] - tr * SB[at] + g * diff);
    }
  }
  return (fit + gamma * link) / n;
}

template <class T>
DdashResult<T> train_ddash(RowSource& image, RowSource& text, const uint8_t* labels, int64_t classes,
                           const DdashOptions& o, const DdashProgress& progress, const CancelToken* cancel) {
  using clock = std::chrono::steady_clock;
  DdashResult<T> result;
  const int64_t n = image.rows(), c = classes;
  const int r = o.bits;
  const int64_t m = o.query_sample;
  if (m < 1 || m > n) fail("ERR_ASCMH_OPTION", "querySample must be from 1 to the number of training rows");
  const bool every_item = m == n;
  RowSource* sources[2] = {&image, &text};
  const char* names[2] = {"image", "text"};

  // Standardisation (and, when Omega is every item, the standardised features, kept).
  report_phase<DdashReport>(progress, FitPhase::features);
  const auto t0 = clock::now();
  std::vector<T> Xall[2];
  for (int mod = 0; mod < 2; ++mod) {
    MlpHash<T>& net = result.nets[mod];
    net.dim = sources[mod]->cols();
    net.hidden = o.hidden[mod];
    net.bits = r;
    column_statistics(*sources[mod], names[mod], net, every_item ? &Xall[mod] : nullptr, cancel);
  }
  const LabelSimilarity<T> S = label_similarity<T>(labels, n, c, o.rebalance);
  result.rho = S.rho;
  std::vector<T> L(static_cast<size_t>(n * c));
  for (int64_t i = 0; i < n * c; ++i) L[i] = labels[i] ? T(1) : T(0);
  result.seconds_features = std::chrono::duration<double>(clock::now() - t0).count();

  report_phase<DdashReport>(progress, FitPhase::iterations);  // the networks are trained in the iterations
  const auto t1 = clock::now();
  const int64_t nr = n * r;
  std::vector<int8_t> B(static_cast<size_t>(nr));
  {
    const std::vector<T> draws = gaussian_values<T>(o.seed, 1, nr);
    for (int64_t i = 0; i < nr; ++i) B[i] = draws[i] > 0 ? 1 : -1;
  }
  std::vector<T> Bt(B.begin(), B.end());
  std::vector<T> W(static_cast<size_t>(c) * r, T(0));
  AdamSettings adam;
  adam.weight_decay = o.weight_decay;
  for (int mod = 0; mod < 2; ++mod) {
    Rng rng(o.seed, 2 + static_cast<uint64_t>(mod));
    he_initialise(result.nets[mod], rng);
  }
  NetworkState<T> state0(result.nets[0], adam), state1(result.nets[1], adam);
  NetworkState<T>* states[2] = {&state0, &state1};

  CodeSums<T> sums;
  {
    BlasLaneGuard lane;
    sums.compute(S, Bt, r);
  }
  std::vector<int64_t> omega(static_cast<size_t>(m));
  std::iota(omega.begin(), omega.end(), 0);
  std::vector<T> Xo[2], out[2], BtL(static_cast<size_t>(r) * c);
  const T gamma = static_cast<T>(o.gamma), mu = static_cast<T>(o.mu);
  double squared_labels = 0;
  for (const T v : L) squared_labels += v;

  for (int it = 1; it <= o.iterations; ++it) {
    check_training_cancelled(cancel);
    const double lr = o.iterations > 1 ? o.learning_rate * std::pow(o.final_learning_rate / o.learning_rate,
                                                                    static_cast<double>(it - 1) / (o.iterations - 1))
                                       : o.learning_rate;
    // Omega and its standardised features (gathered before the lane is taken).
    if (!every_item) {
      Rng pick(o.seed, 1000 + static_cast<uint64_t>(it));
      omega = pick.sample_without_replacement(n, m);
      std::sort(omega.begin(), omega.end());
      for (int mod = 0; mod < 2; ++mod) {
        Xo[mod].resize(static_cast<size_t>(m * result.nets[mod].dim));
        const MatrixView rows = sources[mod]->gather(omega);
        standardise_rows(result.nets[mod], rows, 0, names[mod], Xo[mod].data());
      }
    }
    // 1. The networks, E epochs over Omega each; the two are independent given B, so they train at
    // once, one epoch at a time (the lane held per epoch).
    auto epoch_of = [&](int mod, int e) {
      NetworkState<T>& st = *states[mod];
      const int64_t d = result.nets[mod].dim;
      const T* X = every_item ? Xall[mod].data() : Xo[mod].data();
      Rng shuffle(o.seed, (uint64_t(1) << 40) + (static_cast<uint64_t>(it) << 16) + (static_cast<uint64_t>(mod) << 12) +
                              static_cast<uint64_t>(e));
      st.order.resize(static_cast<size_t>(m));
      std::iota(st.order.begin(), st.order.end(), 0);
      for (int64_t i = m - 1; i > 0; --i) std::swap(st.order[i], st.order[shuffle.below(static_cast<uint64_t>(i + 1))]);
      double loss = 0;
      for (int64_t b0 = 0; b0 < m; b0 += o.batch) {
        check_training_cancelled(cancel);
        const int64_t rows = std::min<int64_t>(o.batch, m - b0);
        st.Xb.resize(static_cast<size_t>(rows * d));
        st.items.resize(static_cast<size_t>(rows));
        for (int64_t a = 0; a < rows; ++a) {
          const int64_t p = st.order[b0 + a];
          st.items[a] = omega[p];
          std::memcpy(st.Xb.data() + a * d, X + p * d, sizeof(T) * d);
        }
        st.dU.resize(static_cast<size_t>(rows * r));
        const T* U = st.trainer.forward(st.Xb.data(), rows);
        loss += ddash_batch_gradient(S, st.items.data(), rows, U, Bt.data(), sums.K.data(), sums.GtB.data(),
                                     sums.Bsum.data(), r, o.gamma, st.dU.data(), &st.scratch);
        st.trainer.backward(st.dU.data());
        st.trainer.adam_step(lr);
      }
      return loss;
    };
    for (int e = 1; e <= o.epochs; ++e) {
      double losses[2] = {0, 0};
      std::exception_ptr errors[2];
      {
        BlasLaneGuard lane;
        OneBlasThread one;
        ThreadPool::instance().parallel_for(2, 1, [&](int64_t m0, int64_t m1) {
          for (int64_t mod = m0; mod < m1; ++mod) {
            try {
              losses[mod] = epoch_of(static_cast<int>(mod), e);
            } catch (...) {
              errors[mod] = std::current_exception();
            }
          }
        });
      }
      for (const auto& error : errors)
        if (error) std::rethrow_exception(error);
      for (int mod = 0; mod < 2; ++mod) {
        DdashReport rep;
        rep.epoch = true;
        rep.iteration = it;
        rep.modality = mod;
        rep.epoch_index = e;
        rep.value = losses[mod];
        if (progress) progress(rep);
      }
    }
    check_training_cancelled(cancel);
    // 2. U and V of Omega.
    {
      BlasLaneGuard lane;
      for (int mod = 0; mod < 2; ++mod) {
        const MlpHash<T>& net = result.nets[mod];
        const T* X = every_item ? Xall[mod].data() : Xo[mod].data();
        out[mod].resize(static_cast<size_t>(m * r));
        std::vector<T> H;
        constexpr int64_t kRows = 4096;
        for (int64_t r0 = 0; r0 < m; r0 += kRows) {
          const int64_t rows = std::min(kRows, m - r0);
          H.resize(static_cast<size_t>(rows * net.hidden));
          mlp_forward(net, X + r0 * net.dim, rows, H.data(), out[mod].data() + r0 * r);
        }
        tanh_in_place(out[mod].data(), static_cast<int64_t>(out[mod].size()));
      }
    }
    const std::vector<T>& U = out[0];
    const std::vector<T>& V = out[1];
    // 3. B-step: H and Q, then DCC.
    if (o.keep_latent) result.latent["Wprevious"] = W;  // the mapping this B-step uses
    std::vector<T> H(static_cast<size_t>(r) * r), Q(static_cast<size_t>(nr), T(0));
    {
      BlasLaneGuard lane;
      syrk<T>(Op::T, r, static_cast<int>(m), T(1), U.data(), r, T(0), H.data(), r);
      syrk<T>(Op::T, r, static_cast<int>(m), T(1), V.data(), r, T(1), H.data(), r);
      syrk<T>(Op::T, r, static_cast<int>(c), mu, W.data(), r, T(1), H.data(), r);
      std::vector<T> P(static_cast<size_t>(m * r));
      for (int64_t i = 0; i < m * r; ++i) {
        const T s = U[i] + V[i];
        P[i] = o.sign_outputs_in_q ? (U[i] >= 0 ? T(1) : T(-1)) + (V[i] >= 0 ? T(1) : T(-1)) : s;
      }
      similarity_rows_transposed_times(S, omega.data(), m, P.data(), r, static_cast<T>(r), Q.data());
      for (int64_t a = 0; a < m; ++a) {
        T* q = Q.data() + omega[a] * r;
        for (int k = 0; k < r; ++k) q[k] += gamma * P[a * r + k];
      }
      gemm<T>(Op::N, Op::N, static_cast<int>(n), r, static_cast<int>(c), mu, L.data(), static_cast<int>(c), W.data(), r,
              T(1), Q.data(), r);
    }
    const int64_t changed =
        dcc_sweeps<T>(n, r, H.data(), Q.data(), DccLayout::items_by_bits(r), B.data(), DccLayout::items_by_bits(r),
                      o.dcc_sweeps, cancel);
    for (int64_t i = 0; i < nr; ++i) Bt[i] = B[i];
    // 4. W-step, then the sums of the new B (the next iteration's networks need them too).
    double objective = 0;
    {
      BlasLaneGuard lane;
      sums.compute(S, Bt, r);
      std::vector<T> A(sums.K);
      for (auto& a : A) a *= mu;
      for (int k = 0; k < r; ++k) A[static_cast<size_t>(k) * r + k] += static_cast<T>(o.nu);
      gemm<T>(Op::T, Op::N, r, static_cast<int>(c), static_cast<int>(n), T(1), Bt.data(), r, L.data(),
              static_cast<int>(c), T(0), BtL.data(), static_cast<int>(c));
      std::vector<T> Wt(BtL);
      for (auto& v : Wt) v *= mu;
      posv<T>(r, static_cast<int>(c), A.data(), Wt.data());
      for (int64_t j = 0; j < c; ++j)
        for (int k = 0; k < r; ++k) W[j * r + k] = Wt[static_cast<size_t>(k) * c + j];
      // The objective after this iteration (networks' terms on this Omega).
      std::vector<T> grad(static_cast<size_t>(m * r));
      for (int mod = 0; mod < 2; ++mod)
        objective += static_cast<double>(n) * ddash_batch_gradient(S, omega.data(), m, out[mod].data(), Bt.data(),
                                                                    sums.K.data(), sums.GtB.data(), sums.Bsum.data(),
                                                                    r, o.gamma, grad.data());
      std::vector<T> WK(static_cast<size_t>(c) * r);
      gemm<T>(Op::N, Op::N, static_cast<int>(c), r, r, T(1), W.data(), r, sums.K.data(), r, T(0), WK.data(), r);
      double cross = 0;
      for (int64_t j = 0; j < c; ++j)
        for (int k = 0; k < r; ++k) cross += static_cast<double>(BtL[static_cast<size_t>(k) * c + j]) * W[j * r + k];
      objective += o.mu * (squared_labels - 2 * cross + dot(WK.data(), W.data(), c * r)) +
                   o.nu * dot(W.data(), W.data(), c * r);
    }
    DdashReport rep;
    rep.iteration = it;
    rep.changed_bits = changed;
    rep.value = objective;
    result.history.push_back(rep);
    if (progress) progress(rep);
  }
  result.seconds_iterations = std::chrono::duration<double>(clock::now() - t1).count();
  if (o.keep_latent) {
    result.latent["U"] = out[0];
    result.latent["V"] = out[1];
    result.latent["omega"] = std::vector<T>(omega.begin(), omega.end());
  }
  result.W = std::move(W);
  result.B = std::move(B);
  return result;
}

#define ASCMH_DDASH(T)                                                                                              \
  template DdashResult<T> train_ddash<T>(RowSource&, RowSource&, const uint8_t*, int64_t, const DdashOptions&,     \
                                         const DdashProgress&, const CancelToken*);                                 \
  template double ddash_batch_gradient<T>(const LabelSimilarity<T>&, const int64_t*, int64_t, const T*, const T*,   \
                                          const T*, const T*, const T*, int, double, T*, DdashBatchScratch<T>*);
ASCMH_DDASH(double)
ASCMH_DDASH(float)
#undef ASCMH_DDASH

}  // namespace ascmh
