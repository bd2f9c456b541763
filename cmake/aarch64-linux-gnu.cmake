# Cross-compiles the addon for linux-arm64 with Debian's aarch64 toolchain (g++-aarch64-linux-gnu)
# against the arm64 OpenBLAS/LAPACKE of multiarch (libopenblas-dev:arm64 liblapacke-dev:arm64).
# Used by scripts/arm64/build.sh through scripts/make-prebuild.cjs --arch arm64.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Multiarch: the arm64 libraries live beside the host's, under /usr/lib/aarch64-linux-gnu.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_STRIP aarch64-linux-gnu-strip)
