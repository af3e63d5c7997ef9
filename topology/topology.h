#pragma once
// A cluster as a graph: devices (GPUs/NPUs), switches, NICs, CPUs, PCIe
// switches and host memories are vertices; every physical link is two directed
// links (one per direction) with a bandwidth and a latency. Devices are
// numbered 0..N-1 in cluster order (node-major: node n's local device i is
// n * per_node + i); rank r of a Program runs on device r unless a placement
// says otherwise.
//
// Routing: route(a, b) is the ordered list of directed links a message from
// device a to device b crosses — direct links on a mesh, through the switch on
// NVSwitch nodes (HCCS on the 910B is a full mesh: no switch), through PCIe
// switches and CPUs (and the CPU interconnect) where devices have no peer link,
// through host memory where a device has no peer-to-peer access, and through
// NICs and the rail-optimized network between nodes. Routes are computed once,
// when the Topology is built (Boost.Graph shortest paths with the rules and
// weights documented in routing.h), and are deterministic.
//
// A Topology is built by TopologyBuilder (topology_builder.h), by the presets
// (presets.h) or by loading JSON (topology_json.h). Every preset number cites
// its source (../shared/reference/hardware.md) in a comment next to it and in
// the `source` field of its links.
//
// Invariants (checked by TopologyBuilder::build):
// - directed links come in pairs: link 2k and 2k+1 are the two directions of
//   physical link k, with equal bandwidth, latency, kind and source;
// - at most one physical link joins two vertices;
// - devices are node-major and every node holds devices_per_node() of them;
// - every ordered pair of devices has a route.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace spsim {

// kHostMemory: a socket's DRAM, the staging point of copies between devices
// without peer-to-peer access (see Topology::staging_vertex).
enum class VertexKind : std::uint8_t { kDevice, kSwitch, kNic, kCpu, kPcieSwitch, kHostMemory };
// Link classes: what the cost model calibrates separately (scale_link_kind).
enum class LinkKind : std::uint8_t { kNvlink, kHccs, kPcie, kCpuInterconnect, kNetwork, kHostMemory };
inline constexpr LinkKind kAllLinkKinds[] = {LinkKind::kNvlink,          LinkKind::kHccs,    LinkKind::kPcie,
                                             LinkKind::kCpuInterconnect, LinkKind::kNetwork, LinkKind::kHostMemory};
inline constexpr VertexKind kAllVertexKinds[] = {VertexKind::kDevice, VertexKind::kSwitch,     VertexKind::kNic,
                                                 VertexKind::kCpu,    VertexKind::kPcieSwitch, VertexKind::kHostMemory};

// "device", "switch", "nic", "cpu", "pcie-switch", "host-memory"
std::string_view vertex_kind_name(VertexKind k);
// "nvlink", "hccs", "pcie", "cpu", "network", "host"
std::string_view link_kind_name(LinkKind k);
// Inverses of the two above; std::nullopt for an unknown name.
std::optional<VertexKind> vertex_kind_from_name(std::string_view name);
std::optional<LinkKind> link_kind_from_name(std::string_view name);

using VertexId = std::uint32_t;
using LinkId = std::uint32_t;
using DeviceId = std::uint32_t;

struct Vertex {
  VertexKind kind = VertexKind::kDevice;
  std::string name;          // unique, e.g. "node0/gpu3", "node0/nvswitch", "node1/nic2", "spine"
  std::uint32_t node = 0;    // machine index (cluster-level switches: 0)
  std::string device_type;   // devices only: device profile key, e.g. "h100-sxm5"; empty otherwise
  bool operator==(const Vertex&) const = default;
};

struct Link {
  VertexId from = 0, to = 0;
  double bandwidth_bytes_per_s = 0;  // per direction
  double latency_s = 0;
  LinkKind kind = LinkKind::kPcie;
  std::string source;  // where the numbers come from
  bool operator==(const Link&) const = default;
};

struct LinkCalibration;  // topology/link_params.h

class Topology {
 public:
  // An empty topology (no devices, no vertices); real ones come from
  // TopologyBuilder::build, the presets (cluster.h) or JSON (topology_json.h).
  Topology() = default;

  // Preset name ("dgx1-v100"), "<preset> x <N> nodes" for clusters, or a JSON file's "name".
  const std::string& name() const { return name_; }
  std::uint32_t num_nodes() const { return num_nodes_; }
  std::uint32_t devices_per_node() const { return devices_per_node_; }

  std::uint32_t num_devices() const { return static_cast<std::uint32_t>(device_vertices_.size()); }
  VertexId device_vertex(DeviceId d) const { return device_vertices_.at(d); }
  // The device whose vertex is v; std::nullopt when v is not a device.
  std::optional<DeviceId> device_of_vertex(VertexId v) const;
  std::uint32_t node_of(DeviceId d) const { return vertex(device_vertex(d)).node; }
  const std::string& device_name(DeviceId d) const { return vertex(device_vertex(d)).name; }  // "node0/gpu3"
  const std::string& device_type(DeviceId d) const { return vertex(device_vertex(d)).device_type; }  // profile key
  // The NIC that carries d's traffic to other nodes (std::nullopt on a single
  // node, where no network is modelled).
  std::optional<VertexId> nic_of(DeviceId d) const { return device_nic_.at(d); }
  // The host memory through which d's traffic to devices of its own node is
  // staged (no peer-to-peer access, e.g. PCIe GPUs with P2P off); std::nullopt
  // when d reaches its peers directly.
  std::optional<VertexId> staging_vertex(DeviceId d) const { return device_staging_.at(d); }

  std::uint32_t num_vertices() const { return static_cast<std::uint32_t>(vertices_.size()); }
  const Vertex& vertex(VertexId v) const { return vertices_.at(v); }
  // The vertex called `name`; std::nullopt when there is none.
  std::optional<VertexId> find_vertex(std::string_view name) const;
  std::uint32_t num_links() const { return static_cast<std::uint32_t>(links_.size()); }
  const Link& link(LinkId l) const { return links_.at(l); }
  // The other direction of the same physical link (l ^ 1).
  static LinkId reverse_link(LinkId l) { return l ^ 1U; }

  // Directed links from device a to device b, in order; empty when a == b.
  // The span stays valid as long as the Topology (scaling does not move it).
  std::span<const LinkId> route(DeviceId a, DeviceId b) const;
  // Sum of link latencies along route(a, b) (0 when a == b), and its narrowest
  // bandwidth (+infinity when a == b: nothing to cross).
  double route_latency_s(DeviceId a, DeviceId b) const;
  double route_bandwidth_bytes_per_s(DeviceId a, DeviceId b) const;
  // True when a and b are joined by one link (a mesh neighbour): route(a, b)
  // is that single link. (A direct link is always the shortest path; only a
  // staged pair, see staging_vertex, would bypass one.)
  bool directly_linked(DeviceId a, DeviceId b) const;

  // Link classes present in this topology, in LinkKind order (for calibration:
  // one bandwidth and one latency parameter per class).
  std::vector<LinkKind> link_kinds() const;
  // Calibration hook: multiplies the bandwidth and the latency of every link of
  // `kind` (both directions) by the given factors (> 0 and finite for
  // bandwidth, >= 0 and finite for latency; otherwise std::invalid_argument).
  // Routes are not recomputed: they model the path the communication library
  // picks from the machine's structure, which calibration does not change.
  void scale_link_kind(LinkKind kind, double bandwidth_factor, double latency_factor);

  // Link-class parameters this topology sets for the cost model (a topology
  // file's "link_params"); nullptr when it sets none.
  const LinkCalibration* link_params() const { return link_params_.get(); }
  void set_link_params(const LinkCalibration& params);

 private:
  friend class TopologyBuilder;

  std::string name_;
  std::uint32_t num_nodes_ = 0;
  std::uint32_t devices_per_node_ = 0;
  std::vector<Vertex> vertices_;
  std::vector<Link> links_;
  std::vector<VertexId> device_vertices_;
  std::vector<std::optional<DeviceId>> vertex_device_;  // per vertex
  std::vector<std::optional<VertexId>> device_nic_;
  std::vector<std::optional<VertexId>> device_staging_;
  std::vector<VertexId> vertices_by_name_;  // vertex ids sorted by name, for find_vertex
  // route(a, b) = route_links_[route_offsets_[a * N + b] .. route_offsets_[a * N + b + 1])
  std::vector<std::uint64_t> route_offsets_;
  std::vector<LinkId> route_links_;
  std::shared_ptr<const LinkCalibration> link_params_;
};

}  // namespace spsim
