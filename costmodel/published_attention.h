#pragma once
// Published FlashAttention benchmark figures the device presets are fitted to
// (../shared/reference/hardware.md, "Attention kernel efficiency"; original:
// Dao-AILab/flash-attention `benchmarks/` (FlashAttention-2) and
// `hopper/benchmark_attn.py` (FlashAttention-3)).
//
// Every series: S x S blocks, head dim 128, batch · S = 16K tokens, BF16/FP16.
// Throughput is as published: FLOPs 4·S²·D per head for the forward pass
// (backward 2.5x that, fwd+bwd 3.5x), *halved* for causal masks whatever the
// kernel really computes.

#include <span>
#include <string_view>

#include "costmodel/efficiency_fit.h"

namespace spsim {

struct AttentionBenchmarkSeries {
  std::string_view name;    // e.g. "fa2-a100-fwdbwd-causal"
  std::string_view source;  // citation
  bool causal = false;
  std::span<const ThroughputPoint> points;  // (S, published TFLOP/s)
};

// FlashAttention-2, forward + backward, A100 SXM4.
const AttentionBenchmarkSeries& fa2_a100_fwdbwd_full();
const AttentionBenchmarkSeries& fa2_a100_fwdbwd_causal();
// FlashAttention-2, forward + backward, H100 SXM5.
const AttentionBenchmarkSeries& fa2_h100_fwdbwd_full();
const AttentionBenchmarkSeries& fa2_h100_fwdbwd_causal();
// FlashAttention-3, forward, H100 SXM5.
const AttentionBenchmarkSeries& fa3_h100_fwd_full();
const AttentionBenchmarkSeries& fa3_h100_fwd_causal();

}  // namespace spsim
