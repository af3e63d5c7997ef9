#include "topology/cluster.h"

#include <string>
#include <vector>

#include "program/input_error.h"
#include "topology/hardware_facts.h"
#include "topology/topology_builder.h"

namespace spsim {

Topology build_cluster(const NodePreset& preset, std::uint32_t nodes, double memory_limit_bytes) {
  if (nodes == 0) throw InputError("--nodes", "expected at least 1 node");
  if (std::uint64_t{nodes} * preset.devices_per_node > kMaxDevices)
    throw InputError("--nodes", std::to_string(nodes) + " nodes of " + std::string(preset.name) + " are more than " +
                                    std::to_string(kMaxDevices) + " devices");
  const std::string name =
      nodes == 1 ? std::string(preset.name) : std::string(preset.name) + " x " + std::to_string(nodes) + " nodes";
  TopologyBuilder b(name);
  b.set_memory_limit(memory_limit_bytes);
  if (nodes == 1) {
    preset.add_node(b, 0);
    return std::move(b).build();
  }

  // Each node with its NICs, then the leaves and the spine.
  std::vector<std::vector<VertexId>> nic_of_node(nodes);  // [node][rail]
  for (std::uint32_t n = 0; n < nodes; ++n) {
    const std::vector<NicAttachment> nics = preset.add_node(b, n);
    for (std::size_t i = 0; i < nics.size(); ++i) {
      const NicAttachment& a = nics[i];
      const VertexId nic = b.add_vertex(VertexKind::kNic, node_vertex_name(n, "nic" + std::to_string(i)), n);
      b.add_link(a.attach_to, nic, a.attach_bandwidth_bytes_per_s, a.attach_latency_s, a.attach_kind, a.attach_source);
      for (DeviceId d : a.serves) b.set_nic(d, nic);
      nic_of_node[n].push_back(nic);
    }
  }
  const std::size_t rails = nic_of_node[0].size();
  const std::string port(preset.port.technology);
  const std::string nic_source = std::string(preset.port.source) +
                                 "; latency 2 us so a same-rail route is 14 us (NCCL tuning.cc per-hop network "
                                 "latency, Simple; hardware.md)";
  const std::string spine_source = "non-blocking leaf: uplink = " + std::to_string(nodes) + " x " + port +
                                   " (" + std::string(preset.port.source) +
                                   "); latency 0.5 us (?) one switch hop, not in hardware.md";
  std::vector<VertexId> leaf;
  for (std::size_t i = 0; i < rails; ++i)
    leaf.push_back(b.add_vertex(VertexKind::kSwitch, "leaf" + std::to_string(i), 0));
  const VertexId spine = b.add_vertex(VertexKind::kSwitch, "spine", 0);
  for (std::uint32_t n = 0; n < nodes; ++n)
    for (std::size_t i = 0; i < rails; ++i)
      b.add_link(nic_of_node[n][i], leaf[i], preset.port.bandwidth_bytes_per_s, hw::kNicToLeafLatency,
                 LinkKind::kNetwork, nic_source);
  for (std::size_t i = 0; i < rails; ++i)
    b.add_link(leaf[i], spine, nodes * preset.port.bandwidth_bytes_per_s, hw::kLeafToSpineLatency,
               LinkKind::kNetwork, spine_source);
  return std::move(b).build();
}

Topology make_preset_topology(std::string_view name, std::uint32_t nodes, double memory_limit_bytes) {
  const NodePreset* preset = find_node_preset(name);
  if (preset == nullptr)
    throw InputError("--topology", "unknown topology '" + std::string(name) + "'; expected one of: " +
                                       node_preset_names());
  return build_cluster(*preset, nodes, memory_limit_bytes);
}

}  // namespace spsim
