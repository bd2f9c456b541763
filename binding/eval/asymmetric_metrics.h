// mAP under asymmetric ranking: each query is a real-valued projection (one value per bit), the
// database items are ranked by descending score sum_j p_j * (bit_j ? +1 : -1) (the kernels of
// search/asymmetric.h), ties by ascending database index; relevant = shares a label, as in
// eval/metrics.h.
#pragma once
#include <cstdint>

#include "core/cancel.h"
#include "eval/metrics.h"

namespace ascmh {

struct ProjectionQueries {
  const double* projections = nullptr;  // count x bits
  const uint64_t* labels = nullptr;     // count x label_words
  int64_t count = 0;
};

MapResult mean_average_precision_asymmetric(const ProjectionQueries& queries, const RetrievalSet& database,
                                            const MapOptions& options, const CancelToken* cancel = nullptr);

}  // namespace ascmh
