#include "train/mlp_training.h"

#include <cmath>

#include "encoders/vector_tanh.h"
#include "linalg/linalg.h"

namespace ascmh {
namespace {

template <class T>
void column_sums(const T* A, int64_t rows, int64_t cols, T* out) {
  for (int64_t j = 0; j < cols; ++j) out[j] = 0;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) out[j] += A[i * cols + j];
}

template <class T>
void zero_like(MlpGradient<T>& g, const MlpHash<T>& net) {
  g.W1.assign(net.W1.size(), T(0));
  g.b1.assign(net.b1.size(), T(0));
  g.W2.assign(net.W2.size(), T(0));
  g.b2.assign(net.b2.size(), T(0));
}

// Adam on one parameter array; decay > 0 adds decay * p to the gradient (L2).
template <class T>
void adam_update(std::vector<T>& p, const std::vector<T>& g, std::vector<T>& m, std::vector<T>& v, double decay,
                 const AdamSettings& a, double lr, double correction1, double correction2) {
  const T b1 = static_cast<T>(a.beta1), b2 = static_cast<T>(a.beta2), eps = static_cast<T>(a.epsilon);
  const T step = static_cast<T>(lr / correction1), root = static_cast<T>(1 / std::sqrt(correction2));
  const T wd = static_cast<T>(decay);
  const size_t count = p.size();
  for (size_t i = 0; i < count; ++i) {
    const T gi = g[i] + wd * p[i];
    m[i] = b1 * m[i] + (1 - b1) * gi;
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    p[i] -= step * m[i] / (std::sqrt(v[i]) * root + eps);
  }
}

}  // namespace

template <class T>
void he_initialise(MlpHash<T>& net, Rng& rng) {
  const double s1 = std::sqrt(2.0 / static_cast<double>(net.dim)), s2 = std::sqrt(2.0 / net.hidden);
  net.W1.resize(static_cast<size_t>(net.dim) * net.hidden);
  net.W2.resize(static_cast<size_t>(net.hidden) * net.bits);
  for (auto& w : net.W1) w = static_cast<T>(s1 * rng.gaussian());
  for (auto& w : net.W2) w = static_cast<T>(s2 * rng.gaussian());
  net.b1.assign(static_cast<size_t>(net.hidden), T(0));
  net.b2.assign(static_cast<size_t>(net.bits), T(0));
}

template <class T>
MlpTrainer<T>::MlpTrainer(MlpHash<T>& net, AdamSettings adam) : net_(net), adam_(adam) {
  zero_like(grad_, net);
  zero_like(m_, net);
  zero_like(v_, net);
}

template <class T>
const T* MlpTrainer<T>::forward(const T* Xs, int64_t rows) {
  Xs_ = Xs;
  rows_ = rows;
  H_.resize(static_cast<size_t>(rows * net_.hidden));
  U_.resize(static_cast<size_t>(rows * net_.bits));
  mlp_forward(net_, Xs, rows, H_.data(), U_.data());
  tanh_in_place(U_.data(), static_cast<int64_t>(U_.size()));
  return U_.data();
}

template <class T>
void MlpTrainer<T>::backward(const T* dU) {
  const int m = static_cast<int>(rows_), h = net_.hidden, r = net_.bits, d = static_cast<int>(net_.dim);
  dZ_.resize(static_cast<size_t>(rows_ * r));
  for (int64_t i = 0; i < rows_ * r; ++i) dZ_[i] = dU[i] * (1 - U_[i] * U_[i]);
  gemm<T>(Op::T, Op::N, h, r, m, T(1), H_.data(), h, dZ_.data(), r, T(0), grad_.W2.data(), r);
  column_sums(dZ_.data(), rows_, r, grad_.b2.data());
  dH_.resize(static_cast<size_t>(rows_ * h));
  gemm<T>(Op::N, Op::T, m, h, r, T(1), dZ_.data(), r, net_.W2.data(), r, T(0), dH_.data(), h);
  for (int64_t i = 0; i < rows_ * h; ++i) dH_[i] = H_[i] > 0 ? dH_[i] : T(0);  // a select: vectorises
  gemm<T>(Op::T, Op::N, d, h, m, T(1), Xs_, d, dH_.data(), h, T(0), grad_.W1.data(), h);
  column_sums(dH_.data(), rows_, h, grad_.b1.data());
}

template <class T>
void MlpTrainer<T>::adam_step(double lr) {
  ++steps_;
  const double c1 = 1 - std::pow(adam_.beta1, static_cast<double>(steps_));
  const double c2 = 1 - std::pow(adam_.beta2, static_cast<double>(steps_));
  adam_update(net_.W1, grad_.W1, m_.W1, v_.W1, adam_.weight_decay, adam_, lr, c1, c2);
  adam_update(net_.b1, grad_.b1, m_.b1, v_.b1, 0.0, adam_, lr, c1, c2);
  adam_update(net_.W2, grad_.W2, m_.W2, v_.W2, adam_.weight_decay, adam_, lr, c1, c2);
  adam_update(net_.b2, grad_.b2, m_.b2, v_.b2, 0.0, adam_, lr, c1, c2);
}

template void he_initialise<double>(MlpHash<double>&, Rng&);
template void he_initialise<float>(MlpHash<float>&, Rng&);
template class MlpTrainer<double>;
template class MlpTrainer<float>;

}  // namespace ascmh
