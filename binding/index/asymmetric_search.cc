#include "index/asymmetric_search.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/codes.h"
#include "core/thread_pool.h"
#include "index/ranges.h"
#include "index/search.h"
#include "search/asymmetric.h"
#include "search/kernels.h"
#include "search/score_topk.h"

namespace ascmh {

void projection_signs(const double* projections, int64_t count, int bits, bool strict, uint64_t* codes) {
  const int words = words_per_code(bits);
  std::memset(codes, 0, sizeof(uint64_t) * static_cast<size_t>(count * words));
  for (int64_t q = 0; q < count; ++q) {
    const double* p = projections + q * bits;
    for (int j = 0; j < bits; ++j)
      if (strict ? p[j] > 0 : p[j] >= 0) set_code_bit(codes + q * words, j);
  }
}

namespace {

struct Scored {
  float score;
  int64_t pos;
};
// Higher score first, then the earlier position (insertion order).
inline bool better(const Scored& a, const Scored& b) { return a.score > b.score || (a.score == b.score && a.pos < b.pos); }

// Per-query lookup tables for queries q0..q1-1, into luts (rows of lut_floats(bits)).
void build_luts(const AsymmetricQuery& in, int bits, int64_t q0, int64_t q1, std::vector<float>& luts) {
  const size_t size = static_cast<size_t>(lut_floats(bits));
  luts.resize(size * static_cast<size_t>(q1 - q0));
  for (int64_t q = q0; q < q1; ++q) build_score_lut(in.projections + q * bits, bits, luts.data() + (q - q0) * size);
}

// Offers the live items of `ranges` to tops[0..q1-q0) for queries q0..q1-1 (their tables in luts):
// the queries of a group score one L2-sized piece of the database before the next is read.
void scan_ranges(const Snapshot& s, ScoreScanFn scan, const float* luts, int64_t q0, int64_t q1,
                 const std::vector<Range>& ranges, ScoreTopK* tops, const CancelToken* cancel) {
  const int words = s.words, bytes = lut_bytes(s.bits);
  const size_t lut_size = static_cast<size_t>(lut_floats(s.bits));
  const int64_t piece = hamming_chunk_items(words);
  for (const Range& r : ranges) {
    const ChunkView& v = s.chunks[r.slot];
    const int64_t base = static_cast<int64_t>(r.slot) << kChunkBits;
    const uint64_t* codes = v.data->codes.data();
    const uint64_t* dead = v.dead ? v.dead->data() : nullptr;
    for (int64_t q = q0; q < q1; ++q) tops[q - q0].set_dead(dead, base);
    for (int64_t c = r.begin; c < r.end; c += piece) {
      if (is_cancelled(cancel)) return;
      const int64_t len = std::min(piece, r.end - c);
      for (int64_t q = q0; q < q1; ++q)
        scan(luts + (q - q0) * lut_size, codes + c * words, len, words, bytes, base + c, tops[q - q0]);
    }
  }
}

// Every item scored: groups of queries per task, or, with fewer queries than threads, the
// database split into one run per thread and the runs' answers merged.
void full_scan(const Snapshot& s, const AsymmetricQuery& in, AsymmetricOutput& out, const CancelToken* cancel) {
  const ScoreScanFn scan = score_scan_kernel(s.bits);
  ThreadPool& pool = ThreadPool::instance();
  const int64_t workers = in.threads > 0 ? std::min(in.threads, pool.concurrency()) : pool.concurrency();
  const std::vector<Range> all = live_ranges(s);
  const int64_t count = in.count, k = out.k;
  const int64_t lut_bytes_per_query = lut_floats(s.bits) * 4;
  if (count >= workers || s.live < 4096 * workers) {
    // A group's tables stay within 256 KiB, beside the piece of database it scans.
    const int64_t fit = std::max<int64_t>(1, (int64_t(256) << 10) / lut_bytes_per_query);
    const int64_t group = std::max<int64_t>(1, std::min<int64_t>({32, fit, (count + workers - 1) / workers}));
    const int64_t groups = (count + group - 1) / group;
    pool.parallel_for(groups, 1, [&](int64_t g0, int64_t g1) {
      if (is_cancelled(cancel)) return;
      std::vector<ScoreTopK> tops(static_cast<size_t>(group));
      std::vector<float> luts;
      for (int64_t g = g0; g < g1; ++g) {
        const int64_t q0 = g * group, q1 = std::min(count, q0 + group);
        build_luts(in, s.bits, q0, q1, luts);
        for (int64_t q = q0; q < q1; ++q) tops[q - q0].reset(k);
        scan_ranges(s, scan, luts.data(), q0, q1, all, tops.data(), cancel);
        if (is_cancelled(cancel)) return;
        for (int64_t q = q0; q < q1; ++q) tops[q - q0].finish(out.ids.data() + q * k, out.scores.data() + q * k);
      }
    }, static_cast<int>(workers));
    return;
  }
  const int64_t parts = workers;
  const std::vector<std::vector<Range>> runs = split_ranges(all, parts);
  std::vector<float> luts;
  build_luts(in, s.bits, 0, count, luts);
  const size_t lut_size = static_cast<size_t>(lut_bytes_per_query / 4);
  std::vector<std::vector<int64_t>> pos(static_cast<size_t>(count * parts));
  std::vector<std::vector<float>> score(pos.size());
  pool.parallel_for(count * parts, 1, [&](int64_t t0, int64_t t1) {
    ScoreTopK top;
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t q = t / parts, part = t % parts;
      top.reset(k);
      scan_ranges(s, scan, luts.data() + q * lut_size, 0, 1, runs[static_cast<size_t>(part)], &top, cancel);
      if (is_cancelled(cancel)) return;
      top.finish(pos[t], score[t]);
    }
  }, static_cast<int>(workers));
  if (is_cancelled(cancel)) return;
  std::vector<Scored> merged;
  for (int64_t q = 0; q < count; ++q) {
    merged.clear();
    for (int64_t part = 0; part < parts; ++part)
      for (size_t j = 0; j < pos[q * parts + part].size(); ++j) merged.push_back({score[q * parts + part][j], pos[q * parts + part][j]});
    const size_t n = static_cast<size_t>(std::min<int64_t>(k, static_cast<int64_t>(merged.size())));
    std::partial_sort(merged.begin(), merged.begin() + n, merged.end(), better);
    for (size_t j = 0; j < n; ++j) {
      out.ids[q * k + j] = merged[j].pos;
      out.scores[q * k + j] = merged[j].score;
    }
  }
}

// The Hamming top `rerank` of each query's sign code, re-scored; the best k of them.
void rerank(const Snapshot& s, const AsymmetricQuery& in, AsymmetricOutput& out, const CancelToken* cancel) {
  const int words = s.words, bytes = lut_bytes(s.bits);
  std::vector<uint64_t> signs(static_cast<size_t>(in.count * words));
  projection_signs(in.projections, in.count, s.bits, in.strict, signs.data());
  SearchOutput candidates = search_topk_positions(s, signs.data(), in.count, in.rerank, in.threads, cancel);
  check_cancelled(cancel);
  const int64_t n = candidates.k, k = out.k;
  ThreadPool& pool = ThreadPool::instance();
  pool.parallel_for(in.count, 8, [&](int64_t q0, int64_t q1) {
    if (is_cancelled(cancel)) return;
    std::vector<float> lut(static_cast<size_t>(lut_floats(s.bits)));
    std::vector<Scored> scored(static_cast<size_t>(n));
    for (int64_t q = q0; q < q1 && !is_cancelled(cancel); ++q) {
      build_score_lut(in.projections + q * s.bits, s.bits, lut.data());
      const int64_t* at = candidates.ids.data() + q * n;
      // The candidates lie anywhere in the database, each a cache miss: fetch ahead so that the
      // misses overlap instead of costing one memory latency each (at 1M codes, as much as the
      // whole top-10 scan).
      constexpr int64_t kAhead = 16;
      for (int64_t j = 0; j < std::min(n, kAhead); ++j) __builtin_prefetch(s.code_at(at[j]));
      for (int64_t j = 0; j < n; ++j) {
        if (j + kAhead < n) __builtin_prefetch(s.code_at(at[j + kAhead]));
        scored[j] = {score_code(lut.data(), s.code_at(at[j]), bytes), at[j]};
      }
      std::partial_sort(scored.begin(), scored.begin() + k, scored.end(), better);
      for (int64_t j = 0; j < k; ++j) {
        out.ids[q * k + j] = scored[j].pos;
        out.scores[q * k + j] = scored[j].score;
      }
    }
  }, in.threads > 0 ? std::min(in.threads, pool.concurrency()) : 0);
}

}  // namespace

AsymmetricOutput search_asymmetric(const Snapshot& s, const AsymmetricQuery& in, const CancelToken* cancel) {
  AsymmetricOutput out;
  out.queries = in.count;
  out.k = std::min(in.k, s.live);
  out.ids = PooledArray<int64_t>(static_cast<size_t>(in.count * out.k));
  out.scores = PooledArray<float>(static_cast<size_t>(in.count * out.k));
  if (out.k == 0 || in.count == 0) return out;
  if (in.rerank > 0) {
    rerank(s, in, out, cancel);
  } else {
    s.verify_codes();
    full_scan(s, in, out, cancel);
  }
  check_cancelled(cancel);
  positions_to_ids(s, out.ids.data(), static_cast<int64_t>(out.ids.size()));
  return out;
}

}  // namespace ascmh
