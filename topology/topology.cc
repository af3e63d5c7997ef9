#include "topology/topology.h"

#include "topology/link_params.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace spsim {

std::string_view vertex_kind_name(VertexKind k) {
  switch (k) {
    case VertexKind::kDevice: return "device";
    case VertexKind::kSwitch: return "switch";
    case VertexKind::kNic: return "nic";
    case VertexKind::kCpu: return "cpu";
    case VertexKind::kPcieSwitch: return "pcie-switch";
    case VertexKind::kHostMemory: return "host-memory";
  }
  return "?";
}

std::string_view link_kind_name(LinkKind k) {
  switch (k) {
    case LinkKind::kNvlink: return "nvlink";
    case LinkKind::kHccs: return "hccs";
    case LinkKind::kPcie: return "pcie";
    case LinkKind::kCpuInterconnect: return "cpu";
    case LinkKind::kNetwork: return "network";
    case LinkKind::kHostMemory: return "host";
  }
  return "?";
}

std::optional<VertexKind> vertex_kind_from_name(std::string_view name) {
  for (VertexKind k : kAllVertexKinds)
    if (vertex_kind_name(k) == name) return k;
  return std::nullopt;
}

std::optional<LinkKind> link_kind_from_name(std::string_view name) {
  for (LinkKind k : kAllLinkKinds)
    if (link_kind_name(k) == name) return k;
  return std::nullopt;
}

std::optional<DeviceId> Topology::device_of_vertex(VertexId v) const { return vertex_device_.at(v); }

std::optional<VertexId> Topology::find_vertex(std::string_view name) const {
  const auto it = std::lower_bound(vertices_by_name_.begin(), vertices_by_name_.end(), name,
                                   [this](VertexId v, std::string_view n) { return vertices_[v].name < n; });
  if (it == vertices_by_name_.end() || vertices_[*it].name != name) return std::nullopt;
  return *it;
}

std::span<const LinkId> Topology::route(DeviceId a, DeviceId b) const {
  const std::size_t n = num_devices();
  if (a >= n || b >= n) throw std::out_of_range("Topology::route: device id out of range");
  const std::size_t pair = std::size_t{a} * n + b;
  const std::uint64_t begin = route_offsets_[pair], end = route_offsets_[pair + 1];
  return {route_links_.data() + begin, static_cast<std::size_t>(end - begin)};
}

double Topology::route_latency_s(DeviceId a, DeviceId b) const {
  double sum = 0;
  for (LinkId l : route(a, b)) sum += links_[l].latency_s;
  return sum;
}

double Topology::route_bandwidth_bytes_per_s(DeviceId a, DeviceId b) const {
  double narrowest = std::numeric_limits<double>::infinity();
  for (LinkId l : route(a, b)) narrowest = std::min(narrowest, links_[l].bandwidth_bytes_per_s);
  return narrowest;
}

bool Topology::directly_linked(DeviceId a, DeviceId b) const {
  // A direct link is always the shortest path, so it is the route.
  const auto r = route(a, b);
  return r.size() == 1;
}

std::vector<LinkKind> Topology::link_kinds() const {
  std::vector<LinkKind> kinds;
  for (LinkKind k : kAllLinkKinds)
    if (std::any_of(links_.begin(), links_.end(), [k](const Link& l) { return l.kind == k; })) kinds.push_back(k);
  return kinds;
}

void Topology::scale_link_kind(LinkKind kind, double bandwidth_factor, double latency_factor) {
  if (!(std::isfinite(bandwidth_factor) && bandwidth_factor > 0))
    throw std::invalid_argument("scale_link_kind: bandwidth factor must be finite and > 0");
  if (!(std::isfinite(latency_factor) && latency_factor >= 0))
    throw std::invalid_argument("scale_link_kind: latency factor must be finite and >= 0");
  for (Link& l : links_) {
    if (l.kind != kind) continue;
    l.bandwidth_bytes_per_s *= bandwidth_factor;
    l.latency_s *= latency_factor;
  }
}

void Topology::set_link_params(const LinkCalibration& params) {
  link_params_ = params.any() ? std::make_shared<const LinkCalibration>(params) : nullptr;
}

}  // namespace spsim
