#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/codes.h"
#include "search/kernels.h"
#include "core/thread_pool.h"

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

// Branch-free: relevance is close to a coin flip, and a mispredicted branch per item cost more
// than the rest of the AP pass.
inline int shares_label(const uint64_t* a, const uint64_t* b, int words) {
  uint64_t any = 0;
  for (int w = 0; w < words; ++w) any |= a[w] & b[w];
  return any != 0;
}

// AP of one query, or NaN when it has no relevant item and those are skipped. One pass numbers
// every item within its distance bucket (its rank is then items-closer + that number) and keeps
// (distance, number) for the relevant ones only, without branches; ranks need the bucket totals,
// so the relevant items are scored in a second, shorter pass.
struct ApScratch {
  std::vector<uint16_t> dist, rel_dist;
  std::vector<uint32_t> rel_pos;
};

// First AP pass: count[d + 1] / rel_count[d + 1] become the bucket totals; for the relevant
// items, in database order, their distance and their number within the bucket. Raw pointers and
// a one-word label fast path keep the loop in registers.
template <bool OneWord>
int64_t number_items(const uint16_t* dist, const uint64_t* query_labels, const uint64_t* labels, int label_words,
                     int64_t N, int64_t* count, int64_t* rel_count, uint16_t* rel_dist, uint32_t* rel_pos) {
  const uint64_t q0 = query_labels[0];
  int64_t nrel = 0;
  for (int64_t i = 0; i < N; ++i) {
    const int d = dist[i];
    const int64_t in_bucket = ++count[d + 1];
    const int r = OneWord ? (q0 & labels[i]) != 0 : shares_label(query_labels, labels + i * label_words, label_words);
    rel_count[d + 1] += r;
    rel_dist[nrel] = static_cast<uint16_t>(d);
    rel_pos[nrel] = static_cast<uint32_t>(in_bucket);
    nrel += r;
  }
  return nrel;
}

double average_precision(const uint64_t* query, const uint64_t* query_labels, const RetrievalSet& db,
                         const MapOptions& o, ApScratch& w) {
  const int bits = o.bits;
  const int64_t N = db.count;
  const int64_t top = o.top > 0 && o.top < N ? o.top : N;
  hamming_dist_kernel(bits)(query, db.codes, N, words_per_code(bits), w.dist.data());
  std::vector<int64_t> count(bits + 2, 0), rel_count(bits + 2, 0);
  const int64_t nrel =
      o.label_words == 1
          ? number_items<true>(w.dist.data(), query_labels, db.labels, 1, N, count.data(), rel_count.data(),
                               w.rel_dist.data(), w.rel_pos.data())
          : number_items<false>(w.dist.data(), query_labels, db.labels, o.label_words, N, count.data(),
                                rel_count.data(), w.rel_dist.data(), w.rel_pos.data());
  if (nrel == 0) return o.skip_without_relevant ? std::numeric_limits<double>::quiet_NaN() : 0.0;
  // count[d] becomes the number of items at distance < d, likewise for relevant items.
  for (int d = 1; d <= bits + 1; ++d) {
    count[d] += count[d - 1];
    rel_count[d] += rel_count[d - 1];
  }
  double sum = 0;
  int64_t hits = 0;
  for (int64_t j = 0; j < nrel; ++j) {
    const int d = w.rel_dist[j];
    const int64_t rank = count[d] + w.rel_pos[j];
    const int64_t rel_rank = ++rel_count[d];  // relevant items ranked before it, plus itself
    if (rank <= top) {
      sum += static_cast<double>(rel_rank) / static_cast<double>(rank);
      ++hits;
    }
  }
  return hits ? sum / static_cast<double>(hits) : 0.0;
}

}  // namespace

MapResult mean_average_precision(const RetrievalSet& queries, const RetrievalSet& database, const MapOptions& o,
                                 const CancelToken* cancel) {
  MapResult result;
  result.ap.assign(static_cast<size_t>(queries.count), 0.0);
  const int words = words_per_code(o.bits);
  ThreadPool::instance().parallel_for(queries.count, 8, [&](int64_t b, int64_t e) {
    if (is_cancelled(cancel)) return;  // before the scratch is allocated
    ApScratch w;
    w.dist.resize(static_cast<size_t>(database.count));
    w.rel_dist.resize(static_cast<size_t>(database.count));
    w.rel_pos.resize(static_cast<size_t>(database.count));
    for (int64_t q = b; q < e && !is_cancelled(cancel); ++q)
      result.ap[q] = average_precision(queries.codes + q * words, queries.labels + q * o.label_words, database, o, w);
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

// ---- top-N and radius precision / recall ------------------------------------------------------

namespace ascmh {
namespace {

// Per-query distances, relevance, and per-distance counts of all and of relevant items.
struct QueryScan {
  std::vector<uint16_t> dist;
  std::vector<uint8_t> rel;
  std::vector<int64_t> count, rel_count;  // indexed by distance
  int64_t relevant = 0;

  void run(const uint64_t* query, const uint64_t* query_labels, const RetrievalSet& db, const MapOptions& o) {
    const int64_t N = db.count;
    dist.resize(static_cast<size_t>(N));
    rel.resize(static_cast<size_t>(N));
    count.assign(static_cast<size_t>(o.bits) + 1, 0);
    rel_count.assign(static_cast<size_t>(o.bits) + 1, 0);
    hamming_dist_kernel(o.bits)(query, db.codes, N, words_per_code(o.bits), dist.data());
    relevant = o.label_words == 1 ? tally<true>(query_labels, db, o.label_words) : tally<false>(query_labels, db, o.label_words);
  }

  // Raw pointers and a one-word label fast path keep the loop in registers.
  template <bool OneWord>
  int64_t tally(const uint64_t* query_labels, const RetrievalSet& db, int label_words) {
    const uint16_t* d = dist.data();
    uint8_t* r = rel.data();
    int64_t* c = count.data();
    int64_t* rc = rel_count.data();
    const uint64_t q0 = query_labels[0];
    int64_t total = 0;
    for (int64_t i = 0; i < db.count; ++i) {
      const int x = OneWord ? (q0 & db.labels[i]) != 0
                            : shares_label(query_labels, db.labels + i * label_words, label_words);
      r[i] = static_cast<uint8_t>(x);
      ++c[d[i]];
      rc[d[i]] += x;
      total += x;
    }
    return total;
  }
};

// Sums per-query rows in query order, so the result does not depend on thread scheduling.
void mean_rows(const std::vector<double>& rows, const std::vector<uint8_t>& use, int64_t queries, size_t width,
               std::vector<double>& mean, std::vector<int64_t>* counted) {
  mean.assign(width, 0.0);
  std::vector<int64_t> n(width, 0);
  for (int64_t q = 0; q < queries; ++q) {
    if (!use[q]) continue;
    for (size_t j = 0; j < width; ++j) {
      const double v = rows[q * width + j];
      if (std::isnan(v)) continue;
      mean[j] += v;
      ++n[j];
    }
  }
  for (size_t j = 0; j < width; ++j) mean[j] = n[j] ? mean[j] / static_cast<double>(n[j]) : std::numeric_limits<double>::quiet_NaN();
  if (counted) *counted = n;
}

}  // namespace

TopNResult precision_recall_at_n(const RetrievalSet& queries, const RetrievalSet& database, const MapOptions& o,
                                 const std::vector<int64_t>& ns, const CancelToken* cancel) {
  const size_t G = ns.size();
  const int words = words_per_code(o.bits);
  const int64_t N = database.count;
  std::vector<double> prec(static_cast<size_t>(queries.count) * G), rec(prec.size());
  std::vector<uint8_t> use(static_cast<size_t>(queries.count), 1);
  ThreadPool::instance().parallel_for(queries.count, 8, [&](int64_t b, int64_t e) {
    if (is_cancelled(cancel)) return;
    QueryScan s;
    std::vector<int64_t> below(static_cast<size_t>(o.bits) + 2), rel_below(below.size());
    // need[d]: (items wanted at distance d, grid index), for the grid points whose list ends inside d.
    std::vector<std::vector<std::pair<int64_t, size_t>>> need(static_cast<size_t>(o.bits) + 1);
    std::vector<int64_t> seen(static_cast<size_t>(o.bits) + 1), seen_rel(seen.size());
    std::vector<size_t> next(seen.size());
    std::vector<int64_t> rel_top(G);
    for (int64_t q = b; q < e && !is_cancelled(cancel); ++q) {
      s.run(queries.codes + q * words, queries.labels + q * o.label_words, database, o);
      if (s.relevant == 0 && o.skip_without_relevant) {
        use[q] = 0;
        continue;
      }
      below[0] = rel_below[0] = 0;
      for (int d = 0; d <= o.bits; ++d) {
        below[d + 1] = below[d] + s.count[d];
        rel_below[d + 1] = rel_below[d] + s.rel_count[d];
      }
      for (auto& v : need) v.clear();
      for (size_t g = 0; g < G; ++g) {
        const int64_t m = std::min(ns[g], N);
        // The m-th ranked item lies at distance D: below[D] < m <= below[D + 1].
        int D = static_cast<int>(std::upper_bound(below.begin(), below.end(), m - 1) - below.begin()) - 1;
        rel_top[g] = rel_below[D];
        if (m - below[D] == s.count[D]) rel_top[g] += s.rel_count[D];
        else need[D].push_back({m - below[D], g});
      }
      bool pending = false;
      for (auto& v : need) {
        std::sort(v.begin(), v.end());
        pending |= !v.empty();
      }
      if (pending) {
        // Relevant items among the first m items at distance D, in database order.
        std::fill(seen.begin(), seen.end(), 0);
        std::fill(seen_rel.begin(), seen_rel.end(), 0);
        std::fill(next.begin(), next.end(), 0);
        for (int64_t i = 0; i < N; ++i) {
          const int d = s.dist[i];
          auto& v = need[d];
          if (next[d] == v.size()) continue;
          ++seen[d];
          seen_rel[d] += s.rel[i];
          while (next[d] < v.size() && v[next[d]].first == seen[d]) rel_top[v[next[d]++].second] += seen_rel[d];
        }
      }
      for (size_t g = 0; g < G; ++g) {
        const int64_t m = std::min(ns[g], N);
        prec[q * G + g] = static_cast<double>(rel_top[g]) / static_cast<double>(m);
        rec[q * G + g] = s.relevant ? static_cast<double>(rel_top[g]) / static_cast<double>(s.relevant) : 0.0;
      }
    }
  });
  check_cancelled(cancel);
  TopNResult r;
  for (uint8_t u : use) r.evaluated += u;
  mean_rows(prec, use, queries.count, G, r.precision, nullptr);
  mean_rows(rec, use, queries.count, G, r.recall, nullptr);
  return r;
}

RadiusCurve precision_recall_by_radius(const RetrievalSet& queries, const RetrievalSet& database,
                                       const MapOptions& o, const CancelToken* cancel) {
  const size_t R = static_cast<size_t>(o.bits) + 1;
  const int words = words_per_code(o.bits);
  std::vector<double> prec(static_cast<size_t>(queries.count) * R), rec(prec.size());
  std::vector<uint8_t> use(static_cast<size_t>(queries.count), 1);
  ThreadPool::instance().parallel_for(queries.count, 8, [&](int64_t b, int64_t e) {
    if (is_cancelled(cancel)) return;
    QueryScan s;
    for (int64_t q = b; q < e && !is_cancelled(cancel); ++q) {
      s.run(queries.codes + q * words, queries.labels + q * o.label_words, database, o);
      if (s.relevant == 0 && o.skip_without_relevant) {
        use[q] = 0;
        continue;
      }
      int64_t got = 0, got_rel = 0;
      for (size_t r = 0; r < R; ++r) {
        got += s.count[r];
        got_rel += s.rel_count[r];
        prec[q * R + r] = got ? static_cast<double>(got_rel) / static_cast<double>(got)
                              : std::numeric_limits<double>::quiet_NaN();
        rec[q * R + r] = s.relevant ? static_cast<double>(got_rel) / static_cast<double>(s.relevant) : 0.0;
      }
    }
  });
  check_cancelled(cancel);
  RadiusCurve c;
  for (uint8_t u : use) c.evaluated += u;
  mean_rows(prec, use, queries.count, R, c.precision, &c.precision_queries);
  mean_rows(rec, use, queries.count, R, c.recall, nullptr);
  return c;
}

}  // namespace ascmh
