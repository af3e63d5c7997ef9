#!/usr/bin/env bash
# Configures and builds spsim's one sanitizer build, build-asan/: clang,
# AddressSanitizer + UndefinedBehaviorSanitizer, -O1, with libFuzzer's
# coverage in every object, so the same objects serve the tests (ctest) and
# the fuzz targets (fuzz/, scripts/fuzz.sh). One build instead of two keeps
# scripts/test.sh inside CI's time. The CUDA executor is left out (its
# objects are not instrumented).
# Usage: scripts/sanitizer-build.sh [TARGET...]   (default: everything)
set -euo pipefail
cd "$(dirname "$0")/.."
# A build-asan/ configured by an older script (gcc) is started afresh.
if [ -f build-asan/CMakeCache.txt ] && ! grep -q '^SPSIM_FUZZ:BOOL=ON' build-asan/CMakeCache.txt; then
  rm -rf build-asan
fi
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DSPSIM_WERROR=ON -DSPSIM_FUZZ=ON -DSPSIM_BUILD_BENCH=OFF -DSPSIM_MPI=OFF \
  -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 >/dev/null
if [ $# -eq 0 ]; then
  cmake --build build-asan -j "$(nproc)"
else
  cmake --build build-asan -j "$(nproc)" --target "$@"
fi
