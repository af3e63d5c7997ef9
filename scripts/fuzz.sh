#!/usr/bin/env bash
# Builds spsim's libFuzzer targets (fuzz/) in the sanitizer build
# (scripts/sanitizer-build.sh: clang, address + undefined, build-asan/) and
# runs each for a given time on one core, as many at once as there are cores
# (FUZZ_JOBS=N: N at once).
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET [TARGET...]]   (default 60 s, all)
#        scripts/fuzz.sh --runs N [TARGET...]   (each target until N executions)
# Seeds: fuzz/corpus/<target>/ (kept in git; add every finding's input there
# as a regression input). What the runs add goes to build-asan/corpus/.
# Run one fuzz.sh at a time: they share build-asan/.
# Exit status: 0 when every target ran clean; 1 on a crash, leak, timeout or
# sanitizer report (its input is in build-asan/artifacts/<target>/).
set -euo pipefail
cd "$(dirname "$0")/.."
limit=(-max_total_time="${1:-60}")
if [ "${1:-}" = --runs ]; then
  limit=(-runs="${2:?--runs needs a number of executions}")
  shift
fi
shift || true
scripts/install-deps.sh

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=()
  for f in fuzz/fuzz_*.cc; do targets+=("$(basename "$f" .cc)"); done
fi
scripts/sanitizer-build.sh "${targets[@]}"

export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# fuzz_one TARGET: runs it; its log is build-asan/TARGET.log, its exit status
# build-asan/TARGET.rc.
fuzz_one() {
  local t=$1
  mkdir -p "build-asan/corpus/$t" "build-asan/artifacts/$t"
  # -max_len: spsim's inputs that matter are small; 16 KiB holds every seed.
  # -timeout: one input running 10 s is a finding (unbounded work).
  local rc=0
  build-asan/fuzz/"$t" "${limit[@]}" -max_len=16384 -timeout=10 -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix="build-asan/artifacts/$t/" \
    "build-asan/corpus/$t" "fuzz/corpus/$t" >"build-asan/$t.log" 2>&1 || rc=$?
  echo "$rc" >"build-asan/$t.rc"
}
parallel=${FUZZ_JOBS:-$(nproc)}
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$parallel" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  fuzz_one "$t" &
  running=$((running + 1))
done
wait

failed=0
for t in "${targets[@]}"; do
  log="build-asan/$t.log"
  if [ "$(cat "build-asan/$t.rc")" = 0 ]; then
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
