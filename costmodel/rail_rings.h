#pragma once
// NCCL's rings across nodes: one ring per channel, each crossing the node
// boundary on a different rail, so a multi-node ring collective uses every
// NIC of a node at once instead of one NIC pair.
//
// NCCL splits a collective's data over its channels and builds one ring per
// channel; across nodes its ring search (nccl src/graph/search.cc,
// ncclTopoCompute / ncclTopoSearchRec) starts each channel's ring at a NET
// (NIC) and moves on to the next NIC for the next channel, and
// NCCL_CROSS_NIC (default 2) decides whether a ring may leave a node through
// another NIC than it entered by. (?) The per-channel NIC order was read from
// the search's structure, not checked against an NCCL_DEBUG=INFO ring dump of
// a multi-NIC cluster. spsim
// models that with g rings over a group of N nodes x g members each, in
// node-major order (member m·g + j is node m's j-th member):
//   ring c (c = 0..g−1) visits, in every node m, members
//     m·g + (c + j) mod g   for j = 0..g−1,
//   so it leaves node m from local member c−1 and enters node m+1 at local
//   member c. Every member leaves its node on exactly one ring and enters on
//   exactly one: the inter-node traffic is spread evenly over the members,
//   hence over their NICs (members sharing a NIC share its links in the flow
//   model).
// Each ring carries 1/g of the data and runs the single-ring schedule of
// collective_flows.h (all-gather, reduce-scatter, all-reduce, broadcast);
// the rings run in lockstep, so phase p of the collective is phase p of every
// ring. Flows of one phase with the same (src, dst) are merged into one flow
// of their summed bytes (the g−1 rings that share an in-node hop), ordered by
// src, then dst. Every member still sends exactly the single ring's volume.
//
// Deviation from NCCL (documented in docs/simulator.md): NCCL's rings keep one
// NIC per ring at both ends of a crossing where it can (NCCL_CROSS_NIC); here
// a ring leaves on its member c−1's NIC and enters on member c's, which loads
// every NIC the same, the effect that sets the time.
//
// The closed form (analytical network): per ring step of s bytes per member,
// a member's in-node hop carries (g−1)/g·s and each of a node's rails
// (CollectiveGroupShape::rails: its distinct NICs) s/rails, so the
// single-ring row of collective_closed_form.h runs at
//   beta = 1 / max((g−1)/(g·beta_in), 1/(rails·beta_across)).

#include <cstdint>
#include <vector>

#include "costmodel/collective_choice.h"
#include "costmodel/collective_flows.h"

namespace spsim {

// Whether a collective of `kind` run with `algorithm` on `group` runs as rail
// rings: NCCL (not HCCL), kRing, several nodes of group.per_node >= 2 members
// each in node-major order, and not all-to-all (NCCL runs that as send/recv).
bool uses_rail_rings(CollectiveKind kind, CollectiveAlgorithm algorithm, const CollectiveGroupShape& group);

// The phases of the rail rings above: n = nodes x per_node members
// (per_node >= 2, n a multiple of it), root < n for Broadcast.
std::vector<FlowPhase> rail_ring_flows(CollectiveKind kind, std::uint32_t n, std::uint32_t per_node,
                                       double bytes_per_member, std::uint32_t root = 0);

}  // namespace spsim
