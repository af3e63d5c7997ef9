#pragma once
// alpha-beta of device-to-device routes for one kind of traffic (point-to-
// point or collective), computed once per pair on first use (LinkModel::route
// sums over the route's links; transfers ask per message).

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "costmodel/link_model.h"
#include "topology/topology.h"

namespace spsim {

struct RouteCost {
  AlphaBeta ab;
  std::optional<LinkId> bottleneck;  // the narrowest link (effective bandwidth); none on an empty route
};

class RouteCache {
 public:
  RouteCache(const Topology& topology, const LinkModel& links, Traffic traffic)
      : topo_(topology), links_(links), traffic_(traffic) {
    const std::size_t n = topology.num_devices();
    if (n <= kDenseLimit) dense_.resize(n * n);
  }

  const RouteCost& get(DeviceId a, DeviceId b) {
    const std::size_t key = std::size_t{a} * topo_.num_devices() + b;
    if (!dense_.empty()) {
      auto& slot = dense_[key];
      if (!slot) slot = compute(a, b);
      return *slot;
    }
    auto it = sparse_.find(key);
    if (it == sparse_.end()) it = sparse_.emplace(key, compute(a, b)).first;
    return it->second;
  }

 private:
  static constexpr std::size_t kDenseLimit = 2048;  // 2048^2 slots of 40 bytes = 168 MB at most

  RouteCost compute(DeviceId a, DeviceId b) const {
    RouteCost rc{links_.route(topo_, a, b, traffic_), std::nullopt};
    double narrowest = 0;
    for (LinkId l : topo_.route(a, b)) {
      const double bw = links_.link(topo_.link(l), traffic_).beta_bytes_per_s;
      if (!rc.bottleneck || bw < narrowest) {
        narrowest = bw;
        rc.bottleneck = l;
      }
    }
    return rc;
  }

  const Topology& topo_;
  const LinkModel& links_;
  Traffic traffic_;
  std::vector<std::optional<RouteCost>> dense_;
  std::unordered_map<std::size_t, RouteCost> sparse_;
};

}  // namespace spsim
