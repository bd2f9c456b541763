// The phases of a fit, each reported once as it starts through the method's progress callback
// (a report whose phase is set carries nothing else), so a caller can show where a long fit is.
#pragma once

namespace ascmh {

enum class FitPhase : int { none = 0, features = 1, iterations = 2, hash_functions = 3 };

inline const char* phase_name(FitPhase phase) {
  switch (phase) {
    case FitPhase::features: return "features";
    case FitPhase::iterations: return "iterations";
    case FitPhase::hash_functions: return "hash-functions";
    default: return "none";
  }
}

// Sends the start of `phase` through a progress callback of reports of type Report.
template <class Report, class Progress>
void report_phase(const Progress& progress, FitPhase phase) {
  if (!progress) return;
  Report r;
  r.phase = phase;
  progress(r);
}

}  // namespace ascmh
