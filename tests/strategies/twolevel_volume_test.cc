// Bytes each rank sends under tokenring, usp and double-ring, against closed
// forms derived from each schedule (program/comm_volume.h counts a Send as its
// buffer's bytes and an all-to-all as (N-1)/N of the input), plus the
// structural promises the closed forms rest on: TokenRing's partials go
// straight to their owner, and causal zigzag steps all cost the same.
#include <doctest/doctest.h>

#include "program/comm_volume.h"
#include "strategies/lower_attention.h"
#include "strategies/registry.h"

namespace spsim {
namespace {

// B = 2 sequences of S = 64, H = 4 query heads, Hkv = 2, D = 8, bf16 (b = 2).
constexpr double kB = 2, kS = 64, kH = 4, kHkv = 2, kD = 8, kb = 2, kF32Bytes = 4;

Workload workload(bool causal, Pass pass) {
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

std::vector<double> sent(const char* strategy, const Workload& w, const StrategyOptions& o) {
  return bytes_sent_per_rank(lower_attention(*find_strategy(strategy), w, o));
}

TEST_CASE("tokenring bytes per rank, full mask") {
  for (std::uint32_t P : {2u, 4u, 8u}) {
    const double C = kS / P;  // tokens of each sequence per rank
    // Forward: Q (B*C*H*D*b) one hop at each of the P-1 steps; at each step
    // s >= 1 one partial goes back to its owner: out in the input dtype
    // (B*C*H*D*b) plus lse in fp32 (B*C*H*4).
    const double q_hops = (P - 1) * kB * C * kH * kD * kb;
    const double partials = (P - 1) * (kB * C * kH * kD * kb + kB * C * kH * kF32Bytes);
    const auto fwd = sent("tokenring", workload(false, Pass::kForward), StrategyOptions{P});
    // Backward adds: Q and dO (B*C*H*D*b each) with lse and delta (B*C*H*4
    // each) one hop per step, and one fp32 partial dQ (B*C*H*D*4) per step
    // s >= 1 straight back to its owner.
    const double bundle = (P - 1) * kB * C * kH * (2 * kD * kb + 2 * kF32Bytes);
    const double dq_back = (P - 1) * kB * C * kH * kD * kF32Bytes;
    const auto both = sent("tokenring", workload(false, Pass::kForwardBackward), StrategyOptions{P});
    for (std::uint32_t r = 0; r < P; ++r) {
      CAPTURE(P);
      CAPTURE(r);
      CHECK(fwd[r] == doctest::Approx(q_hops + partials));
      CHECK(both[r] == doctest::Approx(q_hops + partials + bundle + dq_back));
    }
  }
}

TEST_CASE("tokenring bytes per rank, causal zigzag") {
  for (std::uint32_t P : {2u, 4u, 8u}) {
    const double C = kS / P;
    // At step s rank r holds the Q of owner j = r - s (mod P). When r < j
    // (the steps s > r: P-1-r of them) all of Q attends and the partial has
    // all B*C rows; when r > j (the steps 1 <= s <= r: r of them) only the
    // late half of Q attends and the partial has B*C/2 rows.
    const auto fwd = sent("tokenring", workload(true, Pass::kForward), StrategyOptions{P});
    const auto both = sent("tokenring", workload(true, Pass::kForwardBackward), StrategyOptions{P});
    for (std::uint32_t r = 0; r < P; ++r) {
      const double partial_rows = kB * C * ((P - 1 - r) + r / 2.0);
      const double q_hops = (P - 1) * kB * C * kH * kD * kb;
      const double partials = partial_rows * kH * (kD * kb + kF32Bytes);
      const double bundle = (P - 1) * kB * C * kH * (2 * kD * kb + 2 * kF32Bytes);
      const double dq_back = partial_rows * kH * kD * kF32Bytes;
      CAPTURE(P);
      CAPTURE(r);
      CHECK(fwd[r] == doctest::Approx(q_hops + partials));
      CHECK(both[r] == doctest::Approx(q_hops + partials + bundle + dq_back));
    }
  }
}

TEST_CASE("tokenring returns every partial straight to the owner of its queries") {
  const std::uint32_t P = 8;
  const Program p = lower_attention(*find_strategy("tokenring"), workload(true, Pass::kForwardBackward),
                                    StrategyOptions{P});
  int returned = 0;
  for (std::size_t i = 0; i < p.num_ops(); ++i) {
    const Op& o = p.op(op_id(i));
    if (o.kind != OpKind::kSend || p.stream_name(o.stream) != "ret_send") continue;
    ++returned;
    // Sent at step s by rank r: the partial of the Q of rank r - s.
    CHECK(o.peer == (o.rank + P - o.step) % P);
  }
  // Forward: out and lse at steps 1..P-1 on each rank; backward: dQ.
  CHECK(returned == static_cast<int>(P * (P - 1) * 3));
}

TEST_CASE("usp bytes per rank for every split of P = 8") {
  const std::uint32_t P = 8;
  const double C = kS / P;
  for (std::uint32_t Pu : {1u, 2u}) {  // Pu must divide Hkv = 2
    const double Pr = P / Pu, a2a = (Pu - 1.0) / Pu;  // an all-to-all sends (Pu-1)/Pu of its input
    // Ring K,V block per step: B * (S/Pr) rows, Hkv/Pu heads.
    const double ring_block = kB * (kS / Pr) * (kHkv / Pu) * kD;
    // Forward: q, k, v in (B*C rows, all heads) and the output back; Pr-1
    // ring steps each sending K and V.
    const double fwd_bytes = a2a * kB * C * kD * kb * (2 * kH + 2 * kHkv) + (Pr - 1) * 2 * ring_block * kb;
    // Backward: dO in; K,V again for Pr-1 steps; the fp32 dK,dV accumulators
    // move at each of the Pr steps (when Pr > 1); dQ, dK, dV back in bf16.
    const double bwd_bytes = a2a * kB * C * kH * kD * kb + (Pr - 1) * 2 * ring_block * kb +
                             (Pr > 1 ? Pr * 2 * ring_block * kF32Bytes : 0) +
                             a2a * kB * C * kD * kb * (kH + 2 * kHkv);
    for (bool causal : {false, true}) {
      const auto fwd = sent("usp", workload(causal, Pass::kForward), {P, Pu, std::nullopt});
      const auto both = sent("usp", workload(causal, Pass::kForwardBackward), {P, Pu, std::nullopt});
      for (std::uint32_t r = 0; r < P; ++r) {
        CAPTURE(Pu);
        CAPTURE(causal);
        CAPTURE(r);
        CHECK(fwd[r] == doctest::Approx(fwd_bytes));
        CHECK(both[r] == doctest::Approx(fwd_bytes + bwd_bytes));
      }
    }
  }
}

TEST_CASE("usp with Pu = 4 and Pu = 8 on 8 key/value heads") {
  Workload w = workload(true, Pass::kForwardBackward);
  w.heads = 8;
  w.kv_heads = 8;
  const double H = 8, Hkv = 8, P = 8, C = kS / P;
  for (std::uint32_t Pu : {4u, 8u}) {
    const double Pr = P / Pu, a2a = (Pu - 1.0) / Pu;
    const double ring_block = kB * (kS / Pr) * (Hkv / Pu) * kD;
    // As above: four all-to-alls forward (q, k, v, out), four backward (dO,
    // dQ, dK, dV), ring K,V both passes and the fp32 dK,dV accumulators.
    const double expected = a2a * kB * C * kD * kb * (2 * H + 2 * Hkv) + a2a * kB * C * kD * kb * (2 * H + 2 * Hkv) +
                            2 * (Pr - 1) * 2 * ring_block * kb + (Pr > 1 ? Pr * 2 * ring_block * kF32Bytes : 0);
    const auto got = sent("usp", w, {8, Pu, std::nullopt});
    for (double g : got) {
      CAPTURE(Pu);
      CHECK(g == doctest::Approx(expected));
    }
  }
}

TEST_CASE("usp default Pu: the largest power of two <= 8 dividing P and Hkv") {
  Workload w = workload(false, Pass::kForwardBackward);
  struct Case {
    std::uint32_t P, kv_heads, expected_pu;
  };
  // (P, Hkv) -> Pu: (8, 2) -> 2, (8, 4) -> 4, (16, 16) -> 8, (6, 4) -> 2, (3, 4) -> 1.
  for (const Case c : {Case{8, 2, 2}, Case{8, 4, 4}, Case{16, 16, 8}, Case{6, 4, 2}, Case{3, 4, 1}}) {
    w.heads = 16;
    w.kv_heads = c.kv_heads;
    w.seq_lens = {96, 96};
    CAPTURE(c.P);
    CAPTURE(c.kv_heads);
    CHECK(sent("usp", w, {c.P, std::nullopt, std::nullopt}) == sent("usp", w, {c.P, c.expected_pu, std::nullopt}));
  }
}

TEST_CASE("double-ring bytes per rank for every window of P = 8") {
  const std::uint32_t P = 8;
  const double C = kS / P;
  const double block = kB * C * kHkv * kD;  // one K or V block, elements
  for (std::uint32_t w : {1u, 2u, 4u, 8u}) {
    const std::uint32_t W = P / w;
    // Forward: each of the W outer steps has w-1 inner hops, and W-1 outer
    // transfers: (W(w-1) + W-1) = P-1 block transfers of K and V, as a ring.
    const double fwd_bytes = (P - 1) * 2 * block * kb;
    // Backward: K,V as forward; fp32 dK,dV accumulators travel each inner
    // step (W*w = P sends, when w > 1) and once per outer step (W sends, when W > 1).
    const double bwd_bytes = (P - 1) * 2 * block * kb + (w > 1 ? P * 2 * block * kF32Bytes : 0) +
                             (W > 1 ? W * 2 * block * kF32Bytes : 0);
    for (bool causal : {false, true}) {
      const auto fwd = sent("double-ring", workload(causal, Pass::kForward), {P, std::nullopt, w});
      const auto both = sent("double-ring", workload(causal, Pass::kForwardBackward), {P, std::nullopt, w});
      for (std::uint32_t r = 0; r < P; ++r) {
        CAPTURE(w);
        CAPTURE(causal);
        CAPTURE(r);
        CHECK(fwd[r] == doctest::Approx(fwd_bytes));
        CHECK(both[r] == doctest::Approx(fwd_bytes + bwd_bytes));
      }
    }
  }
}

TEST_CASE("double-ring default window: the largest divisor of P not above 8") {
  const Workload w = workload(false, Pass::kForwardBackward);
  // P = 8 -> 8 (one window: the plain ring), P = 4 -> 4.
  for (std::uint32_t P : {4u, 8u})
    CHECK(sent("double-ring", w, StrategyOptions{P}) == sent("double-ring", w, {P, std::nullopt, P}));
  Workload w16 = w;
  w16.seq_lens = {96, 96};
  // P = 16 -> 8; P = 12 -> 6.
  CHECK(sent("double-ring", w16, StrategyOptions{16}) == sent("double-ring", w16, {16, std::nullopt, 8}));
  CHECK(sent("double-ring", w16, StrategyOptions{12}) == sent("double-ring", w16, {12, std::nullopt, 6}));
  CHECK(sent("double-ring", w16, {12, std::nullopt, 6}) != sent("double-ring", w16, {12, std::nullopt, 4}));
}

TEST_CASE("causal zigzag: every non-local block of tokenring and double-ring costs C^2/2 pairs") {
  const std::uint32_t P = 8;
  const auto C = static_cast<std::int64_t>(kS / P);
  // Per sequence a half block (C/2 rows) against a whole one (C rows): C*C/2
  // pairs, none masked; B = 2 sequences.
  const std::int64_t expected = 2 * C * C / 2;
  for (const auto& [name_binding, opts] : {std::pair{"tokenring", StrategyOptions{P}},
                                           std::pair{"double-ring", StrategyOptions{P, std::nullopt, 2}}}) {
    const char* name = name_binding;  // a plain variable: CAPTURE's lambda may not capture a binding (clang < 16)
    const Program p = lower_attention(*find_strategy(name), workload(true, Pass::kForwardBackward), opts);
    int blocks = 0;
    for (std::size_t i = 0; i < p.num_ops(); ++i) {
      const Op& o = p.op(op_id(i));
      if ((o.kind != OpKind::kAttnFwd && o.kind != OpKind::kAttnBwd) || o.step == 0) continue;
      ++blocks;
      CAPTURE(name);
      CAPTURE(p.describe_op(op_id(i)));
      CHECK(o.work == expected);
    }
    // P-1 non-local blocks per rank, forward and backward.
    CHECK(blocks == static_cast<int>(2 * P * (P - 1)));
  }
}

}  // namespace
}  // namespace spsim
