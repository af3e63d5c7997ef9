#pragma once
// Node presets: one machine's devices and internal links, plus where its
// scale-out NICs attach, so that the cluster builder (cluster.h) can put any
// preset on a rail-optimized network. A preset models the data paths a route
// can take, not every chip on the board (e.g. no CPUs on NVSwitch nodes: no
// route crosses them). Numbers come from hardware_facts.h, each cited there.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "topology/topology.h"
#include "topology/topology_builder.h"

namespace spsim {

// One scale-out NIC of a node and how it hangs off the node.
struct NicAttachment {
  VertexId attach_to = 0;  // a PCIe switch, or the device itself for an on-package port
  double attach_bandwidth_bytes_per_s = 0;
  double attach_latency_s = 0;
  LinkKind attach_kind = LinkKind::kPcie;
  std::string attach_source;
  std::vector<DeviceId> serves;  // devices whose inter-node traffic uses this NIC
};

// The node's NIC ports (all NICs of a preset run at the same rate).
struct NetworkPort {
  std::string_view technology;  // "InfiniBand NDR 400 Gb/s"
  double bandwidth_bytes_per_s = 0;
  std::string_view source;
};

struct NodePreset {
  std::string_view name;     // "h100-sxm8"
  std::string_view summary;  // one line for `spsim topo`
  std::uint32_t devices_per_node = 0;
  NetworkPort port;
  // Adds node `node`'s vertices (named "node<node>/...") and links to `b` and
  // returns its NICs in rail order (NIC i joins leaf switch i). The caller
  // adds the NIC vertices and links only for clusters of two nodes or more.
  std::vector<NicAttachment> (*add_node)(TopologyBuilder& b, std::uint32_t node);
};

// Every node preset, in the order `spsim topo` lists them.
std::span<const NodePreset> node_presets();
// The preset called `name`; nullptr when there is none.
const NodePreset* find_node_preset(std::string_view name);
// "h100-sxm8, a100-sxm8, ..." for error messages.
std::string node_preset_names();

// The families, defined in presets_nvidia.cc, presets_ascend.cc and presets_pcie.cc.
std::span<const NodePreset> nvidia_node_presets();
std::span<const NodePreset> ascend_node_presets();
std::span<const NodePreset> pcie_node_presets();

// "node3/gpu5"
std::string node_vertex_name(std::uint32_t node, std::string_view local);

}  // namespace spsim
