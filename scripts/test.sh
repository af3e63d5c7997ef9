#!/usr/bin/env bash
# Builds and runs spsim's whole test suite, twice: a Release build with
# warnings as errors (gcc; the CUDA executor too where CUDA is installed), and
# the sanitizer build (scripts/sanitizer-build.sh: clang, AddressSanitizer +
# UndefinedBehaviorSanitizer); then runs each fuzzer of that same build for
# 5 s (scripts/fuzz.sh). Both builds are unity builds (16 sources per
# compiler run): from clean they take half the time, which keeps CI well
# inside its budget.
# Installs missing dependencies first.
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

jobs=$(nproc)
echo "== release build (build/) =="
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSPSIM_WERROR=ON -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== sanitizer build (build-asan/): clang, address + undefined, libFuzzer coverage =="
scripts/sanitizer-build.sh
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"

echo "== fuzzers (build-asan/fuzz/): each parser briefly, on its seed corpus =="
scripts/fuzz.sh 5
echo "== all tests passed =="
