#pragma once
// Which algorithm a collective library would pick for a group — the rule
// spsim uses when a Program's collective is lowered to flows.
//
// The rule, first match wins:
//  1. One member: kRing (nothing moves).
//  2. AllToAll: kDirect — NCCL's all-to-all is a group of send/recv with every
//     peer at once; HCCL's in-server Mesh does the same (its phased
//     "pairwise" variant is opt-in, HCCL_ALGO).
//  3. All members on one node:
//     - AllReduce on an NVSwitch that reduces in the switch (every pair joined
//       through one switch vertex by NVLink, every device Hopper or later):
//       kNvls, NVLink SHARP (costmodel/nvls.h). NCCL's tuning picks NVLS for
//       such all-reduces by its cost model; within spsim's (no LL protocols)
//       NVLS's one 25 us step beats the ring's 2(n−1) steps at every size.
//     - every pair joined by one HCCS link (Ascend 910B 8-NPU mesh, a 4-NPU
//       half of a 910 server): kDirect, HCCL's Mesh algorithm, which uses all
//       p−1 links at once (hicann/hccl coll_algo_intro, hardware.md);
//     - otherwise (NVSwitch, NVLink meshes, PCIe, a 910 group spanning both
//       halves): kRing, NCCL's in-node algorithm and HCCL's Ring.
//  4. Several nodes:
//     - HCCL (Ascend devices): kHalvingDoubling when the number of servers and
//       of members are powers of two, else kRing — HCCL's default for the
//       Atlas training series (HCCL_ALGO documentation, CANN 8.0: "ring when
//       the server count is not a power of 2, otherwise H-D_R"); applied to
//       910B too (?).
//     - NCCL: AllReduce of at most kSmallAllReduceBytes per member over a
//       power-of-two group: kHalvingDoubling, a log-depth stand-in for the
//       tree NCCL's tuning model (src/graph/tuning.cc) picks for small
//       all-reduces across nodes; everything else kRing (NCCL runs
//       all-gather, reduce-scatter and broadcast as rings).
// The collective's topology facts come from collective_group_shape().

#include <cstdint>
#include <span>

#include "costmodel/collective_algorithm.h"
#include "program/op_kind.h"
#include "topology/topology.h"

namespace spsim {

// (?) spsim's threshold, not NCCL's: NCCL decides tree vs ring by its cost
// model, whose crossover depends on node count and protocol.
inline constexpr double kSmallAllReduceBytes = 1 << 20;

// What the rule needs to know about a group of devices.
struct CollectiveGroupShape {
  std::uint32_t members = 0;
  std::uint32_t nodes = 1;        // distinct machines the members are on
  bool hccs_full_mesh = false;    // one node, every pair joined by a single HCCS link
  bool hccl = false;              // Ascend devices: HCCL's rules, else NCCL's
  bool nvls = false;              // one node, NVLS-capable NVSwitch (rule 3)
  double nvls_efficiency = 0;     // when nvls: the lowest of the members' (nvls.h)
  // Members per node when the group is node-major with the same count on
  // every node (node m's members are m·per_node .. m·per_node + per_node − 1);
  // 0 otherwise. What rail rings need (rail_rings.h).
  std::uint32_t per_node = 0;
  // The fewest distinct NICs the members of one node have (Topology::nic_of;
  // at least 1): the rails rail rings spread a node's traffic over.
  std::uint32_t rails = 1;
};

// The rule above, on a described group.
CollectiveAlgorithm choose_collective_algorithm(CollectiveKind kind, const CollectiveGroupShape& group,
                                                double bytes_per_member);

// The shape of `members` (devices, group order) in `topology`: nodes from
// Topology::node_of, hccs_full_mesh from single-link HCCS routes between
// every pair, hccl when every member's device_type starts with "ascend",
// per_node and rails from the members' nodes and NICs, nvls when every pair's
// route is GPU -> one switch vertex -> GPU over NVLink and every device has
// an NVLS efficiency (nvls.h).
// (collective_choice_topology.cc)
CollectiveGroupShape collective_group_shape(std::span<const DeviceId> members, const Topology& topology);

// choose_collective_algorithm(kind, collective_group_shape(members, topology), bytes).
CollectiveAlgorithm choose_collective_algorithm(CollectiveKind kind, std::span<const DeviceId> members,
                                                const Topology& topology, double bytes_per_member);

}  // namespace spsim
