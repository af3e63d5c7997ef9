#!/usr/bin/env bash
# Builds spsim's libFuzzer targets (fuzz/, clang, address + undefined
# sanitizers, in build-fuzz/) and runs each for a given time on one core.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET [TARGET...]]   (default 60 s, all)
# Seeds: fuzz/corpus/<target>/ (kept in git; add every finding's input there
# as a regression input). What the runs add goes to build-fuzz/corpus/.
# Run one fuzz.sh at a time: they share build-fuzz/ (build it once, then run
# build-fuzz/fuzz/<target> directly to fuzz several targets in parallel).
# Exit status: 0 when every target ran clean; 1 on a crash, leak, timeout or
# sanitizer report (its input is in build-fuzz/artifacts/<target>/).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
scripts/install-deps.sh

cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DSPSIM_FUZZ=ON -DSPSIM_BUILD_TESTS=OFF -DSPSIM_BUILD_BENCH=OFF \
  -DSPSIM_INSTALL=OFF >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=()
  for f in fuzz/fuzz_*.cc; do targets+=("$(basename "$f" .cc)"); done
fi
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]}"

failed=0
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/artifacts/$t"
  log="build-fuzz/$t.log"
  # -max_len: spsim's inputs that matter are small; 16 KiB holds every seed.
  # -timeout: one input running 10 s is a finding (unbounded work).
  if build-fuzz/fuzz/"$t" -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2560 \
      -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$t/" \
      "build-fuzz/corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  printf '%-22s %-6s %12s executions  %8s/s  (log: %s)\n' "$t" "$status" "${runs:-?}" "${rate:-?}" "$log"
  if [ "$status" = FAILED ]; then grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -5 || true; fi
done
exit $failed
