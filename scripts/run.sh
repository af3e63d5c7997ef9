#!/usr/bin/env bash
# Installs missing dependencies, builds spsim (Release) and runs its main job:
# the default study (a readable table, a Perfetto trace in out/trace.json,
# the metrics in out/metrics.json). Usage: scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 > /dev/null
cmake --build build -j "$(nproc)" --target spsim
echo
mkdir -p out
# The default study: Llama-3-8B, one 128K-token sequence, fwd+bwd, every
# strategy on one DGX H100 node (flow network model).
exec build/tools/spsim run --model llama3-8b --seq 131072 --strategy all --topology h100-sxm8 \
  --trace out/trace.json --json out/metrics.json
