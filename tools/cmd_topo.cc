// `spsim topo`: build a preset (or load a JSON topology) and print its devices,
// links and a summary of the device-to-device routes; optionally write it as
// Graphviz (--dot) or JSON (--json).
#include <fmt/core.h>

#include <map>
#include <optional>
#include <set>
#include <vector>

#include "program/input_error.h"
#include "program/memory_limit.h"
#include "tools/cli_common.h"
#include "tools/output_file.h"
#include "tools/settings.h"
#include "topology/cluster.h"
#include "topology/node_preset.h"
#include "topology/topology_dot.h"
#include "topology/topology_json.h"
#include "topology/units_text.h"

namespace spsim::cli {
namespace {

struct TopoArgs {
  std::string topology;
  std::uint32_t nodes = 1;
  std::string dot, json, load;
  double memory_limit_gb = default_memory_limit_bytes() / 1e9;
};

// Route classes look at every ordered device pair: beyond this many devices
// they are left out (D^2 route lookups).
constexpr std::uint32_t kMaxDevicesForRouteClasses = 1024;

// The route's link kinds, e.g. "pcie pcie cpu pcie pcie".
std::string route_kinds(const Topology& t, DeviceId a, DeviceId b) {
  std::string s;
  for (LinkId l : t.route(a, b)) s += (s.empty() ? "" : " ") + std::string(link_kind_name(t.link(l).kind));
  return s;
}

void print_devices(const Topology& t) {
  fmt::print("devices:\n");
  for (DeviceId d = 0; d < t.num_devices(); ++d) {
    fmt::print("  {:>4}  {:<16} {}", d, t.device_name(d), t.device_type(d));
    if (auto nic = t.nic_of(d)) fmt::print("  nic {}", t.vertex(*nic).name);
    if (auto s = t.staging_vertex(d)) fmt::print("  staged through {}", t.vertex(*s).name);
    fmt::print("\n");
  }
}

// Links, one line per physical link; sources are numbered once at the end.
void print_links(const Topology& t) {
  std::vector<std::string> sources;
  std::map<std::string, std::size_t> source_number;
  std::size_t width = 0;
  for (VertexId v = 0; v < t.num_vertices(); ++v) width = std::max(width, t.vertex(v).name.size());
  fmt::print("links ({} physical, both directions each; bandwidth per direction):\n", t.num_links() / 2);
  for (LinkId l = 0; l < t.num_links(); l += 2) {
    const Link& x = t.link(l);
    auto [it, added] = source_number.emplace(x.source, sources.size() + 1);
    if (added) sources.push_back(x.source);
    fmt::print("  {:<{}} -- {:<{}}  {:<8} {:>11} {:>9}  [{}]\n", t.vertex(x.from).name, width, t.vertex(x.to).name,
               width, link_kind_name(x.kind), bandwidth_text(x.bandwidth_bytes_per_s), latency_text(x.latency_s),
               it->second);
  }
  fmt::print("sources:\n");
  for (std::size_t i = 0; i < sources.size(); ++i) fmt::print("  [{}] {}\n", i + 1, sources[i]);
}

// Ordered pairs grouped by (link kinds along the route, bottleneck, latency),
// in order of first appearance.
void print_route_classes(const Topology& t) {
  struct Class {
    std::string kinds;
    std::size_t hops;
    double bandwidth, latency;
    std::size_t pairs = 0;
    DeviceId example_a = 0, example_b = 0;
  };
  std::vector<Class> classes;
  for (DeviceId a = 0; a < t.num_devices(); ++a)
    for (DeviceId b = 0; b < t.num_devices(); ++b) {
      if (a == b) continue;
      Class c{route_kinds(t, a, b), t.route(a, b).size(), t.route_bandwidth_bytes_per_s(a, b),
              t.route_latency_s(a, b), 1, a, b};
      auto same = [&](const Class& o) {
        return o.kinds == c.kinds && o.bandwidth == c.bandwidth && o.latency == c.latency;
      };
      auto it = std::find_if(classes.begin(), classes.end(), same);
      if (it == classes.end()) classes.push_back(c);
      else ++it->pairs;
    }
  fmt::print("route classes (ordered device pairs):\n");
  fmt::print("  {:>6} {:>4} {:>11} {:>9}  {:<14} {}\n", "pairs", "hops", "bottleneck", "latency", "e.g.", "links");
  for (const Class& c : classes)
    fmt::print("  {:>6} {:>4} {:>11} {:>9}  {:<14} {}\n", c.pairs, c.hops, bandwidth_text(c.bandwidth),
               latency_text(c.latency), fmt::format("{} -> {}", c.example_a, c.example_b), c.kinds);
}

void print_bandwidth_matrix(const Topology& t) {
  const std::uint32_t n = t.num_devices();
  fmt::print("route bottleneck bandwidth, GB/s (row: from, column: to):\n      ");
  for (DeviceId b = 0; b < n; ++b) fmt::print("{:>7}", b);
  fmt::print("\n");
  for (DeviceId a = 0; a < n; ++a) {
    fmt::print("  {:>4}", a);
    for (DeviceId b = 0; b < n; ++b) {
      if (a == b) fmt::print("{:>7}", "-");
      else fmt::print("{:>7.4g}", t.route_bandwidth_bytes_per_s(a, b) / 1e9);
    }
    fmt::print("\n");
  }
}

int run_topo(const TopoArgs& a) {
  if (a.load.empty() == a.topology.empty())
    throw InputError("--topology/--load", "give exactly one: a preset (one of: " + node_preset_names() +
                                              ") or a JSON file to load");
  const double limit = a.memory_limit_gb * 1e9;
  const Topology t =
      a.load.empty() ? make_preset_topology(a.topology, a.nodes, limit) : load_topology_file(a.load, limit);

  std::set<std::string> types;
  for (DeviceId d = 0; d < t.num_devices(); ++d) types.insert(t.device_type(d));
  std::string type_list;
  for (const auto& s : types) type_list += (type_list.empty() ? "" : ", ") + s;
  fmt::print("topology {}: {} node(s) x {} devices ({}), {} vertices, {} physical links\n", t.name(), t.num_nodes(),
             t.devices_per_node(), type_list, t.num_vertices(), t.num_links() / 2);
  if (const NodePreset* p = a.load.empty() ? find_node_preset(a.topology) : nullptr)
    fmt::print("  {}\n", p->summary);
  std::string kinds;
  for (LinkKind k : t.link_kinds()) kinds += (kinds.empty() ? "" : ", ") + std::string(link_kind_name(k));
  fmt::print("link classes: {}\n\n", kinds);
  print_devices(t);
  fmt::print("\n");
  print_links(t);
  fmt::print("\n");
  if (t.num_devices() <= kMaxDevicesForRouteClasses)
    print_route_classes(t);
  else
    fmt::print("route classes: left out for {} devices (more than {}: every ordered pair is looked at)\n",
               t.num_devices(), kMaxDevicesForRouteClasses);
  if (t.num_devices() <= 16) {
    fmt::print("\n");
    print_bandwidth_matrix(t);
  }
  if (!a.dot.empty()) {
    write_output_file("--dot", a.dot, topology_to_dot(t));
    fmt::print("\nwrote {}\n", a.dot);
  }
  if (!a.json.empty()) {
    try {
      save_topology_file(t, a.json);
    } catch (const InputError& e) {
      throw InputError("--json " + e.where(), e.expected());
    }
    fmt::print("{}wrote {}\n", a.dot.empty() ? "\n" : "", a.json);
  }
  return kExitOk;
}

}  // namespace

CommandAction add_topo_command(CLI::App& app) {
  auto a = std::make_shared<TopoArgs>();
  auto* cmd = app.add_subcommand("topo", "Show a topology: devices, links, routes; write it as Graphviz or JSON");
  auto s = std::make_shared<Settings>(*cmd, "topo");
  s->bind("topology", a->topology).bind("nodes", a->nodes).bind("load", a->load).bind("dot", a->dot);
  s->bind("json", a->json).bind("memory-limit", a->memory_limit_gb);
  return [a, s]() {
    try {
      s->apply();
      return run_topo(*a);
    } catch (const InputError& e) {
      throw s->relocate(e);
    }
  };
}

}  // namespace spsim::cli
