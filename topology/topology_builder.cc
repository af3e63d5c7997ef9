#include "topology/topology_builder.h"

#include <algorithm>
#include <cmath>

#include "program/input_error.h"
#include "topology/routing.h"

namespace spsim {

TopologyBuilder::TopologyBuilder(std::string name, std::optional<std::string> where)
    : name_(std::move(name)), where_(where ? std::move(*where) : "topology '" + name_ + "'") {}

void TopologyBuilder::fail(const std::string& what) const { throw InputError(where_, what); }

VertexId TopologyBuilder::add_vertex(VertexKind kind, std::string name, std::uint32_t node, std::string device_type) {
  if (name.empty()) fail("a vertex has an empty name");
  if (by_name_.count(name) != 0) fail("duplicate vertex name '" + name + "'");
  if (kind == VertexKind::kDevice && device_type.empty()) fail("device '" + name + "' needs a device_type");
  if (kind != VertexKind::kDevice && !device_type.empty())
    fail("only devices have a device_type ('" + name + "' is a " + std::string(vertex_kind_name(kind)) + ")");
  const auto id = static_cast<VertexId>(vertices_.size());
  by_name_.emplace(name, id);
  vertices_.push_back(Vertex{kind, std::move(name), node, std::move(device_type)});
  if (kind == VertexKind::kDevice) {
    if (devices_.size() >= kMaxDevices) fail("has more than " + std::to_string(kMaxDevices) + " devices");
    devices_.push_back(id);
    nic_.emplace_back();
    staging_.emplace_back();
  }
  return id;
}

LinkId TopologyBuilder::add_link(VertexId a, VertexId b, double bandwidth_bytes_per_s, double latency_s,
                                 LinkKind kind, std::string source) {
  if (a >= vertices_.size() || b >= vertices_.size()) fail("a link joins an unknown vertex");
  const std::string what = "link '" + vertices_[a].name + "' - '" + vertices_[b].name + "'";
  if (a == b) fail(what + " joins a vertex to itself");
  if (!(std::isfinite(bandwidth_bytes_per_s) && bandwidth_bytes_per_s > 0))
    fail(what + ": bandwidth must be finite and > 0 bytes/s");
  if (!(std::isfinite(latency_s) && latency_s >= 0)) fail(what + ": latency must be finite and >= 0 s");
  const auto id = static_cast<LinkId>(links_.size());
  if (!physical_.emplace(std::minmax(a, b), id).second)
    fail(what + " is given twice; give parallel links as one link with their summed bandwidth");
  links_.push_back(Link{a, b, bandwidth_bytes_per_s, latency_s, kind, source});
  links_.push_back(Link{b, a, bandwidth_bytes_per_s, latency_s, kind, std::move(source)});
  return id;
}

void TopologyBuilder::set_nic(DeviceId d, VertexId nic) {
  if (d >= devices_.size() || nic >= vertices_.size()) fail("set_nic: unknown device or vertex");
  if (vertices_[nic].kind != VertexKind::kNic)
    fail("the nic of '" + vertices_[devices_[d]].name + "' must be a nic vertex, not '" + vertices_[nic].name + "'");
  nic_[d] = nic;
}

void TopologyBuilder::set_staging(DeviceId d, VertexId host_memory) {
  if (d >= devices_.size() || host_memory >= vertices_.size()) fail("set_staging: unknown device or vertex");
  if (vertices_[host_memory].kind != VertexKind::kHostMemory)
    fail("the staging vertex of '" + vertices_[devices_[d]].name + "' must be a host-memory vertex, not '" +
         vertices_[host_memory].name + "'");
  staging_[d] = host_memory;
}

std::optional<VertexId> TopologyBuilder::find_vertex(std::string_view name) const {
  const auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

Topology TopologyBuilder::build() && {
  if (devices_.empty()) fail("has no devices");
  // Node-major numbering with the same number of devices on every node.
  std::vector<std::uint32_t> devices_on_node;
  for (VertexId v : devices_) {
    const std::uint32_t node = vertices_[v].node;
    if (node == devices_on_node.size()) {
      devices_on_node.push_back(0);
    } else if (node + 1 != devices_on_node.size()) {
      fail("devices must be listed node-major with nodes 0, 1, ... in order; device '" + vertices_[v].name +
           "' is on node " + std::to_string(node) + " after a device of node " +
           std::to_string(devices_on_node.size() - 1));
    }
    ++devices_on_node.back();
  }
  const auto nodes = static_cast<std::uint32_t>(devices_on_node.size());
  const std::uint32_t per_node = devices_on_node.front();
  for (std::uint32_t n = 0; n < nodes; ++n)
    if (devices_on_node[n] != per_node)
      fail("every node must hold the same number of devices; node 0 has " + std::to_string(per_node) + ", node " +
           std::to_string(n) + " has " + std::to_string(devices_on_node[n]));
  for (const Vertex& v : vertices_)
    if (v.node >= nodes) fail("vertex '" + v.name + "' is on node " + std::to_string(v.node) + ", but only " +
                              std::to_string(nodes) + " node(s) hold devices");

  check_memory_estimate(route_table_bytes(num_devices()), memory_limit_bytes_,
                        where_ + " with " + std::to_string(num_devices()) + " devices (all-pairs routes)",
                        "the number of devices");
  Topology t;
  t.name_ = name_;
  t.num_nodes_ = nodes;
  t.devices_per_node_ = per_node;
  RouteTable routes = compute_routes(RoutingInput{&vertices_, &links_, &devices_, &nic_, &staging_}, where_);
  t.route_offsets_ = std::move(routes.offsets);
  t.route_links_ = std::move(routes.links);
  t.vertex_device_.assign(vertices_.size(), std::nullopt);
  for (DeviceId d = 0; d < devices_.size(); ++d) t.vertex_device_[devices_[d]] = d;
  t.vertices_by_name_.reserve(by_name_.size());
  for (const auto& [name, id] : by_name_) t.vertices_by_name_.push_back(id);  // std::map: sorted by name
  t.vertices_ = std::move(vertices_);
  t.links_ = std::move(links_);
  t.device_vertices_ = std::move(devices_);
  t.device_nic_ = std::move(nic_);
  t.device_staging_ = std::move(staging_);
  return t;
}

}  // namespace spsim
