#include "eval/asymmetric_metrics.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/codes.h"
#include "core/thread_pool.h"
#include "search/asymmetric.h"

namespace ascmh {
namespace {

// A key that orders scores descending as unsigned integers (scores are never -0 or NaN).
inline uint32_t descending_key(float score) {
  uint32_t u;
  std::memcpy(&u, &score, 4);
  const uint32_t ascending = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
  return ~ascending;
}

struct Scratch {
  std::vector<float> lut, score;
  std::vector<uint32_t> key, key2, order, order2;
  std::vector<uint32_t> count;
};

// order = 0..N-1 sorted by key, stably (equal keys keep ascending index): LSD radix, 11 bits a pass.
void rank_by_key(Scratch& w, int64_t N) {
  constexpr int kBits = 11, kBuckets = 1 << kBits;
  w.order.resize(static_cast<size_t>(N));
  w.order2.resize(w.order.size());
  w.key2.resize(w.order.size());
  w.count.resize(kBuckets);
  for (int64_t i = 0; i < N; ++i) w.order[i] = static_cast<uint32_t>(i);
  for (int shift = 0; shift < 32; shift += kBits) {
    std::fill(w.count.begin(), w.count.end(), 0u);
    for (int64_t i = 0; i < N; ++i) ++w.count[(w.key[i] >> shift) & (kBuckets - 1)];
    uint32_t sum = 0;
    for (uint32_t& c : w.count) {
      const uint32_t n = c;
      c = sum;
      sum += n;
    }
    for (int64_t i = 0; i < N; ++i) {
      const uint32_t at = w.count[(w.key[i] >> shift) & (kBuckets - 1)]++;
      w.order2[at] = w.order[i];
      w.key2[at] = w.key[i];
    }
    w.order.swap(w.order2);
    w.key.swap(w.key2);
  }
}

inline bool shares_label(const uint64_t* a, const uint64_t* b, int words) {
  uint64_t any = 0;
  for (int x = 0; x < words; ++x) any |= a[x] & b[x];
  return any != 0;
}

double average_precision(const double* projection, const uint64_t* query_labels, const RetrievalSet& db,
                         const MapOptions& o, Scratch& w) {
  const int64_t N = db.count;
  const int64_t top = o.top > 0 && o.top < N ? o.top : N;
  build_score_lut(projection, o.bits, w.lut.data());
  score_kernel(o.bits)(w.lut.data(), db.codes, N, words_per_code(o.bits), lut_bytes(o.bits), w.score.data());
  w.key.resize(static_cast<size_t>(N));
  for (int64_t i = 0; i < N; ++i) w.key[i] = descending_key(w.score[i]);
  rank_by_key(w, N);
  int64_t relevant = 0, hits = 0;
  double sum = 0;
  for (int64_t r = 0; r < N; ++r) {
    const int64_t i = w.order[r];
    if (!shares_label(query_labels, db.labels + i * o.label_words, o.label_words)) continue;
    ++relevant;
    if (r < top) {
      sum += static_cast<double>(relevant) / static_cast<double>(r + 1);
      ++hits;
    }
  }
  if (relevant == 0) return o.skip_without_relevant ? std::numeric_limits<double>::quiet_NaN() : 0.0;
  return hits ? sum / static_cast<double>(hits) : 0.0;
}

}  // namespace

MapResult mean_average_precision_asymmetric(const ProjectionQueries& queries, const RetrievalSet& database,
                                            const MapOptions& o, const CancelToken* cancel) {
  MapResult result;
  result.ap.assign(static_cast<size_t>(queries.count), 0.0);
  ThreadPool::instance().parallel_for(queries.count, 8, [&](int64_t b, int64_t e) {
    if (is_cancelled(cancel)) return;  // before the scratch is allocated
    Scratch w;
    w.lut.resize(static_cast<size_t>(lut_floats(o.bits)));
    w.score.resize(static_cast<size_t>(database.count));
    for (int64_t q = b; q < e && !is_cancelled(cancel); ++q)
      result.ap[q] = average_precision(queries.projections + q * o.bits, queries.labels + q * o.label_words, database, o, w);
  });
  check_cancelled(cancel);
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
