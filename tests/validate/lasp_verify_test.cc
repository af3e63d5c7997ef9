// Linear attention: the dense reference against a hand-computed example, the
// linear op kinds' checker and NaN poisoning, and lasp1 / lasp2 / lasp2h
// (both layer kinds) through the verification matrix (causal and full mask,
// MHA and GQA, P in {1,2,3,4,8}, fwd and fwd+bwd, 3 execution-order seeds)
// against the dense reference of each layer's kind, max relative error < 1e-9.
#include <doctest/doctest.h>

#include <cmath>

#include "program/comm_matching.h"
#include "program/input_error.h"
#include "program/program_check.h"
#include "strategies/lower_attention.h"
#include "strategies/registry.h"
#include "tests/validate/verify_matrix.h"
#include "validate/host_executor.h"
#include "validate/reference_linear_attention.h"
#include "validate/verify.h"

namespace spsim {
namespace {

using testing::MatrixOptions;
using testing::verify_matrix;

GlobalTensor tensor_of(std::uint32_t heads, const std::vector<std::vector<double>>& per_head) {
  // One sequence; per_head[h][t] is the single column of head h at token t.
  const auto n = static_cast<std::int64_t>(per_head[0].size());
  GlobalTensor g({n}, heads, 1);
  for (std::uint32_t h = 0; h < heads; ++h)
    for (std::int64_t t = 0; t < n; ++t) g.at({0, t}, h, 0) = per_head[h][static_cast<std::size_t>(t)];
  return g;
}

std::vector<double> column(const GlobalTensor& g, std::uint32_t h) {
  std::vector<double> out;
  for (std::int64_t t = 0; t < g.tokens(); ++t) out.push_back(g.at({0, t}, h, 0));
  return out;
}

TEST_CASE("linear reference: a hand-computed example (D = 1, GQA 2:1)") {
  // Head dim 1, so q_t·k_s = q_t k_s. Query head 0: q = (1, 2, 3); query head 1:
  // q' = (1, 1, 1); both use the one key/value head k = (1, -1, 2), v = (2, 3, -1).
  // k_s v_s = (2, -3, -2), prefix sums (2, -1, -3), total -3.
  const GlobalTensor q = tensor_of(2, {{1, 2, 3}, {1, 1, 1}});
  const GlobalTensor k = tensor_of(1, {{1, -1, 2}});
  const GlobalTensor v = tensor_of(1, {{2, 3, -1}});
  const GlobalTensor dout = tensor_of(2, {{1, 1, 1}, {1, 0, 0}});

  SUBCASE("causal") {
    const LinearReferenceOutputs r = reference_linear_attention({q, k, v, &dout, true});
    // o_t = q_t * prefix_t: head 0 (1*2, 2*-1, 3*-3); head 1 the prefix sums.
    CHECK(column(r.out, 0) == std::vector<double>{2, -2, -9});
    CHECK(column(r.out, 1) == std::vector<double>{2, -1, -3});
    // dq_t = dout_t * prefix_t: head 0 (2, -1, -3); head 1 (2, 0, 0).
    CHECK(column(*r.dq, 0) == std::vector<double>{2, -1, -3});
    CHECK(column(*r.dq, 1) == std::vector<double>{2, 0, 0});
    // dk_s = v_s * sum_{t>=s} dout_t q_t over both heads: head 0 gives suffix
    // sums of q (6, 5, 3), head 1 gives (1, 0, 0); v_s * (7, 5, 3) = (14, 15, -3).
    CHECK(column(*r.dk, 0) == std::vector<double>{14, 15, -3});
    // dv_s = k_s * the same suffix sums = (7, -5, 6).
    CHECK(column(*r.dv, 0) == std::vector<double>{7, -5, 6});
  }
  SUBCASE("full mask") {
    const LinearReferenceOutputs r = reference_linear_attention({q, k, v, &dout, false});
    // o_t = q_t * total = q_t * -3.
    CHECK(column(r.out, 0) == std::vector<double>{-3, -6, -9});
    CHECK(column(r.out, 1) == std::vector<double>{-3, -3, -3});
    // dq_t = dout_t * -3.
    CHECK(column(*r.dq, 0) == std::vector<double>{-3, -3, -3});
    CHECK(column(*r.dq, 1) == std::vector<double>{-3, 0, 0});
    // sum_t dout_t q_t over both heads = 6 + 1 = 7: dk = 7 v, dv = 7 k.
    CHECK(column(*r.dk, 0) == std::vector<double>{14, 21, -7});
    CHECK(column(*r.dv, 0) == std::vector<double>{7, -7, 14});
  }
}

MatrixOptions lasp2h_options(AttentionKind kind) {
  MatrixOptions m;
  m.options_for = [kind](std::uint32_t P) {
    StrategyOptions o;
    o.sp = P;
    o.layer_kind = kind;
    return std::vector<StrategyOptions>{o};
  };
  return m;
}

TEST_CASE("verify: lasp1") {
  // Causal only (a full mask is refused): 2 GQA settings x 5 degrees x 2 passes.
  CHECK(verify_matrix("lasp1") == 20);
}
TEST_CASE("verify: lasp2") { CHECK(verify_matrix("lasp2") == 40); }
TEST_CASE("verify: lasp2h, linear layers") {
  CHECK(verify_matrix("lasp2h", lasp2h_options(AttentionKind::kLinear)) == 40);
}
TEST_CASE("verify: lasp2h, softmax layers") {
  CHECK(verify_matrix("lasp2h", lasp2h_options(AttentionKind::kSoftmax)) == 40);
}

TEST_CASE("verify: lasp strategies on a batch of several sequences") {
  // States hold one D x D block per sequence: a batch exercises the blocks.
  for (const char* name : {"lasp1", "lasp2", "lasp2h"}) {
    Workload w;
    w.seq_lens = {24, 24, 24};
    w.heads = 4;
    w.kv_heads = 2;
    w.head_dim = 8;
    w.pass = Pass::kForwardBackward;
    StrategyOptions o;
    o.sp = 4;
    CAPTURE(name);
    CHECK(verify_strategy(*find_strategy(name), w, o).passed);
  }
}

TEST_CASE("a linear strategy is verified against the linear reference, which can fail") {
  Workload w;
  w.seq_lens = {16};
  w.heads = 2;
  w.kv_heads = 2;
  w.head_dim = 4;
  StrategyOptions o;
  o.sp = 2;
  const Program p = lower_attention(*find_strategy("lasp2"), w, o);
  CHECK(verify_program(p, w, {}, AttentionKind::kLinear).passed);
  // The same Program compared with softmax attention must not pass.
  CHECK_FALSE(verify_program(p, w, {}, AttentionKind::kSoftmax).passed);
}

// Two ranks of causal linear attention that forget the inter-chunk term: the
// second chunk's output misses q·M_0 and verification must catch it.
TEST_CASE("a program missing the inter-chunk term fails linear verification") {
  Workload w;
  w.seq_lens = {8};
  w.heads = 2;
  w.kv_heads = 2;
  w.head_dim = 4;
  ProgramBuilder b(2);
  const StreamId s = b.stream("compute");
  for (RankId r = 0; r < 2; ++r) {
    const LayoutId l = b.layout(contiguous_shard(w.seq_lens, 2, r));
    const BufferId q = b.token_buffer(r, "q", w.dtype, l, 0, 2, 4);
    const BufferId k = b.token_buffer(r, "k", w.dtype, l, 0, 2, 4);
    const BufferId v = b.token_buffer(r, "v", w.dtype, l, 0, 2, 4);
    const BufferId out = b.buffer_like(q, r, "out", std::nullopt, true);
    b.bind_input(q, Tensor::kQ);
    b.bind_input(k, Tensor::kK);
    b.bind_input(v, Tensor::kV);
    b.lin_intra(s, q, k, v, out, true);
    b.bind_output(out, Tensor::kOut);
  }
  const Program p = std::move(b).finish();
  const VerifyReport r = verify_program(p, w, {}, AttentionKind::kLinear);
  CHECK_FALSE(r.passed);
  REQUIRE(r.checks.size() == 1);
  CHECK(r.checks[0].max_rel_error > 1e-3);
}

TEST_CASE("linear kinds: unwritten state memory poisons the output (NaN)") {
  // A state that is neither zero_init nor written, read by LinInter: the host
  // executor must hand back NaN, not a plausible number. (check_program would
  // reject this Program; the executor is run on it directly.)
  ProgramBuilder b(1);
  const StreamId s = b.stream("compute");
  const LayoutId l = b.layout(contiguous_shard(std::vector<std::int64_t>{4}, 1, 0));
  const BufferId q = b.token_buffer(0, "q", DType::kF32, l, 0, 1, 2);
  const BufferId state = b.matrix_buffer(0, "state", DType::kF32, 2, 0, 1, 2);  // not zero_init
  const BufferId out = b.buffer_like(q, 0, "out", std::nullopt, true);
  b.bind_input(q, Tensor::kQ);
  b.lin_inter(s, q, state, out);
  b.bind_output(out, Tensor::kOut);
  const Program p = std::move(b).finish();
  CHECK_THROWS_AS(check_program(p), ProgramError);
  TensorMap in;
  in.emplace(Tensor::kQ, GlobalTensor({4}, 1, 2, 1.0));
  const TensorMap got = run_on_host(p, match_communication(p), in);
  for (double x : got.at(Tensor::kOut).data) CHECK(std::isnan(x));
}

TEST_CASE("linear kinds: the checker rejects mis-shaped states") {
  auto build = [](std::uint32_t state_rows, std::uint32_t state_cols, std::uint32_t state_heads) {
    ProgramBuilder b(1);
    const StreamId s = b.stream("compute");
    // Two sequences of 4 tokens: states need 2 * d_k = 4 rows.
    const LayoutId l = b.layout(contiguous_shard(std::vector<std::int64_t>{4, 4}, 1, 0));
    const BufferId k = b.token_buffer(0, "k", DType::kF32, l, 0, 2, 2);
    const BufferId v = b.token_buffer(0, "v", DType::kF32, l, 0, 2, 2);
    const BufferId state = b.matrix_buffer(0, "state", DType::kF32, state_rows, 0, state_heads, state_cols, true);
    b.bind_input(k, Tensor::kK);
    b.bind_input(v, Tensor::kV);
    b.lin_state(s, k, v, state);
    return std::move(b).finish();
  };
  CHECK_NOTHROW(check_program(build(4, 2, 2)));
  CHECK_THROWS_AS(check_program(build(2, 2, 2)), ProgramError);  // room for one sequence only
  CHECK_THROWS_AS(check_program(build(5, 2, 2)), ProgramError);  // not a multiple of d_k
  CHECK_THROWS_AS(check_program(build(4, 3, 2)), ProgramError);  // d_v mismatch
  CHECK_THROWS_AS(check_program(build(4, 2, 1)), ProgramError);  // lacks head 1
}

TEST_CASE("lasp refusals name the quantity") {
  Workload w;
  w.seq_lens = {40};
  w.causal = false;
  StrategyOptions o;
  o.sp = 4;
  const auto why = find_strategy("lasp1")->refuse(w, o);
  REQUIRE(why.has_value());
  CHECK(why->find("causal") != std::string::npos);
  CHECK_FALSE(find_strategy("lasp2")->refuse(w, o).has_value());
  o.sp = 3;  // 40 is not divisible by 3
  CHECK(find_strategy("lasp2")->refuse(w, o)->find("divisible") != std::string::npos);
  o.sp = 64;  // P > S
  CHECK(find_strategy("lasp2h")->refuse(w, o)->find("P > S") != std::string::npos);
  // A softmax layer asked of a linear-only strategy, and the reverse.
  o.sp = 4;
  o.layer_kind = AttentionKind::kSoftmax;
  CHECK(refuse_layer_kind(*find_strategy("lasp2"), o).has_value());
  CHECK_FALSE(refuse_layer_kind(*find_strategy("lasp2h"), o).has_value());
  CHECK_THROWS_AS(lower_attention(*find_strategy("lasp2"), w, o), InputError);
  o.layer_kind = AttentionKind::kLinear;
  CHECK(refuse_layer_kind(*find_strategy("ring"), o).has_value());
}

}  // namespace
}  // namespace spsim
