// Asymmetric top-k over a Snapshot (index/snapshot.h): real-valued query projections scored
// against the packed codes with the lookup-table kernels of search/asymmetric.h, highest score
// first, ties in insertion order. Either a full scan, or a re-ranking of each query's Hamming
// top candidates (the Hamming-nearest items of the projection's sign), re-scored.
#pragma once
#include <cstdint>

#include "core/buffer_pool.h"
#include "core/cancel.h"
#include "index/snapshot.h"

namespace ascmh {

struct AsymmetricOutput {
  int64_t queries = 0;
  int64_t k = 0;  // results per query
  PooledArray<int64_t> ids;
  PooledArray<float> scores;
};

struct AsymmetricQuery {
  const double* projections = nullptr;  // count x bits, finite, sum of |p| of a row within float range
  int64_t count = 0;
  int64_t k = 0;
  // 0: score every item. Otherwise the `rerank` Hamming-nearest items of each query's sign code
  // (bit j set where p_j >= 0, or p_j > 0 when `strict`) are re-scored; rerank >= k.
  int64_t rerank = 0;
  bool strict = false;
  int threads = 0;
};

// k results per query (k capped at the live size). The caller checks that the results (and the
// re-ranking candidates) fit in memory.
AsymmetricOutput search_asymmetric(const Snapshot& s, const AsymmetricQuery& query, const CancelToken* cancel = nullptr);

// The sign codes of count projections (count x words_per_code(bits) words).
void projection_signs(const double* projections, int64_t count, int bits, bool strict, uint64_t* codes);

}  // namespace ascmh
