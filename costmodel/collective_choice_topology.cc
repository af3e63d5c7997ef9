// The topology-reading half of collective_choice.h, in its own file so the
// pure rule links without topology/.
#include <set>

#include "costmodel/collective_choice.h"

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
  g.hccs_full_mesh = g.nodes == 1 && members.size() > 1;
  for (std::size_t i = 0; g.hccs_full_mesh && i < members.size(); ++i) {
    for (std::size_t j = 0; j < members.size(); ++j) {
      if (i == j) continue;
      const auto route = topology.route(members[i], members[j]);
      if (route.size() != 1 || topology.link(route[0]).kind != LinkKind::kHccs) {
        g.hccs_full_mesh = false;
        break;
      }
    }
  }
  return g;
}

CollectiveAlgorithm choose_collective_algorithm(CollectiveKind kind, std::span<const DeviceId> members,
                                                const Topology& topology, double bytes_per_member) {
  return choose_collective_algorithm(kind, collective_group_shape(members, topology), bytes_per_member);
}

}  // namespace spsim
