// The per-topology algorithm rule (collective_choice.h), on described groups.
#include <doctest/doctest.h>

#include "costmodel/collective_choice.h"

namespace spsim {
namespace {

using A = CollectiveAlgorithm;
using K = CollectiveKind;

CollectiveGroupShape group(std::uint32_t members, std::uint32_t nodes, bool hccs_mesh, bool hccl) {
  CollectiveGroupShape g;
  g.members = members;
  g.nodes = nodes;
  g.hccs_full_mesh = hccs_mesh;
  g.hccl = hccl;
  return g;
}

constexpr double kSmall = 64 * 1024, kLarge = 64 * 1024 * 1024;

TEST_CASE("inside one node: HCCS full mesh -> direct, anything else -> ring") {
  const auto ascend910b = group(8, 1, true, true);  // 8-NPU HCCS full mesh
  for (K k : {K::kAllGather, K::kReduceScatter, K::kAllReduce, K::kBroadcast, K::kAllToAll})
    CHECK(choose_collective_algorithm(k, ascend910b, kLarge) == A::kDirect);
  const auto nvswitch = group(8, 1, false, false);  // H100 SXM8
  for (K k : {K::kAllGather, K::kReduceScatter, K::kAllReduce, K::kBroadcast}) {
    CHECK(choose_collective_algorithm(k, nvswitch, kSmall) == A::kRing);
    CHECK(choose_collective_algorithm(k, nvswitch, kLarge) == A::kRing);
  }
  // Ascend 910 group spanning both 4-NPU halves: not a mesh -> HCCL Ring.
  CHECK(choose_collective_algorithm(K::kAllGather, group(8, 1, false, true), kLarge) == A::kRing);
}

TEST_CASE("one NVLS-capable NVSwitch node: all-reduce runs as NVLS, the rest as before") {
  auto h100 = group(8, 1, false, false);
  h100.nvls = true;
  h100.nvls_efficiency = 0.85;
  CHECK(choose_collective_algorithm(K::kAllReduce, h100, kSmall) == A::kNvls);
  CHECK(choose_collective_algorithm(K::kAllReduce, h100, kLarge) == A::kNvls);
  for (K k : {K::kAllGather, K::kReduceScatter, K::kBroadcast})
    CHECK(choose_collective_algorithm(k, h100, kLarge) == A::kRing);
  CHECK(choose_collective_algorithm(K::kAllToAll, h100, kLarge) == A::kDirect);
}

TEST_CASE("all-to-all is pairwise-direct everywhere") {
  CHECK(choose_collective_algorithm(K::kAllToAll, group(8, 1, false, false), kLarge) == A::kDirect);
  CHECK(choose_collective_algorithm(K::kAllToAll, group(32, 4, false, false), kSmall) == A::kDirect);
  CHECK(choose_collective_algorithm(K::kAllToAll, group(16, 2, false, true), kLarge) == A::kDirect);
}

TEST_CASE("across nodes, NCCL: small all-reduce halving-doubling, the rest ring") {
  const auto two_nodes = group(16, 2, false, false);
  CHECK(choose_collective_algorithm(K::kAllReduce, two_nodes, kSmall) == A::kHalvingDoubling);
  CHECK(choose_collective_algorithm(K::kAllReduce, two_nodes, kSmallAllReduceBytes) == A::kHalvingDoubling);
  CHECK(choose_collective_algorithm(K::kAllReduce, two_nodes, kLarge) == A::kRing);
  CHECK(choose_collective_algorithm(K::kAllGather, two_nodes, kSmall) == A::kRing);
  CHECK(choose_collective_algorithm(K::kReduceScatter, two_nodes, kSmall) == A::kRing);
  // 24 members: not a power of two, no halving-doubling.
  CHECK(choose_collective_algorithm(K::kAllReduce, group(24, 3, false, false), kSmall) == A::kRing);
}

TEST_CASE("across nodes, HCCL: halving-doubling on powers of two, else ring") {
  CHECK(choose_collective_algorithm(K::kAllGather, group(16, 2, false, true), kLarge) == A::kHalvingDoubling);
  CHECK(choose_collective_algorithm(K::kAllReduce, group(32, 4, false, true), kSmall) == A::kHalvingDoubling);
  CHECK(choose_collective_algorithm(K::kAllReduce, group(24, 3, false, true), kSmall) == A::kRing);
  // 3 servers of 8: a power-of-two member count is not enough.
  CHECK(choose_collective_algorithm(K::kAllReduce, group(16, 3, false, true), kSmall) == A::kRing);
}

TEST_CASE("a single member needs no algorithm") {
  CHECK(choose_collective_algorithm(K::kAllReduce, group(1, 1, false, false), kLarge) == A::kRing);
}

}  // namespace
}  // namespace spsim
