// Bytes each rank sends under lasp1, lasp2 and lasp2h (program/comm_volume.h),
// against the closed forms of ../shared/reference/strategies.md.
// Notation: B sequences, Hkv key/value heads, D head dim, P ranks, C = S/P.
// A state is fp32 [B*D, Hkv, D]: B*Hkv*D*D*4 bytes (the reference's
// "B·H·d·d, fp32" with H = Hkv for MHA; GQA states hold the key/value heads).
#include <doctest/doctest.h>

#include "program/comm_volume.h"
#include "strategies/lower_attention.h"
#include "strategies/registry.h"

namespace spsim {
namespace {

Workload workload(std::int64_t seq, bool backward, std::uint32_t kv_heads = 4) {
  Workload w;
  w.seq_lens = {seq, seq};  // B = 2
  w.heads = 4;
  w.kv_heads = kv_heads;
  w.head_dim = 8;
  w.dtype = DType::kBF16;
  w.causal = true;
  w.pass = backward ? Pass::kForwardBackward : Pass::kForward;
  return w;
}

std::vector<double> sent(const char* strategy, const Workload& w, std::uint32_t P,
                         std::optional<AttentionKind> kind = std::nullopt) {
  StrategyOptions o;
  o.sp = P;
  o.layer_kind = kind;
  return bytes_sent_per_rank(lower_attention(*find_strategy(strategy), w, o));
}

// B*Hkv*D*D*4 = 2*4*8*8*4 = 2048 bytes.
constexpr double kStateBytes = 2.0 * 4 * 8 * 8 * 4;

TEST_CASE("lasp2 forward: one state all-gather per rank, independent of S") {
  const std::uint32_t P = 4;
  for (std::int64_t S : {32, 64}) {
    CAPTURE(S);
    const auto bytes = sent("lasp2", workload(S, false), P);
    // All-gather of one state: B*Hkv*D*D*4*(P-1) = 2048*3 = 6144 bytes per rank.
    for (double b : bytes) CHECK(b == kStateBytes * (P - 1));
  }
  CHECK(sent("lasp2", workload(32, false), P) == sent("lasp2", workload(64, false), P));
  // GQA: the states hold Hkv = 2 heads: 2*2*8*8*4*(P-1) = 3072 bytes.
  for (double b : sent("lasp2", workload(32, false, 2), P)) CHECK(b == 2.0 * 2 * 8 * 8 * 4 * (P - 1));
}

TEST_CASE("lasp2 forward+backward: one more all-gather, of the state gradients") {
  const std::uint32_t P = 8;
  // 2 all-gathers of one state each: 2*2048*7 = 28672 bytes per rank, for S = 32 and 64.
  for (std::int64_t S : {32, 64})
    for (double b : sent("lasp2", workload(S, true), P)) CHECK(b == 2 * kStateBytes * (P - 1));
}

TEST_CASE("lasp2 with one rank sends nothing") {
  for (double b : sent("lasp2", workload(32, true), 1)) CHECK(b == 0);
}

TEST_CASE("lasp1: P-1 states along the chain forward, P-1 back") {
  const std::uint32_t P = 4;
  for (std::int64_t S : {32, 64}) {
    CAPTURE(S);
    // Forward: rank t < P-1 sends its running prefix (one state) to t+1; rank
    // P-1 sends none. Total (P-1)*2048 bytes.
    const auto fwd = sent("lasp1", workload(S, false), P);
    double total = 0;
    for (std::uint32_t t = 0; t < P; ++t) {
      CAPTURE(t);
      CHECK(fwd[t] == (t + 1 < P ? kStateBytes : 0.0));
      total += fwd[t];
    }
    CHECK(total == (P - 1) * kStateBytes);
    // Backward adds the reverse chain: rank t > 0 sends one state gradient to
    // t-1. Rank 0 and rank P-1 send one state each, the middle ranks two.
    const auto both = sent("lasp1", workload(S, true), P);
    for (std::uint32_t t = 0; t < P; ++t) {
      CAPTURE(t);
      CHECK(both[t] == kStateBytes * ((t + 1 < P) + (t > 0)));
    }
  }
}

TEST_CASE("lasp2h softmax layers: all-gather K,V forward, reduce-scatter dK,dV backward") {
  const std::uint32_t P = 4;
  const std::int64_t S = 32, C = S / P;
  const double B = 2, Hkv = 2, D = 8;
  // Forward: all-gather of K and of V, each B*C*Hkv*D*2 (bf16) bytes in,
  // sent to P-1 peers: 2 * 2*8*2*8*2 * 3 = 3072 bytes per rank.
  const double kv_shard = B * C * Hkv * D * 2;
  for (double b : sent("lasp2h", workload(S, false, 2), P, AttentionKind::kSoftmax))
    CHECK(b == 2 * kv_shard * (P - 1));
  // Backward adds two reduce-scatters whose fp32 outputs are B*C*Hkv*D*4
  // bytes: each member sends P-1 such partial blocks per tensor.
  const double dkv_shard = B * C * Hkv * D * 4;
  for (double b : sent("lasp2h", workload(S, true, 2), P, AttentionKind::kSoftmax))
    CHECK(b == 2 * kv_shard * (P - 1) + 2 * dkv_shard * (P - 1));
  // Linear layers of lasp2h move what lasp2 moves.
  CHECK(sent("lasp2h", workload(S, true), P, AttentionKind::kLinear) == sent("lasp2", workload(S, true), P));
}

}  // namespace
}  // namespace spsim
