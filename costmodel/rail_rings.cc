#include "costmodel/rail_rings.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <utility>

namespace spsim {

bool uses_rail_rings(CollectiveKind kind, CollectiveAlgorithm algorithm, const CollectiveGroupShape& group) {
  return !group.hccl && algorithm == CollectiveAlgorithm::kRing && group.nodes > 1 && group.per_node >= 2 &&
         kind != CollectiveKind::kAllToAll;
}

std::vector<FlowPhase> rail_ring_flows(CollectiveKind kind, std::uint32_t n, std::uint32_t per_node,
                                       double bytes_per_member, std::uint32_t root) {
  assert(per_node >= 2 && n % per_node == 0 && root < n && kind != CollectiveKind::kAllToAll &&
         "rail_ring_flows: bad arguments");
  const std::uint32_t g = per_node, nodes = n / per_node;
  const double share = bytes_per_member / g;  // each ring's part of a member's input
  // One ring's single-ring phases over ring positions 0..n−1 (position i sends
  // to i+1), with the root at position 0 for Broadcast.
  const std::vector<FlowPhase> ring = collective_flows(kind, CollectiveAlgorithm::kRing, n, share, 0);
  std::vector<std::map<std::pair<std::uint32_t, std::uint32_t>, double>> merged(ring.size());
  std::vector<std::uint32_t> order(n);
  for (std::uint32_t c = 0; c < g; ++c) {
    for (std::uint32_t m = 0; m < nodes; ++m)
      for (std::uint32_t j = 0; j < g; ++j) order[m * g + j] = m * g + (c + j) % g;
    // Broadcast: the ring's positions start at the root.
    const auto at_root = std::find(order.begin(), order.end(), root) - order.begin();
    std::rotate(order.begin(), order.begin() + (kind == CollectiveKind::kBroadcast ? at_root : 0), order.end());
    for (std::size_t p = 0; p < ring.size(); ++p)
      for (const Flow& f : ring[p].flows) merged[p][{order[f.src], order[f.dst]}] += f.bytes;
  }
  std::vector<FlowPhase> out(ring.size());
  for (std::size_t p = 0; p < ring.size(); ++p)
    for (const auto& [pair, bytes] : merged[p]) out[p].flows.push_back({pair.first, pair.second, bytes});
  return out;
}

}  // namespace spsim
