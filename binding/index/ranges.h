// How a search walks a Snapshot (index/snapshot.h): the live chunks as ranges of positions, split
// into runs for threads, and positions turned into ids. Shared by the Hamming and the asymmetric
// searches.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "index/snapshot.h"

namespace ascmh {

// Items [begin, end) of chunk `slot`.
struct Range {
  size_t slot;
  int64_t begin, end;
};

// Every chunk that holds a live item, whole, in position order.
std::vector<Range> live_ranges(const Snapshot& s);

// The ranges split into `parts` runs of about equal item counts, in position order.
std::vector<std::vector<Range>> split_ranges(const std::vector<Range>& ranges, int64_t parts);

// Positions to ids in place, on the calling thread: a damaged id block of a mapped file throws here.
void positions_to_ids(const Snapshot& s, int64_t* positions, int64_t count);

}  // namespace ascmh
