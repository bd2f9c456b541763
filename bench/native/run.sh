#!/bin/sh
# Builds bench/native/kernels_bench.cc against the native sources of a tree (default: this one)
# with the addon's flags (-O2, baseline x86-64) and runs it: bench/native/run.sh [N] [queries] [reps]
# TREE=/path/to/other/checkout compiles another tree's kernels (OLD=1 for the hamming_kernels.h layout).
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
TREE="${TREE:-$HERE/../..}"
OUT="${OUT:-/tmp/ascmh-kernels-bench-$$}"
DEF=""
[ "${OLD:-0}" = 1 ] && DEF="-DASCMH_OLD_KERNELS"
g++ -O2 -std=c++17 -fPIC -pthread $DEF -I"$TREE/binding" -o "$OUT" "$HERE/kernels_bench.cc" \
  "$TREE"/binding/search/*.cc "$TREE/binding/core/thread_pool.cc" "$TREE/binding/core/memory_limit.cc"
"$OUT" "$@"
rm -f "$OUT"
