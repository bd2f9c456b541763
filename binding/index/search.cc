#include "index/search.h"

#include <algorithm>
#include <atomic>

#include "core/error.h"
#include "core/memory_limit.h"
#include "core/thread_pool.h"
#include "index/ranges.h"
#include "search/kernels.h"
#include "search/topk.h"

namespace ascmh {
namespace {

// Why a search stops early: its caller cancelled it, or its results outgrew the memory limit.
struct Stop {
  const CancelToken* cancel = nullptr;
  const std::atomic<bool>* too_large = nullptr;
  bool operator()() const { return is_cancelled(cancel) || (too_large && too_large->load(std::memory_order_relaxed)); }
};

// Offers the live items of `ranges` to tops[0..q1-q0) for queries q0..q1-1. The queries of a group
// scan one L2-sized chunk of the database before the next chunk is read from memory.
void scan_ranges(const Snapshot& s, HammingScanFn scan, const uint64_t* queries, int64_t q0, int64_t q1,
                 const std::vector<Range>& ranges, TopK* tops, const Stop& stop) {
  const int words = s.words;
  const int64_t piece = hamming_chunk_items(words);
  for (const Range& r : ranges) {
    const ChunkView& v = s.chunks[r.slot];
    const int64_t base = static_cast<int64_t>(r.slot) << kChunkBits;
    const uint64_t* codes = v.data->codes.data();
    const uint64_t* dead = v.dead ? v.dead->data() : nullptr;
    for (int64_t q = q0; q < q1; ++q) tops[q - q0].set_dead(dead, base);
    for (int64_t c = r.begin; c < r.end; c += piece) {
      if (stop()) return;
      const int64_t len = std::min(piece, r.end - c);
      for (int64_t q = q0; q < q1; ++q) scan(queries + q * words, codes + c * words, len, words, base + c, tops[q - q0]);
    }
  }
}

// A bound on a top-k cut from a sample of the database, for a large k: the sampled items nearest a
// query that would number about 2k in the whole database. A scan then offers only items below
// the bound, which is exact whenever k of them are found (TopK::complete); a query for which the
// bound proves too tight is scanned again without it. The sample is kRuns runs of consecutive
// items spread over the database, scanned where they lie (copying them would write fresh pages
// on every search, which costs more than the scan here); it costs 16/k of a scan, so it is used
// from k = kMinK, where it saves more offers than it costs.
class CutEstimate {
 public:
  static constexpr int64_t kMinK = 300;
  CutEstimate(const Snapshot& s, int64_t k, HammingScanFn scan) : scan_(scan), words_(s.words), bits_(s.bits) {
    if (k < kMinK) return;
    const int64_t items = std::max<int64_t>(4096, 16 * s.live / k);
    if (4 * items > s.live) return;  // a small database: the sample would cost too much of the scan
    // Every item, removed ones included, may be sampled: the bound only guides the scan.
    std::vector<std::pair<const uint64_t*, int64_t>> chunks;
    int64_t total = 0;
    for (const ChunkView& v : s.chunks)
      if (v.data && v.count > 0) {
        chunks.push_back({v.data->codes.data(), v.count});
        total += v.count;
      }
    const int64_t per_run = (items + kRuns - 1) / kRuns;
    size_t c = 0;
    int64_t seen = 0;  // items in chunks before chunks[c]
    for (int64_t r = 0; r < kRuns; ++r) {
      int64_t at = static_cast<int64_t>(static_cast<__int128>(r) * total / kRuns);
      while (at >= seen + chunks[c].second) seen += chunks[c++].second;
      at -= seen;
      const int64_t len = std::min(per_run, chunks[c].second - at);
      runs_.push_back({chunks[c].first + at * words_, len});
      items_ += len;
    }
    nearest_ = std::max<int64_t>(1, (2 * k * items_ + s.live - 1) / s.live);
  }
  bool active() const { return items_ > 0; }
  // Applies the bound for query q to top (after top.reset()).
  void apply(const uint64_t* query, TopK& top, TopK& scratch) const {
    scratch.reset(nearest_, bits_);
    for (const auto& [codes, count] : runs_) scan_(query, codes, count, words_, 0, scratch);
    if (scratch.size() < nearest_) return;
    std::vector<int64_t> pos(static_cast<size_t>(scratch.size()));
    std::vector<uint16_t> dist(pos.size());
    scratch.finish(pos.data(), dist.data());
    top.limit_cut(dist.back() + 1);
  }

 private:
  static constexpr int64_t kRuns = 64;
  HammingScanFn scan_;
  int words_, bits_;
  std::vector<std::pair<const uint64_t*, int64_t>> runs_;
  int64_t items_ = 0, nearest_ = 0;
};

// From this k on, a scan accepts enough items for the dense kernel to pay (bench/search.mjs).
constexpr int64_t kDenseK = 100;

// For every query, the best k live items within max_dist as (position, distance) ordered by
// (distance, position); emit(q, first, top, pos, dist) is called once per query with either the
// finished collector (top: call finish) or the merged answer (pos, dist). The queries that share
// `first` are emitted in order by one thread, and no other thread emits with that `first`.
// Many queries: groups of queries per task. Fewer queries than threads: the database is split
// into one run per thread and the per-run answers merged.
template <class Emit>
void run_search(const Snapshot& s, const uint64_t* queries, int64_t count, int64_t k, int max_dist, bool bounded,
                int threads, const Stop& stop, Emit emit) {
  if (count == 0 || s.live == 0) return;
  // A large k or a radius search accepts many items: the dense kernel makes each one cheap. At
  // some widths it is the cheaper one at any k.
  const HammingScanFn sparse = hamming_scan_kernel(s.bits);
  const bool dense = k >= kDenseK || hamming_dense_scan_at_any_k(s.bits);
  const HammingScanFn scan = dense ? hamming_dense_scan_kernel(s.bits) : sparse;
  ThreadPool& pool = ThreadPool::instance();
  const int64_t workers = threads > 0 ? std::min(threads, pool.concurrency()) : pool.concurrency();
  const std::vector<Range> all = live_ranges(s);
  const CutEstimate estimate(s, bounded ? k : 0, sparse);
  if (count >= workers || s.live < 4096 * workers) {
    const int64_t group = std::max<int64_t>(1, std::min<int64_t>(32, (count + workers - 1) / workers));
    const int64_t groups = (count + group - 1) / group;
    pool.parallel_for(groups, 1, [&](int64_t g0, int64_t g1) {
      if (stop()) return;
      std::vector<TopK> tops(static_cast<size_t>(group));
      TopK scratch;
      for (int64_t g = g0; g < g1; ++g) {
        const int64_t q0 = g * group, q1 = std::min(count, q0 + group);
        for (int64_t q = q0; q < q1; ++q) {
          tops[q - q0].reset(k, max_dist);
          if (estimate.active()) estimate.apply(queries + q * s.words, tops[q - q0], scratch);
        }
        scan_ranges(s, scan, queries, q0, q1, all, tops.data(), stop);
        for (int64_t q = q0; q < q1; ++q) {
          if (tops[q - q0].complete()) continue;
          tops[q - q0].reset(k, max_dist);
          scan_ranges(s, scan, queries, q, q + 1, all, &tops[q - q0], stop);
        }
        if (stop()) return;
        for (int64_t q = q0; q < q1; ++q) emit(q, q0, &tops[q - q0], nullptr, nullptr);
      }
    }, static_cast<int>(workers));
    return;
  }
  const int64_t parts = workers;
  const std::vector<std::vector<Range>> runs = split_ranges(all, parts);
  std::vector<std::vector<int64_t>> pos(static_cast<size_t>(count * parts));
  std::vector<std::vector<uint16_t>> dist(pos.size());
  // The bound of each query, 0 for none (the runs of a query share it).
  std::vector<int> bound(static_cast<size_t>(count), 0);
  if (estimate.active()) {
    TopK probe, scratch;
    for (int64_t q = 0; q < count; ++q) {
      probe.reset(k, max_dist);
      estimate.apply(queries + q * s.words, probe, scratch);
      if (probe.cut() <= max_dist) bound[q] = probe.cut();  // at least 1
    }
  }
  pool.parallel_for(count * parts, 1, [&](int64_t t0, int64_t t1) {
    TopK top;
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t q = t / parts, part = t % parts;
      top.reset(k, max_dist);
      if (bound[q] > 0) top.limit_cut(bound[q]);
      scan_ranges(s, scan, queries, q, q + 1, runs[static_cast<size_t>(part)], &top, stop);
      if (stop()) return;
      top.finish(pos[t], dist[t]);
    }
  }, static_cast<int>(workers));
  if (stop()) return;
  for (int64_t q = 0; q < count; ++q) {
    // Every run kept only items below the bound: together they are exact iff they hold k items.
    size_t kept = 0;
    for (int64_t part = 0; part < parts; ++part) kept += pos[q * parts + part].size();
    if (bound[q] > 0 && static_cast<int64_t>(kept) < k) {
      TopK top;
      top.reset(k, max_dist);
      scan_ranges(s, scan, queries, q, q + 1, all, &top, stop);
      if (stop()) return;
      emit(q, 0, &top, nullptr, nullptr);
      continue;
    }
    // Runs cover ascending positions, so a stable sort by distance restores (distance, position).
    std::vector<std::pair<uint16_t, int64_t>> merged;
    for (int64_t part = 0; part < parts; ++part)
      for (size_t j = 0; j < pos[q * parts + part].size(); ++j)
        merged.push_back({dist[q * parts + part][j], pos[q * parts + part][j]});
    std::stable_sort(merged.begin(), merged.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    if (static_cast<int64_t>(merged.size()) > k) merged.resize(static_cast<size_t>(k));
    std::vector<int64_t> p(merged.size());
    std::vector<uint16_t> d(merged.size());
    for (size_t j = 0; j < merged.size(); ++j) {
      d[j] = merged[j].first;
      p[j] = merged[j].second;
    }
    emit(q, 0, nullptr, &p, &d);
  }
}

// Results of one group of queries, in pooled segments: a query's results are contiguous in one
// segment, and a full segment is followed by a bigger one instead of being copied.
struct Arena {
  struct Segment {
    PooledArray<int64_t> pos;
    PooledArray<uint16_t> dist;
    size_t used = 0;
  };
  std::vector<Segment> segments;
  // Room for n results; returns (segment, start).
  std::pair<size_t, size_t> extend(size_t n) {
    if (segments.empty() || segments.back().used + n > segments.back().pos.size()) {
      const size_t size = std::max<size_t>(segments.empty() ? 4096 : 2 * segments.back().pos.size(), n);
      segments.push_back({PooledArray<int64_t>(size), PooledArray<uint16_t>(size), 0});
    }
    Segment& last = segments.back();
    const size_t at = last.used;
    last.used += n;
    return {segments.size() - 1, at};
  }
};

}  // namespace

SearchOutput search_topk_positions(const Snapshot& s, const uint64_t* queries, int64_t count, int64_t k, int threads,
                                   const CancelToken* cancel) {
  SearchOutput out;
  out.queries = count;
  out.k = std::min(k, s.live);
  out.ids = PooledArray<int64_t>(static_cast<size_t>(count * out.k));
  out.distances = PooledArray<uint16_t>(static_cast<size_t>(count * out.k));
  if (out.k == 0 || count == 0) return out;
  s.verify_codes();
  run_search(s, queries, count, out.k, s.bits, true, threads, Stop{cancel, nullptr},
             [&](int64_t q, int64_t, const TopK* top, const std::vector<int64_t>* pos, const std::vector<uint16_t>* dist) {
               if (top) {
                 top->finish(out.ids.data() + q * out.k, out.distances.data() + q * out.k);
               } else {
                 std::copy(pos->begin(), pos->end(), out.ids.data() + q * out.k);
                 std::copy(dist->begin(), dist->end(), out.distances.data() + q * out.k);
               }
             });
  check_cancelled(cancel);
  return out;
}

SearchOutput search_topk(const Snapshot& s, const uint64_t* queries, int64_t count, int64_t k, int threads,
                         const CancelToken* cancel) {
  SearchOutput out = search_topk_positions(s, queries, count, k, threads, cancel);
  positions_to_ids(s, out.ids.data(), static_cast<int64_t>(out.ids.size()));
  return out;
}

SearchOutput search_radius(const Snapshot& s, const uint64_t* queries, int64_t count, int radius, int64_t limit,
                           int threads, const CancelToken* cancel) {
  SearchOutput out;
  out.queries = count;
  out.offsets.assign(static_cast<size_t>(count) + 1, 0);
  // Each result costs 10 bytes in the answer (8 for the id, 2 for the distance) and as much again
  // while it is collected.
  const int64_t max_results = static_cast<int64_t>(memory_limit() / 20);
  std::atomic<int64_t> results{0};
  std::atomic<bool> too_large{false};
  // Each query's results are collected in the arena of its group (indexed by the group's first
  // query, so one thread owns it), then copied once into the answer with their positions turned
  // into ids on the way: every buffer is pooled, so nothing is written to fresh pages.
  struct Slice {
    int64_t arena = 0, segment = 0, start = 0, size = 0;
  };
  std::vector<Arena> arenas(static_cast<size_t>(count));
  std::vector<Slice> slices(static_cast<size_t>(count));
  if (count > 0 && s.live > 0) s.verify_codes();
  run_search(s, queries, count, limit > 0 ? limit : TopK::kUnlimited, radius, false, threads, Stop{cancel, &too_large},
             [&](int64_t q, int64_t first, const TopK* top, const std::vector<int64_t>* p,
                 const std::vector<uint16_t>* d) {
               const int64_t n = top ? top->size() : static_cast<int64_t>(p->size());
               if (results.fetch_add(n) + n > max_results) {
                 too_large = true;
                 return;
               }
               Arena& arena = arenas[static_cast<size_t>(first)];
               const auto [segment, start] = arena.extend(static_cast<size_t>(n));
               slices[q] = {first, static_cast<int64_t>(segment), static_cast<int64_t>(start), n};
               int64_t* pp = arena.segments[segment].pos.data() + start;
               uint16_t* dd = arena.segments[segment].dist.data() + start;
               if (top) {
                 top->finish(pp, dd);
               } else {
                 std::copy(p->begin(), p->end(), pp);
                 std::copy(d->begin(), d->end(), dd);
               }
             });
  check_cancelled(cancel);
  if (too_large)
    fail("ERR_ASCMH_TOO_LARGE", "the radius search found more results than fit in the memory limit; lower the radius "
                                "or set a limit per query");
  for (int64_t q = 0; q < count; ++q) out.offsets[q + 1] = out.offsets[q] + slices[q].size;
  const int64_t total = out.offsets[count];
  out.ids = PooledArray<int64_t>(static_cast<size_t>(total));
  out.distances = PooledArray<uint16_t>(static_cast<size_t>(total));
  if (total == 0) return out;
  // Damaged id blocks of a mapped file throw here, before any id is read.
  const bool ids_from_file = std::any_of(s.chunks.begin(), s.chunks.end(), [](const ChunkView& v) {
    return v.data && v.data->check && v.data->file_ids && v.auto_count < v.count;
  });
  if (ids_from_file)
    for (const Arena& arena : arenas)
      for (const Arena::Segment& g : arena.segments) s.verify_ids(g.pos.data(), static_cast<int64_t>(g.used));
  ThreadPool& pool = ThreadPool::instance();
  const int workers = threads > 0 ? std::min(threads, pool.concurrency()) : pool.concurrency();
  pool.parallel_for(count, std::max<int64_t>(1, count / (8 * workers)), [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      const Slice& c = slices[q];
      if (c.size == 0) continue;
      const Arena::Segment& g = arenas[c.arena].segments[c.segment];
      const int64_t* from = g.pos.data() + c.start;
      int64_t* to = out.ids.data() + out.offsets[q];
      for (int64_t j = 0; j < c.size; ++j) to[j] = s.id_at(from[j]);
      std::copy(g.dist.data() + c.start, g.dist.data() + c.start + c.size, out.distances.data() + out.offsets[q]);
    }
  }, workers);
  return out;
}

}  // namespace ascmh
