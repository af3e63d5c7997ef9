#!/usr/bin/env bash
# Builds the release tree (build/) and runs every benchmark of bench/, each
# printing its own figures: Program building, the engine with both network
# models, the FlexSP planner, and the 1,000-configuration sweep.
# Usage: scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 >/dev/null
cmake --build build -j "$(nproc)" --target spsim program_build_bench engine_bench plan_bench
echo "== program_build_bench ring 1024"; build/bench/program_build_bench ring 1024
echo "== engine_bench 1024"; build/bench/engine_bench 1024
echo "== plan_bench"; build/bench/plan_bench
echo "== sweep_bench"; bench/sweep_bench.sh build
