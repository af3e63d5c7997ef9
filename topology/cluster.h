#pragma once
// Clusters: N copies of a node preset on a rail-optimized network.
//
// With nodes == 1 the result is the node alone (no NICs, no network). With
// nodes >= 2, node n's NIC i ("node<n>/nic<i>") hangs where the preset says
// (a PCIe switch, or an on-package port) and connects to leaf switch i
// ("leaf<i>", the switch of rail i); every leaf connects to one "spine" vertex.
// - NIC <-> leaf: the preset's port rate, latency hw::kNicToLeafLatency (14 us
//   same-rail GPU-to-GPU route with the PCIe hops, NCCL's per-hop network
//   latency; hardware_facts.h).
// - leaf <-> spine: nodes x port rate (a non-blocking leaf: as much uplink as
//   downlink), latency hw::kLeafToSpineLatency (?).
// Cross-rail traffic (node0/gpu0 -> node1/gpu3) leaves through the sender's
// own NIC, climbs leaf0 -> spine -> leaf3 and enters through the receiver's
// NIC: each GPU uses the NIC nearest to it (GPUDirect RDMA over its PCIe
// switch), as NCCL does, and routes never forward through a third device
// (NCCL's PXN, moving data over NVLink to a GPU on the right rail first, is a
// schedule choice: two messages). The single spine vertex stands for the
// spine layer of a non-blocking fat tree.

#include <cstdint>
#include <string_view>

#include "topology/node_preset.h"
#include "program/memory_limit.h"
#include "topology/topology.h"

namespace spsim {

// Builds `nodes` copies of `preset`. Topology name: the preset name for one
// node, "<preset> x <nodes> nodes" otherwise. Throws InputError when nodes == 0.
// `memory_limit_bytes`: TopologyBuilder::set_memory_limit.
Topology build_cluster(const NodePreset& preset, std::uint32_t nodes,
                       double memory_limit_bytes = default_memory_limit_bytes());

// build_cluster(find_node_preset(name), nodes); an unknown name throws
// InputError("--topology", ...) listing the presets.
Topology make_preset_topology(std::string_view name, std::uint32_t nodes = 1,
                              double memory_limit_bytes = default_memory_limit_bytes());

}  // namespace spsim
