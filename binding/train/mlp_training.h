// Training of the hash network of encoders/mlp_hash.h on mini-batches: He initialisation, the
// forward pass with its activations kept, back-propagation from dJ/dU (U = tanh(Z)), and Adam with
// L2 weight decay on the weight matrices (not the biases). Every product is a GEMM:
//   forward   H = relu(X_s W1 + 1 b1^T), Z = H W2 + 1 b2^T, U = tanh(Z)
//   backward  dZ = dU .* (1 - U^2); dW2 = H^T dZ; db2 = dZ^T 1; dH = (dZ W2^T) .* [H > 0];
//             dW1 = X_s^T dH; db1 = dH^T 1
// The caller holds the BLAS lane around forward and backward.
#pragma once
#include <cstdint>
#include <vector>

#include "core/random.h"
#include "encoders/mlp_hash.h"

namespace ascmh {

struct AdamSettings {
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  double weight_decay = 1e-4;  // added to the gradient of W1 and W2 as weight_decay * W
};

// W1 ~ N(0, 2 / dim), W2 ~ N(0, 2 / hidden) (He), biases 0, drawn from `rng`.
template <class T>
void he_initialise(MlpHash<T>& net, Rng& rng);

template <class T>
struct MlpGradient {
  std::vector<T> W1, b1, W2, b2;
};

template <class T>
class MlpTrainer {
 public:
  MlpTrainer(MlpHash<T>& net, AdamSettings adam);

  // U = tanh(Z) of a batch of standardised rows (rows x dim), activations kept for backward.
  const T* forward(const T* Xs, int64_t rows);
  // The gradient of the parameters from dJ/dU (rows x bits) of the last forward batch (weight
  // decay not included), into `gradient()`.
  void backward(const T* dU);
  // One Adam step with the last gradient (plus weight decay) at learning rate lr.
  void adam_step(double lr);

  const MlpGradient<T>& gradient() const { return grad_; }

 private:
  MlpHash<T>& net_;
  AdamSettings adam_;
  int64_t steps_ = 0, rows_ = 0;
  const T* Xs_ = nullptr;
  std::vector<T> H_, U_, dZ_, dH_;
  MlpGradient<T> grad_, m_, v_;
};

}  // namespace ascmh
