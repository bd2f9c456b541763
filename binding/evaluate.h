// Retrieval metrics over packed codes and packed label bitsets (method page, "Retrieval and
// evaluation"): ranking by ascending Hamming distance, ties by ascending database index; relevant
// = shares a label. Each query costs O(N): ranks come from per-distance counts, never a sort.
#pragma once
#include <cstdint>
#include <vector>

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

MapResult mean_average_precision(const RetrievalSet& queries, const RetrievalSet& database, const MapOptions& options);

// Packs a row-major 0/1 matrix (rows x cols bytes) into rows x words_per_code(cols) words.
std::vector<uint64_t> pack_label_rows(const uint8_t* labels, int64_t rows, int64_t cols);

}  // namespace ascmh
