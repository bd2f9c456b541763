#include "index/search.h"

#include <algorithm>
#include <atomic>

#include "core/error.h"
#include "core/memory_limit.h"
#include "core/thread_pool.h"
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

// Items [begin, end) of one chunk.
struct Range {
  size_t slot;
  int64_t begin, end;
};

std::vector<Range> whole(const Snapshot& s) {
  std::vector<Range> out;
  for (size_t slot = 0; slot < s.chunks.size(); ++slot)
    if (s.chunks[slot].data && s.chunks[slot].count > s.chunks[slot].dead_count) out.push_back({slot, 0, s.chunks[slot].count});
  return out;
}

// The ranges split into `parts` runs of about equal item counts, in position order.
std::vector<std::vector<Range>> split(const std::vector<Range>& ranges, int64_t parts) {
  int64_t total = 0;
  for (const Range& r : ranges) total += r.end - r.begin;
  const int64_t step = (total + parts - 1) / parts;
  std::vector<std::vector<Range>> out(static_cast<size_t>(parts));
  int64_t part = 0, room = step;
  for (Range r : ranges) {
    while (r.begin < r.end) {
      const int64_t n = std::min(room, r.end - r.begin);
      out[static_cast<size_t>(part)].push_back({r.slot, r.begin, r.begin + n});
      r.begin += n;
      room -= n;
      if (room == 0 && part + 1 < parts) {
        ++part;
        room = step;
      }
    }
  }
  return out;
}

// Offers the live items of `ranges` to tops[0..q1-q0) for queries q0..q1-1. The queries of a group
// scan one L2-sized chunk of the database before the next chunk is read from memory.
void scan_ranges(const Snapshot& s, HammingScanFn scan, const uint64_t* queries, int64_t q0, int64_t q1,
                 const std::vector<Range>& ranges, std::vector<TopK>& tops, const Stop& stop) {
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

// For every query, the best k live items within max_dist as (position, distance) ordered by
// (distance, position); emit(q, pos, dist) is called once per query, from any pool thread.
// Many queries: groups of queries per task. Fewer queries than threads: the database is split
// into one run per thread and the per-run answers merged.
template <class Emit>
void run_search(const Snapshot& s, const uint64_t* queries, int64_t count, int64_t k, int max_dist, int threads,
                const Stop& stop, Emit emit) {
  if (count == 0 || s.live == 0) return;
  const HammingScanFn scan = hamming_scan_kernel(s.bits);
  ThreadPool& pool = ThreadPool::instance();
  const int64_t workers = threads > 0 ? std::min(threads, pool.concurrency()) : pool.concurrency();
  const std::vector<Range> all = whole(s);
  if (count >= workers || s.live < 4096 * workers) {
    const int64_t group = std::max<int64_t>(1, std::min<int64_t>(32, (count + workers - 1) / workers));
    const int64_t groups = (count + group - 1) / group;
    pool.parallel_for(groups, 1, [&](int64_t g0, int64_t g1) {
      if (stop()) return;
      std::vector<TopK> tops(static_cast<size_t>(group));
      std::vector<int64_t> pos;
      std::vector<uint16_t> dist;
      for (int64_t g = g0; g < g1; ++g) {
        const int64_t q0 = g * group, q1 = std::min(count, q0 + group);
        for (int64_t q = q0; q < q1; ++q) tops[q - q0].reset(k, max_dist);
        scan_ranges(s, scan, queries, q0, q1, all, tops, stop);
        if (stop()) return;
        for (int64_t q = q0; q < q1; ++q) {
          tops[q - q0].finish(pos, dist);
          emit(q, pos, dist);
        }
      }
    }, static_cast<int>(workers));
    return;
  }
  const int64_t parts = workers;
  const std::vector<std::vector<Range>> runs = split(all, parts);
  std::vector<std::vector<int64_t>> pos(static_cast<size_t>(count * parts));
  std::vector<std::vector<uint16_t>> dist(pos.size());
  pool.parallel_for(count * parts, 1, [&](int64_t t0, int64_t t1) {
    std::vector<TopK> top(1);
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t q = t / parts, part = t % parts;
      top[0].reset(k, max_dist);
      scan_ranges(s, scan, queries, q, q + 1, runs[static_cast<size_t>(part)], top, stop);
      if (stop()) return;
      top[0].finish(pos[t], dist[t]);
    }
  }, static_cast<int>(workers));
  if (stop()) return;
  for (int64_t q = 0; q < count; ++q) {
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
    emit(q, p, d);
  }
}

// Positions to ids, on the calling thread: a damaged id block of a mapped file throws here.
void to_ids(const Snapshot& s, std::vector<int64_t>& positions) {
  s.verify_ids(positions.data(), static_cast<int64_t>(positions.size()));
  for (int64_t& p : positions) p = s.id_at(p);
}

}  // namespace

SearchOutput search_topk(const Snapshot& s, const uint64_t* queries, int64_t count, int64_t k, int threads,
                         const CancelToken* cancel) {
  SearchOutput out;
  out.queries = count;
  out.k = std::min(k, s.live);
  out.ids.resize(static_cast<size_t>(count * out.k));
  out.distances.resize(static_cast<size_t>(count * out.k));
  if (out.k == 0 || count == 0) return out;
  s.verify_codes();
  run_search(s, queries, count, out.k, s.bits, threads, Stop{cancel, nullptr},
             [&](int64_t q, const std::vector<int64_t>& pos, const std::vector<uint16_t>& dist) {
               std::copy(pos.begin(), pos.end(), out.ids.begin() + q * out.k);
               std::copy(dist.begin(), dist.end(), out.distances.begin() + q * out.k);
             });
  check_cancelled(cancel);
  to_ids(s, out.ids);
  return out;
}

SearchOutput search_radius(const Snapshot& s, const uint64_t* queries, int64_t count, int radius, int64_t limit,
                           int threads, const CancelToken* cancel) {
  SearchOutput out;
  out.queries = count;
  std::vector<std::vector<int64_t>> ids(static_cast<size_t>(count));
  std::vector<std::vector<uint16_t>> dists(static_cast<size_t>(count));
  // Each result costs 10 bytes in the answer (8 for the id, 2 for the distance) and as much again
  // while it is collected.
  const int64_t max_results = static_cast<int64_t>(memory_limit() / 20);
  std::atomic<int64_t> results{0};
  std::atomic<bool> too_large{false};
  if (count > 0 && s.live > 0) s.verify_codes();
  run_search(s, queries, count, limit > 0 ? limit : TopK::kUnlimited, radius, threads, Stop{cancel, &too_large},
             [&](int64_t q, const std::vector<int64_t>& pos, const std::vector<uint16_t>& dist) {
               if (results.fetch_add(static_cast<int64_t>(pos.size())) + static_cast<int64_t>(pos.size()) > max_results) {
                 too_large = true;
                 return;
               }
               ids[q] = pos;
               dists[q] = dist;
             });
  check_cancelled(cancel);
  if (too_large)
    fail("ERR_ASCMH_TOO_LARGE", "the radius search found more results than fit in the memory limit; lower the radius "
                                "or set a limit per query");
  out.offsets.assign(static_cast<size_t>(count) + 1, 0);
  for (int64_t q = 0; q < count; ++q) out.offsets[q + 1] = out.offsets[q] + static_cast<int64_t>(ids[q].size());
  out.ids.reserve(static_cast<size_t>(out.offsets[count]));
  out.distances.reserve(static_cast<size_t>(out.offsets[count]));
  for (int64_t q = 0; q < count; ++q) {
    out.ids.insert(out.ids.end(), ids[q].begin(), ids[q].end());
    out.distances.insert(out.distances.end(), dists[q].begin(), dists[q].end());
  }
  to_ids(s, out.ids);
  return out;
}

}  // namespace ascmh
