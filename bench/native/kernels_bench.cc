// Native micro-benchmark of the Hamming kernels, TopK and the index search (no JS), to split the
// cost of a search into scan, TopK (pushes, compaction, finish), and the index's own work (id
// lookup, result vectors). Built and run by bench/native/run.sh; one thread.
//   kernels_bench [N] [queries] [reps]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/codes.h"
#include "search/hamming_index.h"
#ifdef ASCMH_OLD_KERNELS
#include "search/hamming_kernels.h"
#else
#include "search/kernels.h"
#include "search/topk.h"
#endif

using namespace ascmh;

namespace {

double now_ns() {
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <class F>
double median_ns(int reps, F f) {
  f();
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const double t0 = now_ns();
    f();
    t.push_back(now_ns() - t0);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

uint64_t rnd(uint64_t& s) {
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

std::vector<uint64_t> codes(int64_t n, int bits, uint64_t seed) {
  const int words = words_per_code(bits);
  std::vector<uint64_t> c(static_cast<size_t>(n * words));
  for (auto& w : c) w = rnd(seed);
  if (bits % 64)
    for (int64_t i = 0; i < n; ++i) c[i * words + words - 1] &= (uint64_t(1) << (bits % 64)) - 1;
  return c;
}

// What run_search does on one thread: groups of 32 queries, each group scanning the database one
// L2-sized chunk at a time, then finish() per query. Returns the number of results.
int64_t scan_groups(HammingScanFn scan, const uint64_t* q, int64_t nq, const uint64_t* db, int64_t n, int bits,
                    int64_t k, int max_dist, std::vector<TopK>& tops, std::vector<int64_t>& pos,
                    std::vector<uint16_t>& dist) {
  const int words = words_per_code(bits);
  const int64_t chunk = hamming_chunk_items(words);
  int64_t results = 0;
  for (int64_t q0 = 0; q0 < nq; q0 += 32) {
    const int64_t q1 = std::min(nq, q0 + 32);
    for (int64_t i = q0; i < q1; ++i) tops[i - q0].reset(k, max_dist);
    for (int64_t c = 0; c < n; c += chunk) {
      const int64_t len = std::min(chunk, n - c);
      for (int64_t i = q0; i < q1; ++i) scan(q + i * words, db + c * words, len, words, c, tops[i - q0]);
    }
    for (int64_t i = q0; i < q1; ++i) {
      tops[i - q0].finish(pos, dist);
      results += static_cast<int64_t>(pos.size());
    }
  }
  return results;
}

#ifndef ASCMH_OLD_KERNELS
// scan_groups with a bound on the cut estimated per query from a strided sample of the database
// (TopK::limit_cut): the k' = 2 k S / N nearest (S = 16 N / k) sample items give the bound; a query whose bound
// proves too tight (TopK::complete() false) is scanned again without it. Returns the fallbacks.
int64_t scan_groups_bounded(HammingScanFn scan, const uint64_t* q, int64_t nq, const uint64_t* db, int64_t n, int bits,
                            int64_t k, std::vector<TopK>& tops, std::vector<int64_t>& pos, std::vector<uint16_t>& dist) {
  const int words = words_per_code(bits);
  const int64_t chunk = hamming_chunk_items(words);
  const int64_t S = std::min<int64_t>(n, std::max<int64_t>(4096, 16 * n / k));
  std::vector<uint64_t> sample(static_cast<size_t>(S * words));
  for (int64_t j = 0; j < S; ++j)
    std::copy(db + (j * n / S) * words, db + (j * n / S + 1) * words, sample.begin() + j * words);
  const int64_t ks = std::max<int64_t>(1, (2 * k * S + n - 1) / n);
  TopK est;
  int64_t fallbacks = 0;
  for (int64_t q0 = 0; q0 < nq; q0 += 32) {
    const int64_t q1 = std::min(nq, q0 + 32);
    for (int64_t i = q0; i < q1; ++i) {
      tops[i - q0].reset(k, bits);
      if (S < n) {
        est.reset(ks, bits);
        scan(q + i * words, sample.data(), S, words, 0, est);
        est.finish(pos, dist);
        if (!dist.empty()) tops[i - q0].limit_cut(dist.back() + 1);
      }
    }
    for (int64_t c = 0; c < n; c += chunk) {
      const int64_t len = std::min(chunk, n - c);
      for (int64_t i = q0; i < q1; ++i) scan(q + i * words, db + c * words, len, words, c, tops[i - q0]);
    }
    for (int64_t i = q0; i < q1; ++i) {
      if (!tops[i - q0].complete()) {
        ++fallbacks;
        tops[i - q0].reset(k, bits);
        for (int64_t c = 0; c < n; c += chunk)
          scan(q + i * words, db + c * words, std::min(chunk, n - c), words, c, tops[i - q0]);
      }
      tops[i - q0].finish(pos, dist);
    }
  }
  return fallbacks;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  const int64_t N = argc > 1 ? std::atoll(argv[1]) : 16384;
  const int64_t NQ = argc > 2 ? std::atoll(argv[2]) : 256;
  const int reps = argc > 3 ? std::atoi(argv[3]) : 9;
  const char* only = std::getenv("KERNELS");
  std::printf("N = %lld, queries = %lld, median of %d; default kernel %s\n", (long long)N, (long long)NQ, reps,
              hamming_kernel_name());
  std::printf("%-8s %4s | %8s %8s %8s %6s | %8s %9s %9s %9s | %8s | %8s %6s %3s | %7s\n", "kernel", "bits", "k=1", "k=10",
              "k=1000", "ratio", "results", "radius", "scan+topk", "index", "dist", "k=1000b", "ratio", "fb", "id_at");
  std::printf("%-8s %4s | %8s %8s %8s %6s | %8s %9s %9s %9s | %8s | %8s %6s %3s | %7s\n", "", "", "ns/pair", "ns/pair",
              "ns/pair", "1000/10", "/query", "r", "ns/result", "ns/result", "ns/pair", "bounded", "b/10", "", "ns/res");
  for (const char* kernel : {"generic", "popcnt", "avx2", "avx512"}) {
    if (only && !std::strstr(only, kernel)) continue;
    if (!set_hamming_kernel(kernel)) continue;
    for (int bits : {64, 128, 256}) {
      const int words = words_per_code(bits);
      const auto db = codes(N, bits, 0x9E3779B97F4A7C15ull + bits);
      const auto qs = codes(NQ, bits, 12345 + bits);
      const HammingScanFn scan = hamming_scan_kernel(bits);
      std::vector<TopK> tops(32);
      std::vector<int64_t> pos;
      std::vector<uint16_t> dist;
      const double pairs = static_cast<double>(N) * NQ;
      const int r = std::strcmp(kernel, "generic") == 0 ? 3 : reps;
      auto topk = [&](int64_t k) {
        return median_ns(r, [&] { scan_groups(scan, qs.data(), NQ, db.data(), N, bits, k, bits, tops, pos, dist); }) /
               pairs;
      };
      const double t1 = topk(1), t10 = topk(10), t1000 = topk(1000);
      // Radius: about a quarter of the database within it.
      const int radius = static_cast<int>(bits / 2 - 0.67 * std::sqrt(static_cast<double>(bits)) / 2 + 0.5);
      const int64_t results = scan_groups(scan, qs.data(), NQ, db.data(), N, bits, TopK::kUnlimited, radius, tops, pos, dist);
      const double tr = median_ns(r, [&] {
        scan_groups(scan, qs.data(), NQ, db.data(), N, bits, TopK::kUnlimited, radius, tops, pos, dist);
      });
      // The whole index search (search_radius: TopK + id lookup + result vectors), one thread.
      HammingIndex index(bits);
      index.add(db.data(), N, nullptr);
      auto snap = index.snapshot();
      const double ti = median_ns(r, [&] { search_radius(*snap, qs.data(), NQ, radius, 0, 1); });
      const double scan_only = t1 * pairs;
      // The distance kernel alone.
      std::vector<uint16_t> out(static_cast<size_t>(N));
      const HammingDistFn dk = hamming_dist_kernel(bits);
      const double td = median_ns(r, [&] {
        for (int64_t q = 0; q < NQ; ++q) dk(qs.data() + q * words, db.data(), N, words, out.data());
      }) / pairs;
      std::printf("%-8s %4d | %8.3f %8.3f %8.3f %6.2f | %8lld %9d %9.2f %9.2f | %8.3f", kernel, bits, t1, t10, t1000,
                  t1000 / t10, (long long)(results / NQ), radius, (tr - scan_only) / results, (ti - scan_only) / results,
                  td);
#ifndef ASCMH_OLD_KERNELS
      // k = 1000 with a sampled bound on the cut; and the id lookup of hamming_index.cc alone.
      int64_t fb = 0;
      const double tb = median_ns(r, [&] { fb = scan_groups_bounded(scan, qs.data(), NQ, db.data(), N, bits, 1000, tops, pos, dist); }) / pairs;
      scan_groups(scan, qs.data(), NQ, db.data(), N, bits, TopK::kUnlimited, radius, tops, pos, dist);
      std::vector<int64_t> ids(pos.size());
      const double tid = median_ns(r, [&] {
        for (size_t j = 0; j < pos.size(); ++j) ids[j] = snap->id_at(pos[j]);
      }) / static_cast<double>(pos.size());
      std::printf(" | %8.3f %6.2f %3lld | %7.2f", tb, tb / t10, (long long)fb, tid);
#endif
      std::printf("\n");
    }
  }
  return 0;
}
