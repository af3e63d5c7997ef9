// NCCL's rail rings across nodes (costmodel/rail_rings.h), against flows and
// volumes worked out by hand.
#include "costmodel/rail_rings.h"

#include <doctest/doctest.h>

#include <vector>

namespace spsim {
namespace {

using K = CollectiveKind;

TEST_CASE("rail rings: 2 nodes x 2 members, all-gather flows by hand") {
  // Ring 0 visits 0 1 | 2 3, ring 1 visits 1 0 | 3 2 (node 1's members 2, 3).
  // Each ring gathers half of every block (B/2): every phase, ring 0 sends
  // 0->1, 1->2, 2->3, 3->0 and ring 1 sends 1->0, 0->3, 3->2, 2->1. No pair
  // is shared, so nothing merges: 8 flows of B/2, by src then dst, 3 phases.
  const double B = 1000;
  const auto phases = rail_ring_flows(K::kAllGather, 4, 2, B);
  REQUIRE(phases.size() == 3);
  const std::vector<Flow> expected{{0, 1, B / 2}, {0, 3, B / 2}, {1, 0, B / 2}, {1, 2, B / 2},
                                   {2, 1, B / 2}, {2, 3, B / 2}, {3, 0, B / 2}, {3, 2, B / 2}};
  for (const auto& ph : phases) CHECK(ph.flows == expected);
}

TEST_CASE("rail rings: 2 nodes x 8, all-reduce: each member leaves its node once per step") {
  // n = 16, g = 8: 2(n−1) = 30 steps of s = B/n per member. Per step member
  // j of node m sends (g−1)/g·s to its in-node neighbour j+1 (merged over the
  // 7 rings that take that hop) and s/g across, to member j+1 of the other
  // node (ring j+1 leaves at j and enters at j+1): 16 in-node + 16 crossing
  // flows, and every member sends s in all, the single ring's volume.
  const double B = 16e6, s = B / 16;
  const auto phases = rail_ring_flows(K::kAllReduce, 16, 8, B);
  REQUIRE(phases.size() == 30);
  for (const auto& ph : phases) {
    REQUIRE(ph.flows.size() == 32);
    std::vector<double> sent(16, 0), across_out(16, 0), across_in(16, 0);
    for (const Flow& f : ph.flows) {
      sent[f.src] += f.bytes;
      const bool across = f.src / 8 != f.dst / 8;
      if (across) {
        CHECK(f.bytes == doctest::Approx(s / 8).scale(0));
        CHECK(f.dst % 8 == (f.src + 1) % 8);
        across_out[f.src] += 1;
        across_in[f.dst] += 1;
      } else {
        CHECK(f.bytes == doctest::Approx(7 * s / 8).scale(0));
        CHECK(f.dst == f.src / 8 * 8 + (f.src + 1) % 8);
      }
    }
    for (std::uint32_t m = 0; m < 16; ++m) {
      CHECK(sent[m] == doctest::Approx(s).scale(0));
      CHECK(across_out[m] == 1);
      CHECK(across_in[m] == 1);
    }
  }
}

TEST_CASE("rail rings: broadcast from any root reaches every member with B") {
  // Each ring is a chain from the root carrying 1/g of the data in n chunks.
  const double B = 8e6;
  for (std::uint32_t root : {0u, 5u, 11u}) {
    INFO("root " << root);
    const auto phases = rail_ring_flows(K::kBroadcast, 12, 4, B, root);
    CHECK(phases.size() == 2 * 11);
    std::vector<double> got(12, 0);
    for (const auto& ph : phases)
      for (const Flow& f : ph.flows) {
        CHECK(f.dst != root);
        got[f.dst] += f.bytes;
      }
    for (std::uint32_t m = 0; m < 12; ++m) {
      if (m == root) CHECK(got[m] == 0);
      else CHECK(got[m] == doctest::Approx(B).scale(0));
    }
  }
}

TEST_CASE("rail rings: NCCL's ring collectives across nodes of two members or more") {
  CollectiveGroupShape g;
  g.members = 16;
  g.nodes = 2;
  g.per_node = 8;
  g.rails = 4;
  CHECK(uses_rail_rings(K::kAllReduce, CollectiveAlgorithm::kRing, g));
  CHECK(uses_rail_rings(K::kAllGather, CollectiveAlgorithm::kRing, g));
  CHECK_FALSE(uses_rail_rings(K::kAllReduce, CollectiveAlgorithm::kHalvingDoubling, g));
  CHECK_FALSE(uses_rail_rings(K::kAllToAll, CollectiveAlgorithm::kRing, g));
  g.hccl = true;  // HCCL's ring: not modelled as NCCL's channels
  CHECK_FALSE(uses_rail_rings(K::kAllReduce, CollectiveAlgorithm::kRing, g));
  g.hccl = false;
  g.per_node = 1;  // one member per node: one NIC each, nothing to spread
  CHECK_FALSE(uses_rail_rings(K::kAllReduce, CollectiveAlgorithm::kRing, g));
  g.per_node = 0;  // not node-major
  CHECK_FALSE(uses_rail_rings(K::kAllReduce, CollectiveAlgorithm::kRing, g));
  g.per_node = 8;
  g.nodes = 1;
  CHECK_FALSE(uses_rail_rings(K::kAllReduce, CollectiveAlgorithm::kRing, g));
}

}  // namespace
}  // namespace spsim
