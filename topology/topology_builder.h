#pragma once
// TopologyBuilder: assembles vertices and physical links, then build() checks
// the invariants listed in topology.h and computes every device-to-device
// route (routing.h). Presets, the multi-node builder and the JSON loader all
// go through it, so a Topology cannot exist without its checks and routes.
//
// Errors are the user's (a hand-written JSON file, a custom builder): every
// check throws spsim::InputError whose `where` is "topology '<name>'" unless
// the caller passed another `where` to the constructor.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "program/memory_limit.h"
#include "topology/topology.h"

namespace spsim {

// The most devices a topology may have (spsim ranks are 32-bit, and SP
// groups beyond this are far past any published run).
inline constexpr std::uint32_t kMaxDevices = 65536;

// Host memory of the all-pairs route table of `devices` devices: measured
// as peak RSS of `spsim topo --topology h100-sxm8 --nodes N` (GNU time %M,
// 2026-12-01): N=512, 4096 devices, 856 MB, 51 bytes per ordered pair;
// N=256, 2048 devices, 225 MB, 54 per pair; rounded up.
inline double route_table_bytes(std::uint32_t devices) {
  return 56.0 * static_cast<double>(devices) * static_cast<double>(devices);
}

class TopologyBuilder {
 public:
  // `where` prefixes error messages (e.g. a JSON file name); defaults to
  // "topology '<name>'".
  explicit TopologyBuilder(std::string name, std::optional<std::string> where = std::nullopt);

  // Adds a vertex and returns its id (ids are dense, in call order). Device
  // vertices also get the next DeviceId, so add devices node-major. Throws on a
  // duplicate or empty name, on a device without device_type and on a
  // non-device with one.
  VertexId add_vertex(VertexKind kind, std::string name, std::uint32_t node, std::string device_type = {});
  VertexId add_device(std::string name, std::uint32_t node, std::string device_type) {
    return add_vertex(VertexKind::kDevice, std::move(name), node, std::move(device_type));
  }

  // Adds a full-duplex physical link as two directed links, a→b then b→a, with
  // the same per-direction bandwidth, latency, kind and source; returns the id
  // of a→b (b→a is that id + 1). Throws on unknown vertices, a == b, a second
  // link between the same two vertices (merge parallel links into one with
  // their summed bandwidth), bandwidth <= 0 or latency < 0 or not finite.
  LinkId add_link(VertexId a, VertexId b, double bandwidth_bytes_per_s, double latency_s, LinkKind kind,
                  std::string source);

  // The NIC (a kNic vertex) through which device d reaches other nodes.
  void set_nic(DeviceId d, VertexId nic);
  // The host memory (a kHostMemory vertex) through which device d's traffic to
  // devices of its own node is staged.
  void set_staging(DeviceId d, VertexId host_memory);

  std::optional<VertexId> find_vertex(std::string_view name) const;
  const Vertex& vertex(VertexId v) const { return vertices_.at(v); }
  std::uint32_t num_vertices() const { return static_cast<std::uint32_t>(vertices_.size()); }
  std::uint32_t num_devices() const { return static_cast<std::uint32_t>(devices_.size()); }
  VertexId device_vertex(DeviceId d) const { return devices_.at(d); }

  // Checks the invariants and computes the routes. Throws InputError when the
  // devices are not node-major with equal counts per node, when devices of a
  // multi-node topology lack a NIC, or when some pair of devices has no route.
  // Refuses (InputError "--memory-limit") a topology whose all-pairs route
  // table would need more host memory than `limit_bytes`
  // (route_table_bytes); before set, the machine's default.
  void set_memory_limit(double limit_bytes) { memory_limit_bytes_ = limit_bytes; }
  Topology build() &&;

 private:
  [[noreturn]] void fail(const std::string& what) const;
  std::string name_;
  std::string where_;
  std::vector<Vertex> vertices_;
  std::vector<Link> links_;
  std::vector<VertexId> devices_;
  std::vector<std::optional<VertexId>> nic_;
  std::vector<std::optional<VertexId>> staging_;
  double memory_limit_bytes_ = default_memory_limit_bytes();
  std::map<std::string, VertexId, std::less<>> by_name_;
  std::map<std::pair<VertexId, VertexId>, LinkId> physical_;  // (min, max) endpoint → a→b link id
};

}  // namespace spsim
