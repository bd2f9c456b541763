#!/bin/sh
# Builds the ASan+UBSan addon into build-sanitize/Sanitize/ascmh.node (build/Release is untouched)
# and the UBSan log_path shim into build-sanitize/ubsan-log-path.so. CMakeLists.txt is unchanged,
# so the embedded source hash (and the prebuild freshness test) is the same as for Release.
set -eu
cd "$(dirname "$0")/../.."
SAN="-g -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer"
npx cmake-js compile -O build-sanitize -B Sanitize \
  --CDCMAKE_CXX_FLAGS_SANITIZE="$SAN" --CDCMAKE_C_FLAGS_SANITIZE="$SAN" \
  --CDCMAKE_SHARED_LINKER_FLAGS_SANITIZE="-fsanitize=address,undefined,float-cast-overflow"
gcc -O2 -shared -fPIC -o build-sanitize/ubsan-log-path.so scripts/sanitize/ubsan-log-path.c -ldl
nm -D --undefined-only build-sanitize/Sanitize/ascmh.node | grep -q __asan_report
nm -D --undefined-only build-sanitize/Sanitize/ascmh.node | grep -q __ubsan_handle_float_cast_overflow
echo "sanitized addon: build-sanitize/Sanitize/ascmh.node"
