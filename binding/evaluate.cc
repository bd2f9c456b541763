#include "evaluate.h"

#include <cmath>
#include <limits>

#include "codes.h"
#include "popcount.h"
#include "thread_pool.h"

namespace ascmh {

std::vector<uint64_t> pack_label_rows(const uint8_t* labels, int64_t rows, int64_t cols) {
  const int words = words_per_code(static_cast<int>(cols));
  std::vector<uint64_t> packed(static_cast<size_t>(rows * words), 0);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      if (labels[i * cols + j]) set_code_bit(packed.data() + i * words, static_cast<int>(j));
  return packed;
}

namespace {

bool shares_label(const uint64_t* a, const uint64_t* b, int words) {
  for (int w = 0; w < words; ++w)
    if (a[w] & b[w]) return true;
  return false;
}

// AP of one query, or NaN when it has no relevant item and those are skipped.
double average_precision(const uint64_t* query, const uint64_t* query_labels, const RetrievalSet& db,
                         const MapOptions& o, std::vector<uint16_t>& dist, std::vector<uint8_t>& rel) {
  const int words = words_per_code(o.bits), bits = o.bits;
  const int64_t N = db.count;
  const int64_t top = o.top > 0 && o.top < N ? o.top : N;
  hamming_row()(query, db.codes, N, words, dist.data());
  std::vector<int64_t> count(bits + 2, 0), rel_count(bits + 2, 0);
  int64_t relevant_total = 0;
  for (int64_t i = 0; i < N; ++i) {
    rel[i] = shares_label(query_labels, db.labels + i * o.label_words, o.label_words);
    ++count[dist[i] + 1];
    rel_count[dist[i] + 1] += rel[i];
    relevant_total += rel[i];
  }
  if (relevant_total == 0) return o.skip_without_relevant ? std::numeric_limits<double>::quiet_NaN() : 0.0;
  // count[d] becomes the number of items at distance < d, likewise for relevant items.
  for (int d = 1; d <= bits + 1; ++d) {
    count[d] += count[d - 1];
    rel_count[d] += rel_count[d - 1];
  }
  std::vector<int64_t> seen(bits + 1, 0), seen_rel(bits + 1, 0);
  double sum = 0;
  int64_t hits = 0;
  for (int64_t i = 0; i < N; ++i) {
    const int d = dist[i];
    const int64_t rank = count[d] + ++seen[d];
    if (!rel[i]) continue;
    const int64_t rel_rank = rel_count[d] + ++seen_rel[d];
    if (rank <= top) {
      sum += static_cast<double>(rel_rank) / static_cast<double>(rank);
      ++hits;
    }
  }
  return hits ? sum / static_cast<double>(hits) : 0.0;
}

}  // namespace

MapResult mean_average_precision(const RetrievalSet& queries, const RetrievalSet& database, const MapOptions& o) {
  MapResult result;
  result.ap.assign(static_cast<size_t>(queries.count), 0.0);
  const int words = words_per_code(o.bits);
  ThreadPool::instance().parallel_for(queries.count, 8, [&](int64_t b, int64_t e) {
    std::vector<uint16_t> dist(static_cast<size_t>(database.count));
    std::vector<uint8_t> rel(static_cast<size_t>(database.count));
    for (int64_t q = b; q < e; ++q)
      result.ap[q] = average_precision(queries.codes + q * words, queries.labels + q * o.label_words, database, o,
                                       dist, rel);
  });
  double sum = 0;
  for (double ap : result.ap)
    if (!std::isnan(ap)) {
      sum += ap;
      ++result.evaluated;
    }
  result.map = result.evaluated ? sum / static_cast<double>(result.evaluated) : 0.0;
  return result;
}

}  // namespace ascmh
