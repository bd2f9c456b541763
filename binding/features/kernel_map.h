// The kernel component every kernel-based method shares (issue 13): RBF features on training
// anchors, configured per method and persisted with the model (the RbfKernel it returns).
//   - anchors per modality, drawn without replacement from the training rows (or given);
//   - the sigma rule (features/kernel_features.h: mean distance as ASCMH, mean squared distance
//     as BATCH and SCRATCH) and a width multiplying it;
//   - optional centring of the raw features on their training mean first (SCRATCH's Main_Wiki.m),
//     kept in the kernel as input_mean so queries are centred the same way;
//   - the training mean of the features subtracted (kept as kernel.mean), optionally twice
//     (SCRATCH: Kernelize.m centres and Main_Wiki.m centres again; the model keeps the sum).
// The zero threshold of the sign belongs to the encoder (encoders/kernel_hash.h).
#pragma once
#include <cstdint>
#include <vector>

#include "core/cancel.h"
#include "core/random.h"
#include "core/row_source.h"
#include "features/kernel_features.h"

namespace ascmh {

struct KernelSpec {
  int64_t anchors = 500;
  SigmaRule rule = SigmaRule::mean_distance;
  double width = 1;
  bool centre_inputs = false;
  bool centre_twice = false;
  bool subtract_mean = true;  // false: the caller centres (ASCMH centres both modalities at once)
};

// The features of every training row of X into out (row i at out + i * ldo, k columns), and the
// fitted kernel. `anchors` (row indices, may be null) replaces the random draw; rng is then used
// only where the rule samples (mean_distance's sigma sample). The rows are read block by block,
// never while the BLAS lane is held; each block is checked for non-finite values (named `name`).
template <class T>
RbfKernel<T> fit_kernel_map(RowSource& X, const KernelSpec& spec, Rng& rng, const std::vector<int64_t>* anchors,
                            T* out, int64_t ldo, const char* name, const CancelToken* cancel);

// Column means of rows x cols at ld, in double, summed in fixed-size parts added in order (the
// result does not depend on the thread count).
template <class T>
std::vector<double> column_means(const T* X, int64_t rows, int64_t cols, int64_t ld);

}  // namespace ascmh
