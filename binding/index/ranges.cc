#include "index/ranges.h"

#include <algorithm>

namespace ascmh {

std::vector<Range> live_ranges(const Snapshot& s) {
  std::vector<Range> out;
  for (size_t slot = 0; slot < s.chunks.size(); ++slot)
    if (s.chunks[slot].data && s.chunks[slot].count > s.chunks[slot].dead_count) out.push_back({slot, 0, s.chunks[slot].count});
  return out;
}

std::vector<std::vector<Range>> split_ranges(const std::vector<Range>& ranges, int64_t parts) {
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

void positions_to_ids(const Snapshot& s, int64_t* positions, int64_t count) {
  s.verify_ids(positions, count);
  for (int64_t i = 0; i < count; ++i) positions[i] = s.id_at(positions[i]);
}

}  // namespace ascmh
