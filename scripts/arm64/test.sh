#!/usr/bin/env bash
# Runs scripts/arm64/checks.mjs against the linux-arm64 prebuild under qemu-user, with Debian's
# arm64 Node (bookworm: Node 18.20, Node-API 9) extracted with its libraries into
# build-arm64-sysroot/ (it cannot be installed beside the host's Node). Two passes: qemu's default
# CPU with the environment as given (OpenBLAS then runs its generic armv8 kernels), and a Neoverse
# N1 (AWS Graviton2, Ampere Altra), whose kernels OpenBLAS picks itself once OPENBLAS_CORETYPE (set
# here for the x86 build) is unset. Both also compare with models trained by the host's x64 build
# (build/Release) when present. Needs root for apt-get on first use; arguments go to node.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/arm64/setup.sh

sysroot=build-arm64-sysroot
node_debs=(nodejs:arm64 libnode108:arm64 libc6:arm64 libgcc-s1:arm64 libstdc++6:arm64 libuv1:arm64
  libbrotli1:arm64 libc-ares2:arm64 libicu72:arm64 libnghttp2-14:arm64 libssl3:arm64 zlib1g:arm64
  node-acorn node-cjs-module-lexer node-undici node-busboy node-xtend)

command -v qemu-aarch64 >/dev/null || arm64_install qemu-user
if [ ! -x "$sysroot/usr/bin/node" ]; then
  arm64_apt_ready
  rm -rf "$sysroot" && mkdir -p "$sysroot/debs"
  echo "arm64: apt-get download ${node_debs[*]}"
  # (apt warns that root downloads unsandboxed into a folder _apt cannot write: harmless)
  (cd "$sysroot/debs" && apt-get download -qq "${node_debs[@]}" 2> >(grep -v unsandboxed >&2))
  for deb in "$sysroot"/debs/*.deb; do dpkg -x "$deb" "$sysroot"; done
  rm -rf "$sysroot/debs"
fi
npm run build:ts >/dev/null

# The x64 reference (models trained by the host's build/Release, built from this tree: run
# `npm run build:native` first), which the checks compare with this build. Skipped without it.
reference=build-arm64-sysroot/x64-reference
rm -rf "$reference"
if [ -f build/Release/ascmh.node ]; then
  mkdir -p "$reference"
  echo "arm64: the x64 reference, from build/Release"
  ASCMH_NATIVE=build ASCMH_WRITE_REFERENCE="$reference" node --test-reporter=dot scripts/arm64/checks.mjs
  export ASCMH_X64_REFERENCE="$reference"
else
  echo "arm64: no build/Release/ascmh.node, so no comparison with x64 (npm run build:native)"
fi

node=(qemu-aarch64 -L "$sysroot" "$sysroot/usr/bin/node")
echo "arm64: $("${node[@]}" -p '`Node ${process.version} ${process.arch}, Node-API ${process.versions.napi}`')"
status=0
start=$SECONDS
echo "arm64: checks on qemu's default CPU"
ASCMH_NATIVE=prebuild "${node[@]}" "$@" scripts/arm64/checks.mjs || status=1
echo "arm64: checks on a Neoverse N1 ($((SECONDS - start)) s for the first pass)"
start=$SECONDS
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ASCMH_NATIVE=prebuild ASCMH_EXPECT_BLAS_CORE=neoversen1 \
  qemu-aarch64 -cpu neoverse-n1 -L "$sysroot" "$sysroot/usr/bin/node" "$@" scripts/arm64/checks.mjs || status=1
echo "arm64: $((SECONDS - start)) s for the second pass"
exit $status
