#!/bin/bash
# Runs the vitest suite (and anything given after --, e.g. a repro) against the sanitized addon.
# Fails if vitest fails OR any sanitizer report was written (by a worker or any process it spawned).
#   scripts/sanitize/test.sh [vitest args...]
set -u
cd "$(dirname "$0")/../.."
LOGDIR=${SAN_LOG_DIR:-$PWD/build-sanitize/reports}
rm -rf "$LOGDIR" && mkdir -p "$LOGDIR"
npx tsc -p tsconfig.build.json || exit 1   # the CLI tests run dist/cli.js
export ASCMH_NATIVE=sanitize
# The generic (portable) kernels by default (ASCMH_KERNELS=best: the CPU's own); the tests that force each kernel still run the
# POPCNT, AVX2 and AVX-512 ones, which GCC instruments as well.
export ASCMH_KERNELS=${ASCMH_KERNELS:-generic}
export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $PWD/build-sanitize/ubsan-log-path.so"
# detect_leaks=0: node's own allocations are not ours. allocator_may_return_null=1: tests allocate
# absurd sizes on purpose and expect a RangeError, not an ASan OOM abort.
export ASAN_OPTIONS="detect_leaks=${SAN_LEAKS:-0}:allocator_may_return_null=1:abort_on_error=1:log_path=$LOGDIR/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=${UBSAN_HALT:-0}:log_path=$LOGDIR/ubsan"
npx vitest run "$@"
rc=$?
if compgen -G "$LOGDIR/*" > /dev/null; then
  echo "::error::sanitizer reports in $LOGDIR:" >&2
  for f in "$LOGDIR"/*; do echo "--- $f" >&2; cat "$f" >&2; done
  [ $rc -eq 0 ] && rc=3
fi
exit $rc
