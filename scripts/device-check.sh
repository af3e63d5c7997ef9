#!/usr/bin/env bash
# scripts/device-check.sh OUT — everything spsim measures on a GPU machine, in
# one command, in under 8 minutes; every result lands in OUT (raw logs, the
# GPU's name, the date, measured Timeline files):
#   1. build spsim with the CUDA executor (or use a build carried along, see
#      SPSIM_BUILD), finding NCCL in the standard CUDA location or inside the
#      machine's PyTorch wheels (nvidia-nccl-cu*);
#   2. the GPU tests (tests/gpu: numerics of every strategy, emulated and
#      multi-GPU, and kernels mode);
#   3. emulated-rank numerics of ring, zigzag, striped, allgather, ulysses and
#      tokenring at P = 2..8 against the dense reference (spsim replay --check);
#   4. a kernel replay grid: attention forward/backward blocks over lengths,
#      heads, head dims and masks (causal, full, zigzag and striped blocks);
#      the GEMMs of llama3-8b's layers; device-to-device copies (the gathers
#      and, in emulated runs, the transfers);
#   5. with two or more GPUs, a multi-GPU ring replay with NCCL.
# Steps past the time budget (SPSIM_DEVICE_BUDGET_S, default 450 s) are
# skipped and say so. Commit OUT under data/measured/ afterwards.
set -uo pipefail
OUT=${1:?usage: scripts/device-check.sh OUTDIR}
mkdir -p "$OUT"
exec > >(tee "$OUT/device-check.log") 2>&1
cd "$(dirname "$0")/.."
START=$(date +%s)
BUDGET=${SPSIM_DEVICE_BUDGET_S:-450}
BUILD=${SPSIM_BUILD:-build-gpu}

elapsed() { echo $(( $(date +%s) - START )); }
in_budget() {
  if [ "$(elapsed)" -ge "$BUDGET" ]; then echo "SKIPPED (time budget ${BUDGET}s spent): $*"; return 1; fi
}

echo "== spsim device check, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
date -u +%Y-%m-%dT%H:%M:%SZ > "$OUT/date.txt"
if ! nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv | tee "$OUT/gpu.csv"; then
  echo "no nvidia-smi: is there a GPU?"
fi
nvidia-smi topo -m > "$OUT/nvidia-smi-topo.txt" 2>&1 || true

# --- 1. build ---------------------------------------------------------------

if [ ! -f /usr/local/cuda/include/nccl.h ]; then
  # PyTorch wheels ship NCCL as the nvidia-nccl-cu* package.
  NCCL_HOME=$(python3 -c 'import nvidia.nccl, os; print(os.path.dirname(nvidia.nccl.__file__))' 2>/dev/null || true)
  if [ -n "$NCCL_HOME" ]; then
    echo "NCCL from the PyTorch wheel: $NCCL_HOME"
    [ -e "$NCCL_HOME/lib/libnccl.so" ] || ln -sf "$(ls "$NCCL_HOME"/lib/libnccl.so.* | head -1)" "$NCCL_HOME/lib/libnccl.so" 2>/dev/null || true
    export NCCL_HOME
    export LD_LIBRARY_PATH="$NCCL_HOME/lib:${LD_LIBRARY_PATH:-}"
  fi
fi
SPSIM="$BUILD/tools/spsim"
if [ -x "$SPSIM" ] && "$SPSIM" list strategies > /dev/null 2>&1; then
  echo "using the build in $BUILD"
else
  echo "building in $BUILD ($(nproc) cores)"
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSPSIM_CUDA=ON -DSPSIM_BUILD_BENCH=OFF \
    -DSPSIM_INSTALL=OFF > "$OUT/cmake.log" 2>&1 || { cat "$OUT/cmake.log"; exit 1; }
  ninja -C "$BUILD" -j"$(nproc)" spsim gpu_replay_test > "$OUT/build.log" 2>&1 || { tail -50 "$OUT/build.log"; exit 1; }
fi
echo "built at $(elapsed)s"

# --- 2. GPU tests -----------------------------------------------------------
echo "== GPU tests"
"$BUILD/tests/gpu_replay_test" > "$OUT/gpu_replay_test.txt" 2>&1
echo "gpu_replay_test exit $?"; tail -3 "$OUT/gpu_replay_test.txt"

# --- 3. emulated numerics ---------------------------------------------------
echo "== emulated numerics (fresh inputs per check)"
SEED=$(( $(date +%s) % 100000 ))
for s in ring zigzag striped allgather ulysses tokenring; do
  for P in 2 3 4 5 6 7 8; do
    in_budget "numerics $s P=$P" || break 2
    SEED=$((SEED + 1))
    # llama3-8b's attention shapes (32 heads, 8 KV heads, d 128), 8K tokens, bf16.
    "$SPSIM" replay --strategy "$s" --sp "$P" --seq $((8192 / (2 * P) * 2 * P)) --scope attention --layers 1 \
      --mode emulated --check --warmup 1 --repeats 3 --input-seed "$SEED" \
      --json "$OUT/numerics_${s}_P${P}.json" --timeline "$OUT/emulated_${s}_P${P}.timeline.json" \
      > "$OUT/numerics_${s}_P${P}.txt" 2>&1
    echo "$s P=$P exit $?: $(grep -h -E 'numerics|error' "$OUT/numerics_${s}_P${P}.txt" | head -1)"
  done
done

# --- 4. kernel replay grid --------------------------------------------------
echo "== kernel replay grid"
MODELS="$OUT/models"
mkdir -p "$MODELS"
model() {  # name heads kv_heads head_dim causal
  cat > "$MODELS/$1.json" <<EOF
{"name": "$1", "layers": 1, "hidden": $(($2 * $4)), "heads": $2, "kv_heads": $3, "head_dim": $4, "ffn": $((4 * $2 * $4)),
 "vocab": 32000, "attention": "softmax", "causal": $5, "activation": "swiglu", "norm": "rmsnorm", "linear_bias": false,
 "learned_positions": 0, "tied_embeddings": false, "source": "device-check grid shape"}
EOF
}
for d in 64 128 256; do
  for h in 8 32; do
    for causal in true false; do model "grid-h${h}-d${d}-${causal}" "$h" "$((h / 4))" "$d" "$causal"; done
  done
done
for f in "$MODELS"/grid-*.json; do
  name=$(basename "$f" .json)
  for S in 4096 16384 65536; do
    in_budget "kernels $name S=$S" || break 2
    "$SPSIM" replay --model-file "$f" --strategy ring --sp 1 --seq "$S" --scope attention --layers 1 --mode kernels \
      --warmup 2 --repeats 5 --timeline "$OUT/kernels_${name}_S${S}.timeline.json" > "$OUT/kernels_${name}_S${S}.txt" 2>&1
    echo "$name S=$S exit $?"
  done
done
# Zigzag and striped blocks (half-masked, strided masks) of llama3-8b's attention.
for s in zigzag striped; do
  in_budget "kernels $s" || break
  "$SPSIM" replay --strategy "$s" --sp 4 --seq 32768 --scope attention --layers 1 --mode kernels \
    --timeline "$OUT/kernels_${s}_P4.timeline.json" > "$OUT/kernels_${s}_P4.txt" 2>&1
  echo "kernels $s P=4 exit $?"
done
# llama3-8b's layer GEMMs (projections, MLP) and its copies.
if in_budget "kernels llama3-8b layer"; then
  "$SPSIM" replay --model llama3-8b --strategy ring --sp 1 --seq 8192 --scope model --layers 1 --mode kernels \
    --timeline "$OUT/kernels_llama3-8b_layer.timeline.json" > "$OUT/kernels_llama3-8b_layer.txt" 2>&1
  echo "kernels llama3-8b layer exit $?"
fi

# --- 5. multi-GPU -----------------------------------------------------------
GPUS=$(nvidia-smi -L 2>/dev/null | wc -l)
if [ "$GPUS" -ge 2 ] && in_budget "multi-gpu ring"; then
  "$SPSIM" replay --strategy ring --sp "$GPUS" --seq 65536 --scope attention --layers 1 --mode multi-gpu --check \
    --timeline "$OUT/multigpu_ring.timeline.json" > "$OUT/multigpu_ring.txt" 2>&1
  echo "multi-gpu ring exit $?"
else
  echo "multi-gpu: $GPUS GPU(s), skipped"
fi
echo "== done in $(elapsed)s; results in $OUT"
