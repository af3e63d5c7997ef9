#!/usr/bin/env bash
# Installs missing dependencies, builds spsim (Release) and runs its main job:
# the default study. Usage: scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j "$(nproc)" --target spsim
echo
exec build/tools/spsim verify --strategy all --sp 4 --seq 256 --batch 1 --heads 8 --kv-heads 2 --dim 32 --causal --pass fwd+bwd
