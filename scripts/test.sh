#!/usr/bin/env bash
# Builds and runs spsim's whole test suite, twice: a Release build with
# warnings as errors, and a Debug build with AddressSanitizer +
# UndefinedBehaviorSanitizer; then runs each fuzzer for 10 s (scripts/fuzz.sh).
# Installs missing dependencies first.
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

jobs=$(nproc)
echo "== release build (build/) =="
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSPSIM_WERROR=ON
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== sanitizer build (build-asan/): address + undefined =="
# -g1: line tables only (ASan reports keep file:line; compiles ~20% faster than -g).
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DSPSIM_WERROR=ON \
  -DSPSIM_SANITIZE=ON -DSPSIM_BUILD_BENCH=OFF
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"

echo "== fuzzers (build-fuzz/): each parser briefly, on its seed corpus =="
scripts/fuzz.sh 10
echo "== all tests passed =="
