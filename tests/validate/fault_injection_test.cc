// Removing one dependency edge from a correct ring Program: the checker names
// the race, and the executor's answer becomes wrong under some order seed —
// neither is blind to a missing dependency.
#include <doctest/doctest.h>

#include "program/program_check.h"
#include "program/program_edit.h"
#include "strategies/lower_attention.h"
#include "strategies/registry.h"
#include "validate/host_executor.h"
#include "validate/reference_attention.h"

namespace spsim {
namespace {

struct Case {
  Workload w;
  TensorMap inputs;
  ReferenceOutputs ref;
  Case() {
    w.seq_lens = {32};
    w.heads = 2;
    w.kv_heads = 2;
    w.head_dim = 4;
    w.causal = false;
    w.pass = Pass::kForward;
    for (Tensor t : {Tensor::kQ, Tensor::kK, Tensor::kV}) {
      GlobalTensor g(w.seq_lens, 2, 4);
      fill_uniform(g, 11 + static_cast<std::uint64_t>(t));
      inputs.emplace(t, std::move(g));
    }
    ref = reference_attention({inputs.at(Tensor::kQ), inputs.at(Tensor::kK), inputs.at(Tensor::kV), nullptr, false});
  }
  double error(const Program& p, std::uint64_t seed) const {
    const CommMatching m = match_communication(p);
    const TensorMap got = run_on_host(p, m, inputs, HostRunOptions{seed});
    return max_relative_error(got.at(Tensor::kOut), ref.out);
  }
};

TEST_CASE("a ring Program without the send->recv forwarding dependency is caught") {
  const Case c;
  StrategyOptions o;
  o.sp = 4;
  const Program good = lower_attention(*find_strategy("ring"), c.w, o);
  // The forwarding send of step 1 on rank 2 depends on the recv of step 0.
  std::optional<std::pair<OpId, OpId>> edge;
  for (std::size_t i = 0; i < good.num_ops() && !edge; ++i) {
    const OpId id = op_id(i);
    const Op& op = good.op(id);
    if (op.kind != OpKind::kSend || op.rank != 2 || op.step != 1) continue;
    for (OpId d : good.deps(id))
      if (good.op(d).kind == OpKind::kRecv) edge = std::make_pair(id, d);
  }
  REQUIRE(edge.has_value());
  const Program broken = without_dependency(good, edge->first, edge->second);
  CHECK(broken.deps(edge->first).size() + 1 == good.deps(edge->first).size());

  // The checker names the race.
  CHECK_THROWS_WITH_AS(check_program(broken), doctest::Contains("missing dependency"), ProgramError);

  // The executor: the intact program is exact under every seed; the broken one
  // forwards a block before it arrived under some seed.
  int wrong = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    CHECK(c.error(good, seed) < 1e-12);
    wrong += !(c.error(broken, seed) < 1e-9);
  }
  MESSAGE("broken ring program wrong under " << wrong << " of 20 order seeds");
  CHECK(wrong > 0);
}

TEST_CASE("without_dependency refuses an edge that is not there") {
  const Case c;
  StrategyOptions o;
  o.sp = 2;
  const Program p = lower_attention(*find_strategy("ring"), c.w, o);
  CHECK_THROWS_AS(without_dependency(p, OpId{0}, OpId{0}), ProgramError);
}

}  // namespace
}  // namespace spsim
