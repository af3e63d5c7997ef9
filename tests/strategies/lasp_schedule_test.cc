// Ordering structure of the LASP schedules: what may overlap and what is
// serial, read from the Program's local edges (program/op_graph.h).
#include <doctest/doctest.h>

#include <algorithm>

#include "program/op_graph.h"
#include "strategies/lower_attention.h"
#include "strategies/registry.h"

namespace spsim {
namespace {

Program lower(const char* strategy, std::uint32_t P, bool backward) {
  Workload w;
  w.seq_lens = {32};
  w.heads = 4;
  w.kv_heads = 4;
  w.head_dim = 8;
  w.causal = true;
  w.pass = backward ? Pass::kForwardBackward : Pass::kForward;
  StrategyOptions o;
  o.sp = P;
  return lower_attention(*find_strategy(strategy), w, o);
}

// True iff `to` is reachable from `from` over stream order and deps.
bool reaches(const OpGraph& g, OpId from, OpId to) {
  std::vector<OpId> stack{from};
  std::vector<bool> seen;
  while (!stack.empty()) {
    const OpId x = stack.back();
    stack.pop_back();
    if (x == to) return true;
    if (seen.size() <= idx(x)) seen.resize(idx(x) + 1, false);
    if (seen[idx(x)]) continue;
    seen[idx(x)] = true;
    for (OpId s : g.successors(x)) stack.push_back(s);
  }
  return false;
}

std::vector<OpId> ops_of(const Program& p, RankId rank, OpKind kind) {
  std::vector<OpId> out;
  for (std::size_t i = 0; i < p.num_ops(); ++i)
    if (p.op(op_id(i)).rank == rank && p.op(op_id(i)).kind == kind) out.push_back(op_id(i));
  return out;
}

TEST_CASE("lasp2: each state all-gather is unordered with the intra-chunk work of its rank") {
  const Program p = lower("lasp2", 4, true);
  const OpGraph g(p);
  for (RankId r = 0; r < 4; ++r) {
    CAPTURE(r);
    const auto gathers = ops_of(p, r, OpKind::kCollective);
    REQUIRE(gathers.size() == 2);  // states forward, state gradients backward
    const OpId intra = ops_of(p, r, OpKind::kLinIntra).at(0);
    const OpId intra_bwd = ops_of(p, r, OpKind::kLinIntraBwd).at(0);
    CHECK_FALSE(reaches(g, gathers[0], intra));
    CHECK_FALSE(reaches(g, intra, gathers[0]));
    CHECK_FALSE(reaches(g, gathers[1], intra_bwd));
    CHECK_FALSE(reaches(g, intra_bwd, gathers[1]));
    // Each gather carries a state: [B*D, Hkv, D] fp32.
    const Buffer& in = p.buffer(p.operands(gathers[0])[0]);
    CHECK(in.rows == 8);
    CHECK(in.heads == 4);
    CHECK(in.cols == 8);
    CHECK(in.dtype == DType::kF32);
  }
}

TEST_CASE("lasp1: the forward chain is serial, the intra-chunk term is not on it") {
  const std::uint32_t P = 4;
  const Program p = lower("lasp1", P, false);
  const OpGraph g(p);
  for (RankId r = 1; r + 1 < P; ++r) {
    CAPTURE(r);
    const OpId recv = ops_of(p, r, OpKind::kRecv).at(0);
    const OpId send = ops_of(p, r, OpKind::kSend).at(0);
    const OpId intra = ops_of(p, r, OpKind::kLinIntra).at(0);
    CHECK(reaches(g, recv, send));  // the hop waits for the prefix
    CHECK_FALSE(reaches(g, recv, intra));
  }
  CHECK(ops_of(p, 0, OpKind::kRecv).empty());
  CHECK(ops_of(p, P - 1, OpKind::kSend).empty());
}

TEST_CASE("linear op work: intra pairs like attention, state ops one per row") {
  const Program p = lower("lasp2", 2, false);
  // Rank 1 holds positions [16, 32): a causal 16x16 block has 16*17/2 = 136
  // visible pairs; its state and inter ops touch 16 rows; the prefix sum adds
  // one gathered state (member 0's).
  CHECK(p.op(ops_of(p, 1, OpKind::kLinIntra).at(0)).work == 136);
  CHECK(p.op(ops_of(p, 1, OpKind::kLinState).at(0)).work == 16);
  CHECK(p.op(ops_of(p, 1, OpKind::kLinInter).at(0)).work == 16);
  CHECK(p.op(ops_of(p, 1, OpKind::kLinStateSum).at(0)).work == 1);
  CHECK(ops_of(p, 0, OpKind::kLinStateSum).empty());  // member 0 has no prefix
}

}  // namespace
}  // namespace spsim
