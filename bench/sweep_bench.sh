#!/usr/bin/env bash
# A 1,000-configuration sweep of the default model (llama3-8b, whole depth,
# on one DGX H100): 10 sequence lengths x 10 strategies x 10 depths, on every
# core. Prints the wall time and the rate. Usage: bench/sweep_bench.sh [BUILD]
set -euo pipefail
cd "$(dirname "$0")/.."
spsim=${1:-build}/tools/spsim
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$(date +%s.%N)
"$spsim" sweep --set seq=4K,8K,12K,16K,24K,32K,48K,64K,96K,128K \
  --set strategy=rsa,ring,zigzag,striped,allgather,ulysses,lasp2h,tokenring,usp,double-ring \
  --set layers=4,8,12,16,20,24,28,30,31,32 --jobs "$(nproc)" --csv "$out/grid.csv" >/dev/null
end=$(date +%s.%N)
rows=$(($(wc -l <"$out/grid.csv") - 1))
ok=$(grep -c ',ok,' "$out/grid.csv" || true)
awk -v s="$start" -v e="$end" -v r="$rows" -v ok="$ok" -v j="$(nproc)" 'BEGIN {
  printf "sweep bench: %d configurations (%d ran) on %d threads in %.1f s: %.1f configurations/s\n", r, ok, j, e - s, r / (e - s) }'
