#pragma once
// Collectives as flows: the messages an algorithm sends, in phases, for the
// flow-level network model. Phases run one after another; the flows of one
// phase run concurrently. src/dst are member indices within the group
// (0..n-1, group order); map them to devices through the group.
//
// bytes_per_member = B as in collective_closed_form.h (one member's input).
//   kRing (i -> i+1 mod n unless said):
//     AllGather      n−1 phases, n flows of B (each forwards the block it got last)
//     ReduceScatter  n−1 phases, n flows of B/n
//     AllReduce      2(n−1) phases, n flows of B/n (reduce-scatter, then all-gather)
//     AllToAll       n−1 phases; phase k = 1..n−1: i -> i+k, B/n (shifted pairwise)
//     Broadcast      2(n−1) phases: the chain root, root+1, ... passes n chunks
//                    of B/n; in phase p, chain position j sends chunk p−j
//   kDirect (one phase of all ordered pairs unless said):
//     AllGather B; ReduceScatter B/n; AllToAll B/n;
//     AllReduce two such phases of B/n (reduce-scatter, all-gather);
//     Broadcast root -> every other member, B
//   kHalvingDoubling (n = 2^k; otherwise exactly kRing's flows):
//     AllGather      k phases; phase j: i <-> i xor 2^j, 2^j·B (recursive doubling)
//     ReduceScatter  k phases; phase j: i <-> i xor n/2^(j+1), B/2^(j+1) (halving)
//     AllReduce      reduce-scatter's k phases, then all-gather's on blocks of B/n
//     AllToAll       k phases; phase j: i -> i+2^j, B/2 (Bruck)
//     Broadcast      k phases; phase j: relative ranks r < 2^j send B to r+2^j
//                    (binomial tree; r = member − root mod n)
//   kNvls (costmodel/nvls.h): AllReduce one phase, i -> i+1, B(1 + 1/n) (the
//                    load NVLS puts on each GPU's switch link, each way);
//                    other kinds exactly kRing's flows
// For ring and direct every member sends in total exactly the bandwidth-
// optimal volume of program/comm_volume.h (AllGather (n−1)B, ReduceScatter and
// AllToAll (n−1)B/n, AllReduce 2(n−1)B/n) except Broadcast, which
// comm_volume.h counts as B on the root only while a real broadcast relays
// (ring: every member but the last sends B; direct: the root sends (n−1)B).
// Halving-doubling matches it for AllGather, ReduceScatter and AllReduce.
// Within a phase, flows are ordered by src, then dst.

#include <cstdint>
#include <vector>

#include "costmodel/collective_algorithm.h"
#include "program/op_kind.h"

namespace spsim {

struct Flow {
  std::uint32_t src = 0, dst = 0;  // member indices within the group
  double bytes = 0;
  friend bool operator==(const Flow&, const Flow&) = default;
};

struct FlowPhase {
  std::vector<Flow> flows;
};

// The phases of one collective over n members (n >= 1; n == 1: none). root
// (< n) matters for Broadcast only.
std::vector<FlowPhase> collective_flows(CollectiveKind kind, CollectiveAlgorithm algorithm, std::uint32_t n,
                                        double bytes_per_member, std::uint32_t root = 0);

}  // namespace spsim
