// Bytes each rank sends, per strategy, against the closed forms of
// ../shared/reference/strategies.md (comm_volume.h says how collectives count).
//
// One workload throughout: B = 2 sequences of S = 64 tokens, H = 4 query heads,
// Hkv = 2 key/value heads, D = 8, bf16 (b = 2 bytes), P = 4, so C = S/P = 16
// (Ulysses, which needs P | Hkv, runs at P = 2). Every strategy is symmetric:
// all ranks send the same.
#include <doctest/doctest.h>

#include "program/comm_volume.h"
#include "strategies/lower_attention.h"
#include "strategies/registry.h"

namespace spsim {
namespace {

constexpr double B = 2, S = 64, H = 4, Hkv = 2, D = 8, b = 2, P = 4, C = S / P;
constexpr double kF32 = 4;  // bytes of the fp32 accumulators

Workload workload(Pass pass, bool causal = true) {
  Workload w;
  w.seq_lens = {64, 64};
  w.heads = 4;
  w.kv_heads = 2;
  w.head_dim = 8;
  w.dtype = DType::kBF16;
  w.causal = causal;
  w.pass = pass;
  return w;
}

std::vector<double> sent(std::string_view strategy, Pass pass, bool causal = true, std::uint32_t sp = 4) {
  const Strategy* s = find_strategy(strategy);
  REQUIRE(s != nullptr);
  StrategyOptions o;
  o.sp = sp;
  return bytes_sent_per_rank(lower_attention(*s, workload(pass, causal), o));
}

void check_all_ranks(const std::vector<double>& got, double expected, std::size_t ranks = 4) {
  REQUIRE(got.size() == ranks);
  for (std::size_t r = 0; r < got.size(); ++r) {
    CAPTURE(r);
    CHECK(got[r] == doctest::Approx(expected).epsilon(1e-12));
  }
}

TEST_CASE("comm volume: rsa") {
  // Forward: a K ring and a V ring, P-1 transfers of one B·C·Hkv·D block each:
  // 2(P-1)·B·C·Hkv·D·b (the paper's 2(P-1)·B·H·C·D elements, with Hkv for K, V).
  const double fwd = 2 * (P - 1) * B * C * Hkv * D * b;
  CHECK(fwd == 6144);
  check_all_ranks(sent("rsa", Pass::kForward), fwd);
  // Backward: V and K rings again, 2(P-1)·B·C·Hkv·D·b, plus all-reduces of
  // dV_full and dK_full, each B·S·Hkv·D·b counted 2·(P-1)/P of it:
  // 2·2(P-1)/P·B·S·Hkv·D·b = 4(P-1)·B·C·Hkv·D·b. Backward total
  // 6(P-1)·B·C·Hkv·D·b, the paper's 6(P-1)·B·H·C·D elements.
  const double bwd_rings = 2 * (P - 1) * B * C * Hkv * D * b;
  const double bwd_all_reduce = 2 * (2 * (P - 1) / P * B * S * Hkv * D * b);
  const double bwd = bwd_rings + bwd_all_reduce;
  CHECK(bwd == doctest::Approx(6 * (P - 1) * B * C * Hkv * D * b));
  check_all_ranks(sent("rsa", Pass::kForwardBackward), fwd + bwd);
}

TEST_CASE("comm volume: ring") {
  // Forward: K and V blocks, P-1 steps: (P-1)·2·B·C·Hkv·D·b.
  const double fwd = (P - 1) * 2 * B * C * Hkv * D * b;
  check_all_ranks(sent("ring", Pass::kForward), fwd);
  // Backward: K,V travel again, (P-1)·2·B·C·Hkv·D·b, and the fp32 dK,dV
  // accumulators are sent at every one of the P steps (the last send returns
  // them to their owner, as ring_schedule.cc does): P·2·B·C·Hkv·D·4.
  const double bwd = (P - 1) * 2 * B * C * Hkv * D * b + P * 2 * B * C * Hkv * D * kF32;
  check_all_ranks(sent("ring", Pass::kForwardBackward), fwd + bwd);
  // The mask changes which blocks are computed, never what travels.
  check_all_ranks(sent("ring", Pass::kForwardBackward, /*causal=*/false), fwd + bwd);
}

TEST_CASE("comm volume: zigzag") {
  // Same ring as `ring`: whole K,V blocks travel even when a step computes half of one.
  const double fwd = (P - 1) * 2 * B * C * Hkv * D * b;
  const double bwd = (P - 1) * 2 * B * C * Hkv * D * b + P * 2 * B * C * Hkv * D * kF32;
  check_all_ranks(sent("zigzag", Pass::kForward), fwd);
  check_all_ranks(sent("zigzag", Pass::kForwardBackward), fwd + bwd);
}

TEST_CASE("comm volume: striped") {
  // Same ring again, with every P-th token per block.
  const double fwd = (P - 1) * 2 * B * C * Hkv * D * b;
  const double bwd = (P - 1) * 2 * B * C * Hkv * D * b + P * 2 * B * C * Hkv * D * kF32;
  check_all_ranks(sent("striped", Pass::kForward), fwd);
  check_all_ranks(sent("striped", Pass::kForwardBackward), fwd + bwd);
}

TEST_CASE("comm volume: allgather") {
  // Forward: all-gathers of K and V; a member's B·C·Hkv·D·b block reaches P-1 peers:
  // 2·(P-1)·B·C·Hkv·D·b.
  const double fwd = 2 * (P - 1) * B * C * Hkv * D * b;
  check_all_ranks(sent("allgather", Pass::kForward), fwd);
  // Backward: K,V gathered again, 2·(P-1)·B·C·Hkv·D·b, and reduce-scatters of the
  // gathered dK, dV (workload dtype): P-1 partial blocks of B·C·Hkv·D·b leave each
  // member per tensor, 2·(P-1)·B·C·Hkv·D·b.
  const double bwd = 2 * (P - 1) * B * C * Hkv * D * b + 2 * (P - 1) * B * C * Hkv * D * b;
  check_all_ranks(sent("allgather", Pass::kForwardBackward), fwd + bwd);
  // The full mask uses contiguous chunks instead of zigzag ones: same sizes.
  check_all_ranks(sent("allgather", Pass::kForwardBackward, /*causal=*/false), fwd + bwd);
}

TEST_CASE("comm volume: ulysses") {
  // Ulysses refuses P = 4 here (4 does not divide Hkv = 2), so it runs at
  // P = 2, C = S/2 = 32 tokens per rank.
  constexpr double P2 = 2, C2 = S / P2;
  // Forward: four all-to-alls, each B·C·(heads)·D·b·(P-1)/P (strategies.md):
  // Q and out with H heads, K and V with Hkv heads.
  const double a2a_h = B * C2 * H * D * b * (P2 - 1) / P2, a2a_kv = B * C2 * Hkv * D * b * (P2 - 1) / P2;
  const double fwd = 2 * a2a_h + 2 * a2a_kv;
  CHECK(fwd == 6144);
  check_all_ranks(sent("ulysses", Pass::kForward, true, 2), fwd, 2);
  // Backward mirrors it: dout and dq with H heads, dk and dv with Hkv heads.
  const double bwd = 2 * a2a_h + 2 * a2a_kv;
  check_all_ranks(sent("ulysses", Pass::kForwardBackward, true, 2), fwd + bwd, 2);
  check_all_ranks(sent("ulysses", Pass::kForwardBackward, false, 2), fwd + bwd, 2);
}

TEST_CASE("comm volume: nothing moves with one rank") {
  for (const Strategy* s : all_strategies()) {
    CAPTURE(s->name());
    const auto got = sent(s->name(), Pass::kForwardBackward, true, 1);
    REQUIRE(got.size() == 1);
    // Rings have no step to pass a block on; collectives over one member send nothing (N-1 = 0).
    CHECK(got[0] == 0);
  }
}

}  // namespace
}  // namespace spsim
