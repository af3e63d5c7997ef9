// --scope attention: the attention layers alone, as SP benchmarks measure them.
#include <doctest/doctest.h>

#include "program/program_check.h"
#include "strategies/lower_attention.h"
#include "strategies/model_program.h"
#include "strategies/registry.h"

namespace spsim {
namespace {

TEST_CASE("attention scope: L layers are L copies of the strategy's layer, and nothing else") {
  // bert-base: H = 12, D = 64. Two layers of ring at P = 4 on S = 256: the
  // Program is exactly twice lower_attention's single layer (same ops), no
  // Dense or DenseBwd op, and layer 1's forward waits for layer 0's.
  const ModelSpec& m = find_model("bert-base");
  const Workload w = model_workload(m, {256}, DType::kBF16, Pass::kForwardBackward);
  const Strategy& ring = *find_strategy("ring");
  const StrategyOptions o{4};
  const Program one = lower_attention(ring, w, o);
  const Program two = lower_model_step(ring, ModelStep{m, w, o, 2, Scope::kAttention});
  check_program(two);
  CHECK(two.num_ops() == 2 * one.num_ops());
  std::size_t dense = 0, attn_fwd = 0, attn_bwd = 0;
  for (std::size_t i = 0; i < two.num_ops(); ++i) {
    const OpKind k = two.op(op_id(i)).kind;
    dense += k == OpKind::kDense || k == OpKind::kDenseBwd;
    attn_fwd += k == OpKind::kAttnFwd;
    attn_bwd += k == OpKind::kAttnBwd;
  }
  CHECK(dense == 0);
  // Full mask (BERT): every member computes P blocks per layer, forward and backward.
  CHECK(attn_fwd == 2 * 4 * 4);
  CHECK(attn_bwd == 2 * 4 * 4);
  // The whole model has the projections and the MLP on top.
  const Program model = lower_model_step(ring, ModelStep{m, w, o, 2, Scope::kModel});
  CHECK(model.num_ops() > two.num_ops());
}

TEST_CASE("attention scope: names parse, others do not") {
  CHECK(parse_scope("attention") == Scope::kAttention);
  CHECK(parse_scope("model") == Scope::kModel);
  CHECK_FALSE(parse_scope("layers").has_value());
}

}  // namespace
}  // namespace spsim
