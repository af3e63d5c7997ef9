#pragma once
// A cluster as a graph: devices (GPUs/NPUs), switches, NICs, CPUs and PCIe
// switches are vertices; every physical link is two directed links (one per
// direction) with a bandwidth and a latency. Devices are numbered 0..N-1 in
// cluster order (node-major: node n's local device i is n * per_node + i);
// rank r of a Program runs on device r unless a placement says otherwise.
//
// Routing: route(a, b) is the ordered list of directed links a message from
// device a to device b crosses — direct links on a mesh, through the switch on
// NVSwitch/HCCS-less nodes, through PCIe switches and CPUs (and the CPU
// interconnect) where GPUs have no peer link, and through NICs and the
// rail-optimized network between nodes. Routes are computed once (Boost.Graph
// shortest paths with the weights documented in routing.cc) and are
// deterministic.
//
// Every preset number cites its source (../shared/reference/hardware.md) in a
// comment next to it and in the `source` field of its links.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace spsim {

enum class VertexKind : std::uint8_t { kDevice, kSwitch, kNic, kCpu, kPcieSwitch };
// Link classes: what the cost model calibrates separately.
enum class LinkKind : std::uint8_t { kNvlink, kHccs, kPcie, kCpuInterconnect, kNetwork, kHostMemory };

std::string_view vertex_kind_name(VertexKind k);  // "device", "switch", ...
std::string_view link_kind_name(LinkKind k);      // "nvlink", "hccs", "pcie", "cpu", "network", "host"

using VertexId = std::uint32_t;
using LinkId = std::uint32_t;
using DeviceId = std::uint32_t;

struct Vertex {
  VertexKind kind;
  std::string name;          // unique, e.g. "node0/gpu3", "node0/nvswitch", "node1/nic2", "spine"
  std::uint32_t node = 0;    // machine index (cluster-level switches: 0)
  std::string device_type;   // devices only: device profile key, e.g. "h100-sxm5"
};

struct Link {
  VertexId from = 0, to = 0;
  double bandwidth_bytes_per_s = 0;  // per direction
  double latency_s = 0;
  LinkKind kind = LinkKind::kPcie;
  std::string source;  // where the numbers come from
};

class Topology {
 public:
  const std::string& name() const;
  std::uint32_t num_nodes() const;
  std::uint32_t devices_per_node() const;

  std::uint32_t num_devices() const;
  VertexId device_vertex(DeviceId d) const;
  std::uint32_t node_of(DeviceId d) const;
  const std::string& device_name(DeviceId d) const;  // "node0/gpu3"
  const std::string& device_type(DeviceId d) const;  // profile key

  std::uint32_t num_vertices() const;
  const Vertex& vertex(VertexId v) const;
  std::uint32_t num_links() const;
  const Link& link(LinkId l) const;

  // Directed links from device a to device b, in order; empty when a == b.
  std::span<const LinkId> route(DeviceId a, DeviceId b) const;
  // Sum of link latencies along route(a, b), and its narrowest bandwidth.
  double route_latency_s(DeviceId a, DeviceId b) const;
  double route_bandwidth_bytes_per_s(DeviceId a, DeviceId b) const;
  // True when a and b are joined by one link (a mesh neighbour).
  bool directly_linked(DeviceId a, DeviceId b) const;
};

}  // namespace spsim
