// tokenring, usp and double-ring against dense reference attention: the full
// verification matrix (causal/full x MHA/GQA x P in {1,2,3,4,8} x fwd/fwd+bwd
// x 3 execution-order seeds), usp and double-ring with every legal split of
// each degree (Pu, w in {1,2,4,8}), batches, and the refusals.
#include <doctest/doctest.h>

#include "program/input_error.h"
#include "strategies/registry.h"
#include "tests/validate/verify_matrix.h"
#include "validate/verify.h"

namespace spsim {
namespace {

using testing::MatrixOptions;
using testing::verify_matrix;

// The default options at every degree; at P = 8 instead every split by the
// factors {1, 2, 4, 8} (the default is one of them; tests/strategies checks
// which).
MatrixOptions splits_at_8(std::optional<std::uint32_t> StrategyOptions::*field) {
  MatrixOptions m;
  m.options_for = [field](std::uint32_t P) {
    if (P != 8) return std::vector<StrategyOptions>{StrategyOptions{P}};
    std::vector<StrategyOptions> out;
    for (std::uint32_t f : {1u, 2u, 4u, 8u}) {
      StrategyOptions o{P};
      o.*field = f;
      out.push_back(o);
    }
    return out;
  };
  return m;
}

TEST_CASE("verify: tokenring") {
  // 2 masks x 2 head layouts x 5 degrees x 2 passes, all legal at S = 48.
  CHECK(verify_matrix("tokenring") == 40);
}

TEST_CASE("verify: usp, and every Ulysses degree Pu dividing P = 8 and Hkv") {
  // Per mask and pass: P in {1,2,3,4} with the default, 4 each; at P = 8,
  // Pu in {1,2,4} for MHA (Hkv = 4; Pu = 8 refused) and {1,2} for GQA
  // (Hkv = 2): (4+3) + (4+2) = 13; times 2 masks x 2 passes.
  CHECK(verify_matrix("usp", splits_at_8(&StrategyOptions::ulysses_degree)) == 52);
}

TEST_CASE("verify: usp with the TransformerEngine ring backward, every Pu dividing P = 8") {
  MatrixOptions m = splits_at_8(&StrategyOptions::ulysses_degree);
  m.causal = {true};
  const auto plain = m.options_for;
  m.options_for = [plain](std::uint32_t P) {
    auto sets = plain(P);
    for (auto& o : sets) o.ring_backward = RingBackward::kTransformerEngine;
    return sets;
  };
  CHECK(verify_matrix("usp", m) > 0);
}

TEST_CASE("verify: usp with Pu = 8 (pure Ulysses at P = 8)") {
  for (bool causal : {false, true}) {
    Workload w;
    w.seq_lens = {48};
    w.heads = 8;
    w.kv_heads = 8;
    w.head_dim = 8;
    w.causal = causal;
    w.pass = Pass::kForwardBackward;
    StrategyOptions o;
    o.sp = 8;
    o.ulysses_degree = 8;
    CAPTURE(causal);
    CHECK(verify_strategy(*find_strategy("usp"), w, o).passed);
  }
}

TEST_CASE("verify: double-ring, and every window w dividing P = 8") {
  // Per mask, head layout and pass: P in {1,2,3,4} with the default window,
  // and w in {1,2,4,8} at P = 8: 4 + 4 = 8; times 2 x 2 x 2.
  CHECK(verify_matrix("double-ring", splits_at_8(&StrategyOptions::window)) == 64);
}

TEST_CASE("verify: two-level strategies on batches of several sequences") {
  struct Case {
    const char* name;
    StrategyOptions options;
  };
  const Case cases[] = {
      {"tokenring", StrategyOptions{4}},
      {"usp", {4, 2, std::nullopt}},
      {"usp", {8, 2, std::nullopt}},
      {"double-ring", {4, std::nullopt, 2}},
      {"double-ring", {8, std::nullopt, 2}},
  };
  for (const Case& c : cases)
    for (bool causal : {false, true}) {
      Workload w;
      w.seq_lens = {32, 32, 32};
      w.heads = 4;
      w.kv_heads = 2;
      w.head_dim = 8;
      w.causal = causal;
      w.pass = Pass::kForwardBackward;
      CAPTURE(c.name);
      CAPTURE(c.options.sp);
      CAPTURE(causal);
      CHECK(verify_strategy(*find_strategy(c.name), w, c.options, VerifyOptions{7, 1e-9}).passed);
    }
}

// lower_attention with member i on global rank P+1-i of a P+2 rank program
// (ranks 0 and 1 idle): catches a schedule that uses member indices as ranks.
Program lower_on_reversed_ranks(const Strategy& s, const Workload& w, const StrategyOptions& o) {
  const std::uint32_t P = o.sp;
  ProgramBuilder b(P + 2, w.q_per_kv());
  std::vector<RankId> ranks(P);
  for (std::uint32_t i = 0; i < P; ++i) ranks[i] = P + 1 - i;
  const LayerContext ctx{w, o, ranks, 0};
  LayerInputs in;
  in.ready.resize(P);
  LayerBackwardInputs grad;
  grad.ready.resize(P);
  for (std::uint32_t i = 0; i < P; ++i) {
    const LayoutId l = b.layout(s.shard_layout(w, o, i));
    in.q.push_back(b.token_buffer(ranks[i], "q", w.dtype, l, 0, w.heads, w.head_dim));
    in.k.push_back(b.token_buffer(ranks[i], "k", w.dtype, l, 0, w.kv_heads, w.head_dim));
    in.v.push_back(b.token_buffer(ranks[i], "v", w.dtype, l, 0, w.kv_heads, w.head_dim));
    grad.dout.push_back(b.token_buffer(ranks[i], "dout", w.dtype, l, 0, w.heads, w.head_dim));
    b.bind_input(in.q[i], Tensor::kQ);
    b.bind_input(in.k[i], Tensor::kK);
    b.bind_input(in.v[i], Tensor::kV);
    b.bind_input(grad.dout[i], Tensor::kDOut);
  }
  const LayerForward fwd = s.forward(b, ctx, in);
  const LayerBackward bwd = s.backward(b, ctx, in, fwd, grad);
  for (std::uint32_t i = 0; i < P; ++i) {
    b.bind_output(fwd.out[i], Tensor::kOut);
    if (!fwd.lse.empty()) b.bind_output(fwd.lse[i], Tensor::kLse);
    b.bind_output(bwd.dq[i], Tensor::kDQ);
    b.bind_output(bwd.dk[i], Tensor::kDK);
    b.bind_output(bwd.dv[i], Tensor::kDV);
  }
  return std::move(b).finish();
}

TEST_CASE("two-level strategies run on any ranks the group is given") {
  struct Case {
    const char* name;
    StrategyOptions options;
  };
  const Case cases[] = {
      {"tokenring", StrategyOptions{4}},
      {"usp", {4, 2, std::nullopt}},
      {"double-ring", {4, std::nullopt, 2}},
  };
  for (const Case& c : cases)
    for (bool causal : {false, true}) {
      Workload w;
      w.seq_lens = {32, 32};
      w.heads = 4;
      w.kv_heads = 2;
      w.head_dim = 8;
      w.causal = causal;
      w.pass = Pass::kForwardBackward;
      CAPTURE(c.name);
      CAPTURE(causal);
      const Strategy& s = *find_strategy(c.name);
      REQUIRE_FALSE(s.refuse(w, c.options).has_value());
      CHECK(verify_program(lower_on_reversed_ranks(s, w, c.options), w, VerifyOptions{3, 1e-9}).passed);
    }
}

TEST_CASE("two-level strategies refuse illegal combinations with a sentence") {
  Workload w;
  w.seq_lens = {48};
  w.heads = 4;
  w.kv_heads = 2;
  auto why = [&](const char* name, StrategyOptions o) {
    const auto r = find_strategy(name)->refuse(w, o);
    REQUIRE(r.has_value());
    return *r;
  };
  CHECK(why("usp", {8, 3, std::nullopt}).find("does not divide the SP degree") != std::string::npos);
  CHECK(why("usp", {8, 4, std::nullopt}).find("key/value heads Hkv = 2") != std::string::npos);
  CHECK(why("usp", {8, 0, std::nullopt}).find("at least 1") != std::string::npos);
  CHECK(why("double-ring", {8, std::nullopt, 3}).find("window w = 3") != std::string::npos);
  CHECK(why("double-ring", {8, std::nullopt, 0}).find("at least 1") != std::string::npos);
  w.seq_lens = {40};  // 40 is divisible by P = 8 but not by 2P = 16
  w.causal = true;
  CHECK(why("tokenring", StrategyOptions{8}).find("2P") != std::string::npos);
  CHECK(why("usp", {8, 2, std::nullopt}).find("2P") != std::string::npos);
  CHECK(why("double-ring", {8, std::nullopt, 2}).find("2P") != std::string::npos);
  w.causal = false;  // without a mask tokenring only needs P | S
  CHECK_FALSE(find_strategy("tokenring")->refuse(w, StrategyOptions{8}).has_value());
  StrategyOptions o{8, 3, std::nullopt};
  CHECK_THROWS_AS(verify_strategy(*find_strategy("usp"), w, o), InputError);
}

}  // namespace
}  // namespace spsim
