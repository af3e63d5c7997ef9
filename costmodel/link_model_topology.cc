// LinkModel::route: the only part of the link model that needs a Topology
// (kept in its own file so the rest links without topology/).
#include <vector>

#include "costmodel/link_model.h"

namespace spsim {

AlphaBeta LinkModel::route(const Topology& topology, DeviceId a, DeviceId b, Traffic t) const {
  std::vector<const Link*> links;
  bool staged = false;
  for (LinkId id : topology.route(a, b)) {
    links.push_back(&topology.link(id));
    staged |= links.back()->kind == LinkKind::kHostMemory;
  }
  AlphaBeta ab = path(links, t);
  if (staged) return ab;
  for (std::size_t i = 0; i + 1 < links.size(); ++i) {
    const bool through_cpu = topology.vertex(links[i]->to).kind == VertexKind::kCpu;
    if (through_cpu && links[i]->kind == LinkKind::kPcie && links[i + 1]->kind == LinkKind::kPcie) {
      ab.alpha_s += root_complex_.latency_s;
      ab.beta_bytes_per_s = std::min(ab.beta_bytes_per_s, root_complex_.bandwidth_bytes_per_s);
    }
  }
  return ab;
}

}  // namespace spsim
