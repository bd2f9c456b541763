// Retrieval metrics over packed codes and packed label bitsets (method page, "Retrieval and
// evaluation"): ranking by ascending Hamming distance, ties by ascending database index; relevant
// = shares a label. Each query costs O(N): ranks come from per-distance counts, never a sort.
#pragma once
#include <cstdint>
#include <vector>

#include "core/cancel.h"

namespace ascmh {

struct RetrievalSet {
  const uint64_t* codes = nullptr;   // count x code_words
  const uint64_t* labels = nullptr;  // count x label_words
  int64_t count = 0;
};

struct MapOptions {
  int bits = 0;
  int label_words = 1;
  int64_t top = 0;                 // mAP@top; 0 = all
  bool skip_without_relevant = false;
};

struct MapResult {
  double map = 0;
  std::vector<double> ap;          // per query; NaN for a skipped query
  int64_t evaluated = 0;           // queries that count in the mean
};

// cancel (may be null) is checked between queries; a cancelled call throws ERR_ASCMH_CANCELLED.
MapResult mean_average_precision(const RetrievalSet& queries, const RetrievalSet& database, const MapOptions& options,
                                 const CancelToken* cancel = nullptr);

// Precision and recall of the top N of each query's ranking, for every N in ns (N >= 1; a list
// longer than the database is the whole database, so precision divides by min(N, count)). Means
// over queries; a query without relevant items has recall 0, or is left out with
// skip_without_relevant.
struct TopNResult {
  std::vector<double> precision, recall;  // one per N
  int64_t evaluated = 0;
};
TopNResult precision_recall_at_n(const RetrievalSet& queries, const RetrievalSet& database, const MapOptions& options,
                                 const std::vector<int64_t>& ns, const CancelToken* cancel = nullptr);

// Precision and recall of the items within Hamming radius r, for r = 0..bits. precision[r] is the
// mean over the queries that retrieve at least one item at that radius (NaN when none does);
// recall[r] the mean over evaluated queries as above.
struct RadiusCurve {
  std::vector<double> precision, recall;
  std::vector<int64_t> precision_queries;  // queries counted in precision[r]
  int64_t evaluated = 0;
};
RadiusCurve precision_recall_by_radius(const RetrievalSet& queries, const RetrievalSet& database,
                                       const MapOptions& options, const CancelToken* cancel = nullptr);

// Packs a row-major 0/1 matrix (rows x cols bytes) into rows x words_per_code(cols) words.
std::vector<uint64_t> pack_label_rows(const uint8_t* labels, int64_t rows, int64_t cols);

}  // namespace ascmh
