// LinkModel::route: the only part of the link model that needs a Topology
// (kept in its own file so the rest links without topology/).
#include <vector>

#include "costmodel/link_model.h"

namespace spsim {

AlphaBeta LinkModel::route(const Topology& topology, DeviceId a, DeviceId b) const {
  std::vector<const Link*> links;
  for (LinkId id : topology.route(a, b)) links.push_back(&topology.link(id));
  return path(links);
}

}  // namespace spsim
