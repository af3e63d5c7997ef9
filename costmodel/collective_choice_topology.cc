// The topology-reading half of collective_choice.h, in its own file so the
// pure rule links without topology/.
#include <algorithm>
#include <optional>
#include <set>

#include "costmodel/collective_choice.h"
#include "costmodel/nvls.h"

namespace spsim {

CollectiveGroupShape collective_group_shape(std::span<const DeviceId> members, const Topology& topology) {
  CollectiveGroupShape g;
  g.members = static_cast<std::uint32_t>(members.size());
  std::set<std::uint32_t> nodes;
  g.hccl = !members.empty();
  for (DeviceId d : members) {
    nodes.insert(topology.node_of(d));
    if (!topology.device_type(d).starts_with("ascend")) g.hccl = false;
  }
  g.nodes = static_cast<std::uint32_t>(nodes.size());
  // Node-major runs of equal length, and the distinct NICs of each run.
  if (!members.empty() && members.size() % g.nodes == 0) {
    const auto per = static_cast<std::uint32_t>(members.size() / g.nodes);
    bool node_major = true;
    std::uint32_t rails = per;
    for (std::size_t start = 0; node_major && start < members.size(); start += per) {
      std::set<std::optional<VertexId>> nics;
      for (std::size_t i = start; i < start + per; ++i) {
        node_major = node_major && topology.node_of(members[i]) == topology.node_of(members[start]);
        nics.insert(topology.nic_of(members[i]));
      }
      rails = std::min(rails, static_cast<std::uint32_t>(nics.size()));
    }
    if (node_major) {
      g.per_node = per;
      g.rails = std::max(1u, rails);
    }
  }
  // One node: one pass over the ordered pairs' routes decides both
  // hccs_full_mesh (every pair one HCCS link) and nvls (every pair GPU ->
  // the same NVLink switch vertex -> GPU, every device NVLS-capable).
  g.hccs_full_mesh = g.nvls = g.nodes == 1 && members.size() > 1;
  g.nvls_efficiency = 1;
  for (DeviceId d : members) {
    const auto e = nvls_efficiency(topology.device_type(d));
    g.nvls = g.nvls && e.has_value();
    g.nvls_efficiency = std::min(g.nvls_efficiency, e.value_or(0));
  }
  std::optional<VertexId> nvswitch;
  for (std::size_t i = 0; (g.hccs_full_mesh || g.nvls) && i < members.size(); ++i)
    for (std::size_t j = 0; (g.hccs_full_mesh || g.nvls) && j < members.size(); ++j) {
      if (i == j) continue;
      const auto route = topology.route(members[i], members[j]);
      g.hccs_full_mesh = g.hccs_full_mesh && route.size() == 1 && topology.link(route[0]).kind == LinkKind::kHccs;
      if (!g.nvls) continue;
      const VertexId via = route.size() == 2 ? topology.link(route[0]).to : 0;
      g.nvls = route.size() == 2 && topology.link(route[0]).kind == LinkKind::kNvlink &&
               topology.link(route[1]).kind == LinkKind::kNvlink && topology.vertex(via).kind == VertexKind::kSwitch &&
               (!nvswitch || *nvswitch == via);
      nvswitch = via;
    }
  if (!g.nvls) g.nvls_efficiency = 0;
  return g;
}

CollectiveAlgorithm choose_collective_algorithm(CollectiveKind kind, std::span<const DeviceId> members,
                                                const Topology& topology, double bytes_per_member) {
  return choose_collective_algorithm(kind, collective_group_shape(members, topology), bytes_per_member);
}

}  // namespace spsim
