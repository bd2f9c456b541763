// Exact top-k and radius search over a Snapshot (index/snapshot.h) with the kernels of search/.
#pragma once
#include <cstdint>
#include <vector>

#include "core/buffer_pool.h"
#include "core/cancel.h"
#include "index/snapshot.h"

namespace ascmh {

// Results in pooled buffers (core/buffer_pool.h), so a search writes into warm memory.
struct SearchOutput {
  int64_t queries = 0;
  int64_t k = 0;                  // results per query (top-k search)
  std::vector<int64_t> offsets;   // queries + 1 entries (radius search)
  PooledArray<int64_t> ids;
  PooledArray<uint16_t> distances;
};

// Top-k: k results per query (k capped at the live size), by (distance, insertion order). The
// caller checks that count * k results fit in memory (core/memory_limit.h).
SearchOutput search_topk(const Snapshot& s, const uint64_t* queries, int64_t count, int64_t k, int threads,
                         const CancelToken* cancel = nullptr);
// search_topk with snapshot positions in `ids` (for a second stage that reads the codes).
SearchOutput search_topk_positions(const Snapshot& s, const uint64_t* queries, int64_t count, int64_t k, int threads,
                                   const CancelToken* cancel = nullptr);
// Every item within radius (at most limit per query, the first in the same order). Throws
// ERR_ASCMH_TOO_LARGE as soon as the results outgrow the memory limit.
SearchOutput search_radius(const Snapshot& s, const uint64_t* queries, int64_t count, int radius, int64_t limit,
                           int threads, const CancelToken* cancel = nullptr);

}  // namespace ascmh
