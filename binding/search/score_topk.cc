#include "search/score_topk.h"

#include <algorithm>

namespace ascmh {

namespace {
// Better first: higher score, then earlier position.
struct Better {
  template <class E>
  bool operator()(const E& a, const E& b) const {
    return a.score > b.score || (a.score == b.score && a.pos < b.pos);
  }
};
}  // namespace

void ScoreTopK::reset(int64_t k) {
  k_ = k;
  compact_at_ = 2 * k + 64;
  cut_ = -std::numeric_limits<float>::infinity();
  dead_ = nullptr;
  dead_base_ = 0;
  entries_.clear();
}

// Exactly k kept: the worst of them is the cut.
void ScoreTopK::first_cut() {
  float worst = entries_[0].score;
  for (const Entry& e : entries_) worst = std::min(worst, e.score);
  cut_ = worst;
}

void ScoreTopK::compact() {
  std::nth_element(entries_.begin(), entries_.begin() + (k_ - 1), entries_.end(), Better());
  entries_.resize(static_cast<size_t>(k_));
  cut_ = entries_[static_cast<size_t>(k_ - 1)].score;  // the k-th best
}

void ScoreTopK::order() {
  const size_t n = static_cast<size_t>(size());
  if (entries_.size() > n) std::nth_element(entries_.begin(), entries_.begin() + n, entries_.end(), Better());
  entries_.resize(n);
  std::sort(entries_.begin(), entries_.end(), Better());
}

void ScoreTopK::finish(int64_t* pos, float* score) {
  order();
  for (size_t i = 0; i < entries_.size(); ++i) {
    pos[i] = entries_[i].pos;
    score[i] = entries_[i].score;
  }
}

void ScoreTopK::finish(std::vector<int64_t>& pos, std::vector<float>& score) {
  pos.resize(static_cast<size_t>(size()));
  score.resize(pos.size());
  finish(pos.data(), score.data());
}

}  // namespace ascmh
