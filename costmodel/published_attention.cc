#include "costmodel/published_attention.h"

namespace spsim {
namespace {

constexpr std::string_view kFa2Source =
    "../shared/reference/hardware.md; Dao-AILab/flash-attention benchmarks/ (FlashAttention-2, "
    "hdim 128, 16K tokens per batch)";
constexpr std::string_view kFa3Source =
    "../shared/reference/hardware.md; Dao-AILab/flash-attention hopper/benchmark_attn.py "
    "(FlashAttention-3, hdim 128)";

// hardware.md: "FA2 fwd+bwd, A100, hdim 128, 16K tokens per batch: non-causal
// ≈150 (S=512) → 203 TFLOP/s (16K)". Only the two end points are quoted.
constexpr ThroughputPoint kFa2A100Full[] = {{512, 150}, {16384, 203}};
// "causal 99, 133, 155, 173, 182, 189 at 512…16K".
constexpr ThroughputPoint kFa2A100Causal[] = {{512, 99},   {1024, 133}, {2048, 155},
                                              {4096, 173}, {8192, 182}, {16384, 189}};
// "FA2 fwd+bwd, H100, hdim 128: non-causal 248 → 338" (512 and 16K).
constexpr ThroughputPoint kFa2H100Full[] = {{512, 248}, {16384, 338}};
// "causal 163, 221, 265, 294, 308, 328".
constexpr ThroughputPoint kFa2H100Causal[] = {{512, 163},  {1024, 221}, {2048, 265},
                                              {4096, 294}, {8192, 308}, {16384, 328}};
// "FA3 fwd, H100, hdim 128: non-causal 467, ~565, 625, 638, 646, 648; causal
// 292, 423, 521, 579, 602, 616 (S = 512, 1K, 2K, 4K, 8K, 16K)".
constexpr ThroughputPoint kFa3H100Full[] = {{512, 467},  {1024, 565}, {2048, 625},
                                            {4096, 638}, {8192, 646}, {16384, 648}};
constexpr ThroughputPoint kFa3H100Causal[] = {{512, 292},  {1024, 423}, {2048, 521},
                                              {4096, 579}, {8192, 602}, {16384, 616}};

}  // namespace

const AttentionBenchmarkSeries& fa2_a100_fwdbwd_full() {
  static const AttentionBenchmarkSeries s{"fa2-a100-fwdbwd-full", kFa2Source, false, kFa2A100Full};
  return s;
}
const AttentionBenchmarkSeries& fa2_a100_fwdbwd_causal() {
  static const AttentionBenchmarkSeries s{"fa2-a100-fwdbwd-causal", kFa2Source, true, kFa2A100Causal};
  return s;
}
const AttentionBenchmarkSeries& fa2_h100_fwdbwd_full() {
  static const AttentionBenchmarkSeries s{"fa2-h100-fwdbwd-full", kFa2Source, false, kFa2H100Full};
  return s;
}
const AttentionBenchmarkSeries& fa2_h100_fwdbwd_causal() {
  static const AttentionBenchmarkSeries s{"fa2-h100-fwdbwd-causal", kFa2Source, true, kFa2H100Causal};
  return s;
}
const AttentionBenchmarkSeries& fa3_h100_fwd_full() {
  static const AttentionBenchmarkSeries s{"fa3-h100-fwd-full", kFa3Source, false, kFa3H100Full};
  return s;
}
const AttentionBenchmarkSeries& fa3_h100_fwd_causal() {
  static const AttentionBenchmarkSeries s{"fa3-h100-fwd-causal", kFa3Source, true, kFa3H100Causal};
  return s;
}

}  // namespace spsim
