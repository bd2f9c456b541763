#!/usr/bin/env bash
# Cross-compiles prebuilds/linux-arm64/ascmh.glibc.node on Debian x64: installs the aarch64
# toolchain and the arm64 OpenBLAS/LAPACKE (multiarch) when missing, then runs
# `npm run prebuilds -- --arch arm64` (a clean CMake build in build-arm64/, stripped into prebuilds/).
# Needs root for apt-get, and node_modules (npm ci). Test the result with scripts/arm64/test.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/arm64/setup.sh

arm64_install cmake ninja-build g++-aarch64-linux-gnu binutils-aarch64-linux-gnu libopenblas-dev:arm64 liblapacke-dev:arm64
[ -d node_modules/cmake-js ] || npm ci --no-audit --no-fund
node scripts/make-prebuild.cjs --arch arm64

out=prebuilds/linux-arm64/ascmh.glibc.node
echo "arm64: $out, $(stat -c %s "$out") bytes; NEEDED: $(aarch64-linux-gnu-readelf -d "$out" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
