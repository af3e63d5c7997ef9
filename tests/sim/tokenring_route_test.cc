// TokenRing returns each partial (out, lse) straight to the owner of its Q.
// Where two ranks share no direct link, the message follows the route: on
// pcie-a10-4 (GPUs 0,1 behind one PCIe switch, 2,3 behind another) the
// partials that cross to the other switch take the longer route, and the
// simulator charges exactly that route's alpha + n / beta.
#include <doctest/doctest.h>

#include <set>
#include <tuple>

#include "costmodel/link_model.h"
#include "sim/engine.h"
#include "sim/model_costs.h"
#include "sim/network_model.h"
#include "program/program_check.h"
#include "strategies/lower_attention.h"
#include "strategies/registry.h"
#include "topology/cluster.h"

namespace spsim {
namespace {

TEST_CASE("tokenring on pcie-a10-4: partials crossing the second switch pay for its route") {
  Workload w;  // the reference code's test bed shape: Llama-2-7B attention (H=32, D=128), fp16
  w.seq_lens = {24000};
  w.heads = 32;
  w.kv_heads = 32;
  w.head_dim = 128;
  w.dtype = DType::kF16;
  w.causal = false;
  w.pass = Pass::kForward;
  const Program p = lower_attention(*find_strategy("tokenring"), w, StrategyOptions{4});
  const CommMatching m = check_program(p);
  const Topology topo = make_preset_topology("pcie-a10-4");
  const LinkModel links;
  const ModelCosts costs(p, topo, {});
  auto net = make_network_model("analytical", topo, links);
  const Timeline tl = simulate(EngineInput{p, m, topo, {}, costs, *net});

  // Rank r's GPU sits behind switch r / 2.
  auto same_switch = [](RankId a, RankId b) { return a / 2 == b / 2; };
  std::set<std::tuple<RankId, RankId, std::uint32_t>> near, far;  // (from, owner, step): a partial may be several messages
  double near_s = 0, far_s = 0;
  for (std::size_t i = 0; i < p.num_ops(); ++i) {
    const OpId id = op_id(i);
    const Op& o = p.op(id);
    if (o.kind != OpKind::kRecv || p.stream_name(o.stream) != "ret_recv") continue;
    double bytes = 0;
    for (BufferId b : p.operands(id)) bytes += static_cast<double>(p.buffer(b).bytes());
    const double took = tl.at(id).end_s - tl.at(id).start_s;
    // Analytical model: exactly alpha + n / beta of route(sender -> owner).
    CHECK(took == doctest::Approx(links.route(topo, o.peer, o.rank).seconds(bytes)).epsilon(1e-12));
    if (same_switch(o.peer, o.rank)) {
      near.insert({o.peer, o.rank, o.step});
      near_s = std::max(near_s, took);
    } else {
      far.insert({o.peer, o.rank, o.step});
      far_s = std::max(far_s, took);
      CHECK(topo.route(o.peer, o.rank).size() > topo.route(0, 1).size());  // up through both switches
    }
  }
  // P = 4: steps 1..3 return 3 partials per rank; each rank's own switch mate
  // is reached at one step, the two GPUs behind the other switch at the others.
  CHECK(near.size() == 4);
  CHECK(far.size() == 8);
  CHECK(far_s > near_s);
  MESSAGE("slowest partial-return message: same switch " << near_s * 1e3 << " ms, across switches "
                                                         << far_s * 1e3 << " ms");
}

}  // namespace
}  // namespace spsim
