#include "search/hamming_index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "core/codes.h"
#include "core/memory_limit.h"
#include "core/thread_pool.h"
#include "search/kernels.h"
#include "search/topk.h"

namespace ascmh {

int64_t Snapshot::id_at(int64_t position) const {
  auto it = std::upper_bound(segments.begin(), segments.end(), position,
                             [](int64_t p, const SegmentView& v) { return p < v.offset; });
  const SegmentView& v = *(it - 1);
  return v.segment->ids[static_cast<size_t>(position - v.offset)];
}

namespace {

// Why a search stops early: its caller cancelled it, or its results outgrew the memory limit.
struct Stop {
  const CancelToken* cancel = nullptr;
  const std::atomic<bool>* too_large = nullptr;
  bool operator()() const { return is_cancelled(cancel) || (too_large && too_large->load(std::memory_order_relaxed)); }
};

// Offers the live items at positions [lo, hi) to tops[0..q1-q0) for queries q0..q1-1. The queries
// of a group scan one L2-sized chunk of the database before the next chunk is read from memory.
void scan_range(const Snapshot& s, HammingScanFn scan, const uint64_t* queries, int64_t q0, int64_t q1, int64_t lo,
                int64_t hi, std::vector<TopK>& tops, const Stop& stop) {
  const int words = s.words;
  const int64_t chunk = hamming_chunk_items(words);
  for (const SegmentView& v : s.segments) {
    const int64_t a = std::max(lo, v.offset), b = std::min(hi, v.offset + v.segment->size());
    if (a >= b) continue;
    const uint64_t* codes = v.segment->codes.data();
    // TopK takes removed items as bits: bit (pos - a) for the positions [a, b) scanned here.
    std::vector<uint64_t> dead_bits;
    if (v.dead) {
      dead_bits.assign(static_cast<size_t>((b - a + 63) >> 6), 0);
      const uint8_t* dead = v.dead->data() + (a - v.offset);
      for (int64_t i = 0; i < b - a; ++i) dead_bits[i >> 6] |= static_cast<uint64_t>(dead[i] != 0) << (i & 63);
    }
    for (int64_t q = q0; q < q1; ++q) tops[q - q0].set_dead(v.dead ? dead_bits.data() : nullptr, a);
    for (int64_t c = a; c < b; c += chunk) {
      if (stop()) return;
      const int64_t len = std::min(chunk, b - c);
      for (int64_t q = q0; q < q1; ++q) scan(queries + q * words, codes + (c - v.offset) * words, len, words, c, tops[q - q0]);
    }
  }
}

// For every query, the best k live items within max_dist as (position, distance) ordered by
// (distance, position); emit(q, pos, dist) is called once per query, from any pool thread.
// Many queries: groups of queries per task. Fewer queries than threads: the database is split
// into one range per thread and the per-range answers merged.
template <class Emit>
void run_search(const Snapshot& s, const uint64_t* queries, int64_t count, int64_t k, int max_dist, int threads,
                const Stop& stop, Emit emit) {
  if (count == 0 || s.live == 0) return;
  const HammingScanFn scan = hamming_scan_kernel(s.bits);
  ThreadPool& pool = ThreadPool::instance();
  const int64_t workers = threads > 0 ? std::min(threads, pool.concurrency()) : pool.concurrency();
  if (count >= workers || s.positions < 4096 * workers) {
    const int64_t group = std::max<int64_t>(1, std::min<int64_t>(32, (count + workers - 1) / workers));
    const int64_t groups = (count + group - 1) / group;
    pool.parallel_for(groups, 1, [&](int64_t g0, int64_t g1) {
      std::vector<TopK> tops(static_cast<size_t>(group));
      std::vector<int64_t> pos;
      std::vector<uint16_t> dist;
      for (int64_t g = g0; g < g1; ++g) {
        const int64_t q0 = g * group, q1 = std::min(count, q0 + group);
        for (int64_t q = q0; q < q1; ++q) tops[q - q0].reset(k, max_dist);
        scan_range(s, scan, queries, q0, q1, 0, s.positions, tops, stop);
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
  const int64_t step = ((s.positions + parts - 1) / parts + 15) & ~int64_t(15);
  std::vector<std::vector<int64_t>> pos(static_cast<size_t>(count * parts));
  std::vector<std::vector<uint16_t>> dist(pos.size());
  pool.parallel_for(count * parts, 1, [&](int64_t t0, int64_t t1) {
    std::vector<TopK> top(1);
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t q = t / parts, part = t % parts;
      top[0].reset(k, max_dist);
      scan_range(s, scan, queries, q, q + 1, part * step, std::min(s.positions, (part + 1) * step), top, stop);
      if (stop()) return;
      top[0].finish(pos[t], dist[t]);
    }
  }, static_cast<int>(workers));
  if (stop()) return;
  for (int64_t q = 0; q < count; ++q) {
    // Parts cover ascending positions, so a stable sort by distance restores (distance, position).
    std::vector<std::pair<uint16_t, int64_t>> all;
    for (int64_t part = 0; part < parts; ++part)
      for (size_t j = 0; j < pos[q * parts + part].size(); ++j)
        all.push_back({dist[q * parts + part][j], pos[q * parts + part][j]});
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    if (static_cast<int64_t>(all.size()) > k) all.resize(static_cast<size_t>(k));
    std::vector<int64_t> p(all.size());
    std::vector<uint16_t> d(all.size());
    for (size_t j = 0; j < all.size(); ++j) {
      d[j] = all[j].first;
      p[j] = all[j].second;
    }
    emit(q, p, d);
  }
}

}  // namespace

SearchOutput search_topk(const Snapshot& s, const uint64_t* queries, int64_t count, int64_t k, int threads,
                         const CancelToken* cancel) {
  SearchOutput out;
  out.queries = count;
  out.k = std::min(k, s.live);
  out.ids.resize(static_cast<size_t>(count * out.k));
  out.distances.resize(static_cast<size_t>(count * out.k));
  if (out.k == 0) return out;
  run_search(s, queries, count, out.k, s.bits, threads, Stop{cancel, nullptr},
             [&](int64_t q, const std::vector<int64_t>& pos, const std::vector<uint16_t>& dist) {
               for (size_t j = 0; j < pos.size(); ++j) {
                 out.ids[q * out.k + j] = s.id_at(pos[j]);
                 out.distances[q * out.k + j] = dist[j];
               }
             });
  check_cancelled(cancel);
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
  run_search(s, queries, count, limit > 0 ? limit : TopK::kUnlimited, radius, threads, Stop{cancel, &too_large},
             [&](int64_t q, const std::vector<int64_t>& pos, const std::vector<uint16_t>& dist) {
               if (results.fetch_add(static_cast<int64_t>(pos.size())) + static_cast<int64_t>(pos.size()) > max_results) {
                 too_large = true;
                 return;
               }
               ids[q].resize(pos.size());
               for (size_t j = 0; j < pos.size(); ++j) ids[q][j] = s.id_at(pos[j]);
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
  return out;
}

// ---- index ------------------------------------------------------------------------------------

namespace {

constexpr int64_t kSmallSegment = 1 << 16;  // appends below this size are merged into one segment

std::shared_ptr<Snapshot> with_offsets(std::shared_ptr<Snapshot> s) {
  s->positions = 0;
  s->live = 0;
  for (SegmentView& v : s->segments) {
    v.offset = s->positions;
    s->positions += v.segment->size();
    s->live += v.segment->size() - v.dead_count;
  }
  return s;
}

}  // namespace

HammingIndex::HammingIndex(int bits) {
  auto s = std::make_shared<Snapshot>();
  s->bits = bits;
  s->words = words_per_code(bits);
  snapshot_ = s;
}

int HammingIndex::bits() const { return snapshot()->bits; }

std::shared_ptr<const Snapshot> HammingIndex::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return snapshot_;
}

void HammingIndex::publish(std::shared_ptr<const Snapshot> next) { snapshot_ = std::move(next); }

void HammingIndex::ensure_map() {
  if (map_valid_) return;
  map_.clear();
  map_.reserve(static_cast<size_t>(snapshot_->live));
  for (const SegmentView& v : snapshot_->segments)
    for (int64_t i = 0; i < v.segment->size(); ++i)
      if (!v.dead || !(*v.dead)[i]) map_[v.segment->ids[i]] = {v.segment.get(), i};
  map_valid_ = true;
}

void HammingIndex::add(const uint64_t* codes, int64_t count, const int64_t* ids) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (count == 0) return;
  const int words = snapshot_->words;
  std::vector<int64_t> new_ids(static_cast<size_t>(count));
  int64_t next_auto = next_auto_id_;
  if (ids) {
    ensure_map();
    std::unordered_set<int64_t> batch;
    batch.reserve(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
      if (map_.count(ids[i]) || !batch.insert(ids[i]).second)
        throw CodedError("ERR_ASCMH_DUPLICATE_ID", "id " + std::to_string(ids[i]) + " is already in the index");
      new_ids[i] = ids[i];
      if (ids[i] >= next_auto) next_auto = ids[i] == INT64_MAX ? ids[i] : ids[i] + 1;
    }
  } else {
    if (next_auto > INT64_MAX - count) throw CodedError("ERR_ASCMH_ID_RANGE", "automatic ids would overflow int64");
    for (int64_t i = 0; i < count; ++i) new_ids[i] = next_auto++;
  }

  auto next = std::make_shared<Snapshot>(*snapshot_);
  auto seg = std::make_shared<Segment>();
  // Small appends extend the last segment (copying it) so many small adds do not fragment scans.
  const bool merge = !next->segments.empty() && next->segments.back().segment->size() < kSmallSegment &&
                     !next->segments.back().dead;
  if (merge) {
    const Segment& last = *next->segments.back().segment;
    seg->codes.reserve(last.codes.size() + static_cast<size_t>(count * words));
    seg->ids.reserve(last.ids.size() + static_cast<size_t>(count));
    seg->codes = last.codes;
    seg->ids = last.ids;
    next->segments.pop_back();
  }
  const int64_t first_new = seg->size();
  seg->codes.insert(seg->codes.end(), codes, codes + count * words);
  seg->ids.insert(seg->ids.end(), new_ids.begin(), new_ids.end());
  next->segments.push_back({seg, nullptr, 0, 0});
  publish(with_offsets(std::move(next)));
  next_auto_id_ = next_auto;
  if (map_valid_) {
    // Only the automatic-id path may skip the map; keep it exact when it is already built.
    if (merge)
      for (int64_t i = 0; i < first_new; ++i) map_[seg->ids[i]] = {seg.get(), i};
    for (int64_t i = first_new; i < seg->size(); ++i) map_[seg->ids[i]] = {seg.get(), i};
  }
}

int64_t HammingIndex::remove(const int64_t* ids, int64_t count) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (count == 0 || snapshot_->live == 0) return 0;
  ensure_map();
  auto next = std::make_shared<Snapshot>(*snapshot_);
  std::unordered_map<const Segment*, size_t> which;
  for (size_t s = 0; s < next->segments.size(); ++s) which[next->segments[s].segment.get()] = s;
  std::vector<std::shared_ptr<std::vector<uint8_t>>> masks(next->segments.size());
  int64_t removed = 0;
  for (int64_t i = 0; i < count; ++i) {
    auto it = map_.find(ids[i]);
    if (it == map_.end()) continue;
    const size_t s = which.at(it->second.segment);
    SegmentView& v = next->segments[s];
    if (!masks[s]) {
      masks[s] = v.dead ? std::make_shared<std::vector<uint8_t>>(*v.dead)
                        : std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(v.segment->size()), 0);
      v.dead = masks[s];
    }
    (*masks[s])[it->second.index] = 1;
    ++v.dead_count;
    ++removed;
    map_.erase(it);
  }
  // A segment at least half removed is rewritten without its dead items (same order).
  std::vector<SegmentView> kept;
  for (SegmentView& v : next->segments) {
    if (v.dead_count == 0) {
      kept.push_back(v);
      continue;
    }
    if (v.dead_count == v.segment->size()) continue;
    if (2 * v.dead_count < v.segment->size()) {
      kept.push_back(v);
      continue;
    }
    auto seg = std::make_shared<Segment>();
    const int words = next->words;
    for (int64_t i = 0; i < v.segment->size(); ++i) {
      if ((*v.dead)[i]) continue;
      map_[v.segment->ids[i]] = {seg.get(), seg->size()};
      seg->ids.push_back(v.segment->ids[i]);
      seg->codes.insert(seg->codes.end(), v.segment->codes.begin() + i * words,
                        v.segment->codes.begin() + (i + 1) * words);
    }
    kept.push_back({seg, nullptr, 0, 0});
  }
  next->segments = std::move(kept);
  publish(with_offsets(std::move(next)));
  return removed;
}

bool HammingIndex::get(int64_t id, uint64_t* code_out) {
  std::lock_guard<std::mutex> lock(mutex_);
  ensure_map();
  auto it = map_.find(id);
  if (it == map_.end()) return false;
  const int words = snapshot_->words;
  std::memcpy(code_out, it->second.segment->codes.data() + it->second.index * words, sizeof(uint64_t) * words);
  return true;
}

// ---- file format --------------------------------------------------------------------------------
// Little-endian. 48-byte header: magic "ASCMHIX1", u32 version, u32 bits, u64 count, i64 next
// automatic id, u64 payload checksum, u64 header checksum (of the first 40 bytes). Then the codes
// (count x words words) and the ids (count int64). The checksum runs while the file is read, in
// 4 independent lanes, so load costs about what reading the bytes costs.

namespace {

constexpr char kMagic[8] = {'A', 'S', 'C', 'M', 'H', 'I', 'X', '1'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 48;

class Checksum {
 public:
  void update(const uint64_t* w, size_t n) {
    size_t i = 0;
    while (i < n && (lane_ & 3)) step(w[i++]);
    for (; i + 4 <= n; i += 4) {
      h_[0] = mix(h_[0], w[i]);
      h_[1] = mix(h_[1], w[i + 1]);
      h_[2] = mix(h_[2], w[i + 2]);
      h_[3] = mix(h_[3], w[i + 3]);
    }
    while (i < n) step(w[i++]);
  }
  uint64_t value() const {
    uint64_t h = h_[0] ^ rotl(h_[1], 17) ^ rotl(h_[2], 31) ^ rotl(h_[3], 47);
    return fmix(h ^ count_);
  }

 private:
  static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
  static uint64_t mix(uint64_t h, uint64_t w) { return rotl((h ^ w) * 0x9E3779B97F4A7C15ull, 29) + 0x632BE59BD9B4E019ull; }
  static uint64_t fmix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
  }
  void step(uint64_t w) {
    const int l = static_cast<int>(lane_++ & 3);
    h_[l] = mix(h_[l], w);
  }
  uint64_t h_[4] = {1, 2, 3, 4};
  uint64_t lane_ = 0, count_ = 0;

 public:
  void count(size_t n) { count_ += n; }
};

uint64_t header_checksum(const unsigned char* h) {
  uint64_t w[5];
  std::memcpy(w, h, 40);
  Checksum c;
  c.update(w, 5);
  c.count(5);
  return c.value();
}

struct File {
  FILE* f = nullptr;
  ~File() {
    if (f) std::fclose(f);
  }
};

[[noreturn]] void io_error(const std::string& what, const std::string& path, int error = errno) {
  throw CodedError("ERR_ASCMH_IO", what + " " + path + ": " + std::strerror(error));
}

// The temporary file of a save: removed unless it was renamed into place.
struct TemporaryFile {
  std::string path;
  int fd = -1;
  bool committed = false;
  ~TemporaryFile() {
    if (fd >= 0) ::close(fd);
    if (!committed && !path.empty()) ::unlink(path.c_str());
  }
};

std::string directory_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

void write_all(int fd, const void* data, size_t bytes, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::write(fd, p, std::min<size_t>(bytes, size_t(1) << 30));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) io_error("cannot write", path);
    p += n;
    bytes -= static_cast<size_t>(n);
  }
}

}  // namespace

void HammingIndex::save(const std::string& path) const {
  auto s = snapshot();
  const int words = s->words;
  TemporaryFile tmp;
  static std::atomic<uint64_t> serial{0};
  tmp.path = directory_of(path) + "/." + path.substr(path.find_last_of('/') + 1) + ".tmp-" +
             std::to_string(::getpid()) + "-" + std::to_string(serial++);
  tmp.fd = ::open(tmp.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (tmp.fd < 0) io_error("cannot open", path);
  unsigned char header[kHeaderBytes] = {};
  write_all(tmp.fd, header, kHeaderBytes, path);
  Checksum sum;
  std::vector<uint64_t> buffer;
  auto write = [&](const uint64_t* w, size_t n) {
    sum.update(w, n);
    sum.count(n);
    write_all(tmp.fd, w, n * sizeof(uint64_t), path);
  };
  // Live codes, then live ids, both in insertion order.
  for (int pass = 0; pass < 2; ++pass)
    for (const SegmentView& v : s->segments) {
      const Segment& g = *v.segment;
      if (!v.dead) {
        if (pass == 0) write(g.codes.data(), g.codes.size());
        else write(reinterpret_cast<const uint64_t*>(g.ids.data()), g.ids.size());
        continue;
      }
      buffer.clear();
      for (int64_t i = 0; i < g.size(); ++i) {
        if ((*v.dead)[i]) continue;
        if (pass == 0) buffer.insert(buffer.end(), g.codes.begin() + i * words, g.codes.begin() + (i + 1) * words);
        else buffer.push_back(static_cast<uint64_t>(g.ids[i]));
      }
      write(buffer.data(), buffer.size());
    }
  int64_t next_auto;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    next_auto = next_auto_id_;
  }
  const uint32_t bits = static_cast<uint32_t>(s->bits);
  const uint64_t count = static_cast<uint64_t>(s->live), payload = sum.value();
  std::memcpy(header, kMagic, 8);
  std::memcpy(header + 8, &kVersion, 4);
  std::memcpy(header + 12, &bits, 4);
  std::memcpy(header + 16, &count, 8);
  std::memcpy(header + 24, &next_auto, 8);
  std::memcpy(header + 32, &payload, 8);
  const uint64_t hsum = header_checksum(header);
  std::memcpy(header + 40, &hsum, 8);
  if (::lseek(tmp.fd, 0, SEEK_SET) != 0) io_error("cannot write", path);
  write_all(tmp.fd, header, kHeaderBytes, path);
  if (::fsync(tmp.fd) != 0) io_error("cannot write", path);
  const int fd = tmp.fd;
  tmp.fd = -1;
  if (::close(fd) != 0) io_error("cannot write", path);
  if (::rename(tmp.path.c_str(), path.c_str()) != 0) io_error("cannot write", path);
  tmp.committed = true;
  // The rename itself survives a crash once the directory is flushed.
  const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

void HammingIndex::load(const std::string& path) {
  File in;
  in.f = std::fopen(path.c_str(), "rb");
  if (!in.f) io_error("cannot open", path);
  unsigned char header[kHeaderBytes];
  const size_t got = std::fread(header, 1, kHeaderBytes, in.f);
  if (got >= 8 && std::memcmp(header, kMagic, 8) != 0)
    throw CodedError("ERR_ASCMH_INDEX_FORMAT", path + " is not an ascmh Hamming index file");
  if (got < kHeaderBytes) throw CodedError("ERR_ASCMH_INDEX_TRUNCATED", path + " is truncated (incomplete header)");
  uint32_t version, bits;
  uint64_t count, payload, hsum;
  int64_t next_auto;
  std::memcpy(&version, header + 8, 4);
  std::memcpy(&bits, header + 12, 4);
  std::memcpy(&count, header + 16, 8);
  std::memcpy(&next_auto, header + 24, 8);
  std::memcpy(&payload, header + 32, 8);
  std::memcpy(&hsum, header + 40, 8);
  if (hsum != header_checksum(header)) throw CodedError("ERR_ASCMH_INDEX_CORRUPT", path + ": header checksum mismatch");
  if (version != kVersion)
    throw CodedError("ERR_ASCMH_INDEX_VERSION", path + " has format version " + std::to_string(version) +
                                                    ", this build reads version " + std::to_string(kVersion));
  if (bits < 1 || bits > 1024 || count > (uint64_t(1) << 40))
    throw CodedError("ERR_ASCMH_INDEX_CORRUPT", path + ": header values out of range");
  const int words = words_per_code(static_cast<int>(bits));
  const uint64_t expected = kHeaderBytes + count * (static_cast<uint64_t>(words) + 1) * 8;
  if (std::fseek(in.f, 0, SEEK_END) != 0) io_error("cannot read", path);
  const long size = std::ftell(in.f);
  if (size < 0 || std::fseek(in.f, static_cast<long>(kHeaderBytes), SEEK_SET) != 0) io_error("cannot read", path);
  if (static_cast<uint64_t>(size) < expected)
    throw CodedError("ERR_ASCMH_INDEX_TRUNCATED", path + " is truncated: " + std::to_string(size) + " bytes, " +
                                                      std::to_string(expected) + " expected");
  if (static_cast<uint64_t>(size) > expected)
    throw CodedError("ERR_ASCMH_INDEX_CORRUPT", path + " has " + std::to_string(size - expected) + " trailing bytes");

  auto seg = std::make_shared<Segment>();
  seg->codes.resize(count * words);
  seg->ids.resize(count);
  Checksum sum;
  // Read in 4 MiB pieces and hash each while it is still in cache.
  auto read = [&](uint64_t* dst, size_t n) {
    const size_t piece = size_t(1) << 19;
    for (size_t at = 0; at < n; at += piece) {
      const size_t len = std::min(piece, n - at);
      if (std::fread(dst + at, sizeof(uint64_t), len, in.f) != len)
        throw CodedError("ERR_ASCMH_INDEX_TRUNCATED", path + " ended early");
      sum.update(dst + at, len);
      sum.count(len);
    }
  };
  read(seg->codes.data(), seg->codes.size());
  read(reinterpret_cast<uint64_t*>(seg->ids.data()), seg->ids.size());
  if (sum.value() != payload) throw CodedError("ERR_ASCMH_INDEX_CORRUPT", path + ": data checksum mismatch");
  if (bits % 64) {
    const uint64_t mask = (uint64_t(1) << (bits % 64)) - 1;
    for (uint64_t i = 0; i < count; ++i)
      if (seg->codes[i * words + words - 1] & ~mask)
        throw CodedError("ERR_ASCMH_INDEX_CORRUPT", path + ": code bits set beyond the code width");
  }

  // The checksum guards against accidents only: check what add() guarantees, so a forged file
  // cannot make automatic ids collide.
  if (next_auto < 0) throw CodedError("ERR_ASCMH_INDEX_CORRUPT", path + ": negative next automatic id");
  if (count) {
    const int64_t* ids = seg->ids.data();
    bool increasing = true;
    for (uint64_t i = 1; i < count && increasing; ++i) increasing = ids[i - 1] < ids[i];
    int64_t largest = ids[count - 1];
    if (!increasing) {
      std::vector<int64_t> sorted(ids, ids + count);
      std::sort(sorted.begin(), sorted.end());
      if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
        throw CodedError("ERR_ASCMH_INDEX_CORRUPT", path + ": an id occurs more than once");
      largest = sorted.back();
    }
    if (largest >= next_auto && !(largest == INT64_MAX && next_auto == INT64_MAX))
      throw CodedError("ERR_ASCMH_INDEX_CORRUPT", path + ": the next automatic id " + std::to_string(next_auto) +
                                                  " is already taken");
  }

  auto next = std::make_shared<Snapshot>();
  next->bits = static_cast<int>(bits);
  next->words = words;
  if (count) next->segments.push_back({seg, nullptr, 0, 0});
  std::lock_guard<std::mutex> lock(mutex_);
  publish(with_offsets(std::move(next)));
  next_auto_id_ = next_auto;
  map_.clear();
  map_valid_ = false;
}

}  // namespace ascmh
