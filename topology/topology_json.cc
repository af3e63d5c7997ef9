#include "topology/topology_json.h"

#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "program/input_error.h"
#include "program/input_file.h"
#include "program/input_json.h"
#include "topology/link_params.h"
#include "topology/topology_builder.h"

namespace spsim {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::string_view kFormat = "spsim-topology";
constexpr int kVersion = 1;

std::string type_name(const json& v) { return v.type_name(); }

// Strict reading of one JSON document; every error names the file and key.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw InputError(file_ + ": key '" + key + "'", what);
  }
  const std::string& file() const { return file_; }

  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

  void only_keys(const json& obj, const std::string& path, std::initializer_list<std::string_view> allowed) const {
    for (const auto& [key, value] : obj.items()) {
      bool known = false;
      for (std::string_view a : allowed) known |= key == a;
      if (known) continue;
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      fail(join(path, key), "unknown key; expected one of: " + list);
    }
  }
  const json& need(const json& obj, const std::string& path, std::string_view key) const {
    const auto it = obj.find(key);
    if (it == obj.end()) fail(join(path, key), "missing");
    return *it;
  }
  std::string string_at(const json& obj, const std::string& path, std::string_view key) const {
    const json& v = need(obj, path, key);
    if (!v.is_string()) fail(join(path, key), "expected a string, got " + type_name(v));
    return v.get<std::string>();
  }
  std::uint32_t uint_at(const json& obj, const std::string& path, std::string_view key) const {
    const json& v = need(obj, path, key);
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() > 0xffffffffULL)
      fail(join(path, key), "expected a non-negative integer, got " + v.dump());
    return static_cast<std::uint32_t>(v.get<std::uint64_t>());
  }
  double number_at(const json& obj, const std::string& path, std::string_view key) const {
    const json& v = need(obj, path, key);
    if (!v.is_number()) fail(join(path, key), "expected a number, got " + type_name(v));
    return v.get<double>();
  }
  const json& array_at(const json& obj, const std::string& path, std::string_view key) const {
    const json& v = need(obj, path, key);
    if (!v.is_array()) fail(join(path, key), "expected an array, got " + type_name(v));
    return v;
  }

 private:
  std::string file_;
};

Topology read_topology(const json& doc, const Reader& r, double memory_limit_bytes) {
  if (!doc.is_object()) throw InputError(r.file(), "expected a JSON object at the top level");
  r.only_keys(doc, "", {"format", "version", "name", "nodes", "vertices", "links", "link_params"});
  if (r.string_at(doc, "", "format") != kFormat) r.fail("format", "expected \"" + std::string(kFormat) + "\"");
  if (r.uint_at(doc, "", "version") != kVersion) r.fail("version", "expected " + std::to_string(kVersion));
  const std::string name = r.string_at(doc, "", "name");
  const std::uint32_t nodes = r.uint_at(doc, "", "nodes");
  TopologyBuilder b(name, r.file());
  b.set_memory_limit(memory_limit_bytes);

  // Vertices first; NIC and staging references may point forward, so they
  // are resolved after every vertex exists.
  struct DeviceRef {
    DeviceId device;
    std::string path, key, target;
  };
  std::vector<DeviceRef> refs;
  const json& vertices = r.array_at(doc, "", "vertices");
  for (std::size_t i = 0; i < vertices.size(); ++i) {
    const json& v = vertices[i];
    const std::string path = "vertices[" + std::to_string(i) + "]";
    if (!v.is_object()) r.fail(path, "expected an object, got " + type_name(v));
    const std::string kind_name = r.string_at(v, path, "kind");
    const std::optional<VertexKind> kind = vertex_kind_from_name(kind_name);
    if (!kind)
      r.fail(path + ".kind", "unknown vertex kind '" + kind_name +
                                 "'; expected device, switch, nic, cpu, pcie-switch or host-memory");
    if (*kind == VertexKind::kDevice)
      r.only_keys(v, path, {"name", "kind", "node", "device_type", "nic", "staging"});
    else
      r.only_keys(v, path, {"name", "kind", "node"});
    const std::string vname = r.string_at(v, path, "name");
    const std::uint32_t node = r.uint_at(v, path, "node");
    if (b.find_vertex(vname)) r.fail(path + ".name", "duplicate vertex name '" + vname + "'");
    if (vname.empty()) r.fail(path + ".name", "expected a non-empty name");
    if (*kind != VertexKind::kDevice) {
      b.add_vertex(*kind, vname, node);
      continue;
    }
    const std::string device_type = r.string_at(v, path, "device_type");
    if (device_type.empty()) r.fail(path + ".device_type", "expected a device profile key, e.g. \"h100-sxm5\"");
    const DeviceId d = b.num_devices();
    b.add_device(vname, node, device_type);
    for (std::string_view key : {"nic", "staging"})
      if (v.contains(key)) refs.push_back(DeviceRef{d, path, std::string(key), r.string_at(v, path, key)});
  }
  for (const DeviceRef& ref : refs) {
    const std::string key = ref.path + "." + ref.key;
    const std::optional<VertexId> target = b.find_vertex(ref.target);
    if (!target) r.fail(key, "unknown vertex '" + ref.target + "'");
    const VertexKind want = ref.key == "nic" ? VertexKind::kNic : VertexKind::kHostMemory;
    if (b.vertex(*target).kind != want)
      r.fail(key, "'" + ref.target + "' is a " + std::string(vertex_kind_name(b.vertex(*target).kind)) +
                      "; expected a " + std::string(vertex_kind_name(want)) + " vertex");
    if (ref.key == "nic") b.set_nic(ref.device, *target);
    else b.set_staging(ref.device, *target);
  }

  const json& links = r.array_at(doc, "", "links");
  for (std::size_t i = 0; i < links.size(); ++i) {
    const json& l = links[i];
    const std::string path = "links[" + std::to_string(i) + "]";
    if (!l.is_object()) r.fail(path, "expected an object, got " + type_name(l));
    r.only_keys(l, path, {"a", "b", "kind", "bandwidth_bytes_per_s", "latency_s", "source"});
    VertexId end[2];
    for (int e = 0; e < 2; ++e) {
      const char* key = e == 0 ? "a" : "b";
      const std::string vname = r.string_at(l, path, key);
      const std::optional<VertexId> v = b.find_vertex(vname);
      if (!v) r.fail(path + "." + key, "unknown vertex '" + vname + "'");
      end[e] = *v;
    }
    const std::string kind_name = r.string_at(l, path, "kind");
    const std::optional<LinkKind> kind = link_kind_from_name(kind_name);
    if (!kind)
      r.fail(path + ".kind",
             "unknown link kind '" + kind_name + "'; expected nvlink, hccs, pcie, cpu, network or host");
    const double bandwidth = r.number_at(l, path, "bandwidth_bytes_per_s");
    // Bounds far outside any real link (1 KB/s .. 10 PB/s, at most 1 s), so
    // that predictions stay finite.
    if (!(bandwidth >= 1e3 && bandwidth <= 1e16))
      r.fail(path + ".bandwidth_bytes_per_s", "expected a bandwidth in 1e3..1e16 bytes/s");
    const double latency = r.number_at(l, path, "latency_s");
    if (!(latency >= 0 && latency <= 1)) r.fail(path + ".latency_s", "expected a latency in 0..1 s");
    const std::string source = l.contains("source") ? r.string_at(l, path, "source") : std::string();
    try {
      b.add_link(end[0], end[1], bandwidth, latency, *kind, source);
    } catch (const InputError& e) {
      r.fail(path, e.expected());
    }
  }

  Topology t = std::move(b).build();
  if (t.num_nodes() != nodes)
    r.fail("nodes", "says " + std::to_string(nodes) + " but the devices are on " + std::to_string(t.num_nodes()) +
                        " node(s)");
  if (const auto it = doc.find("link_params"); it != doc.end())
    t.set_link_params(parse_link_params(it->dump(), r.file() + ": key 'link_params'"));
  return t;
}

}  // namespace

std::string topology_to_json(const Topology& t) {
  std::ostringstream out;
  out << "{\n";
  out << "  \"format\": " << ordered_json(std::string(kFormat)).dump() << ",\n";
  out << "  \"version\": " << kVersion << ",\n";
  out << "  \"name\": " << ordered_json(t.name()).dump() << ",\n";
  out << "  \"nodes\": " << t.num_nodes() << ",\n";
  out << "  \"vertices\": [";
  for (VertexId v = 0; v < t.num_vertices(); ++v) {
    const Vertex& x = t.vertex(v);
    ordered_json j;
    j["name"] = x.name;
    j["kind"] = std::string(vertex_kind_name(x.kind));
    j["node"] = x.node;
    if (const auto d = t.device_of_vertex(v)) {
      j["device_type"] = x.device_type;
      if (const auto nic = t.nic_of(*d)) j["nic"] = t.vertex(*nic).name;
      if (const auto staging = t.staging_vertex(*d)) j["staging"] = t.vertex(*staging).name;
    }
    out << (v == 0 ? "\n    " : ",\n    ") << j.dump();
  }
  out << "\n  ],\n";
  out << "  \"links\": [";
  for (LinkId l = 0; l < t.num_links(); l += 2) {
    const Link& x = t.link(l);
    ordered_json j;
    j["a"] = t.vertex(x.from).name;
    j["b"] = t.vertex(x.to).name;
    j["kind"] = std::string(link_kind_name(x.kind));
    j["bandwidth_bytes_per_s"] = x.bandwidth_bytes_per_s;
    j["latency_s"] = x.latency_s;
    j["source"] = x.source;
    out << (l == 0 ? "\n    " : ",\n    ") << j.dump();
  }
  out << "\n  ]";
  if (t.link_params()) out << ",\n  \"link_params\": " << link_params_json(*t.link_params());
  out << "\n}\n";
  return out.str();
}

Topology topology_from_json(std::string_view text, const std::string& file, double memory_limit_bytes) {
  return read_topology(parse_input_json(text, file), Reader(file), memory_limit_bytes);
}

Topology load_topology_file(const std::string& path, double memory_limit_bytes) {
  return topology_from_json(read_input_file(path, "topology JSON file"), path, memory_limit_bytes);
}

void save_topology_file(const Topology& t, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw InputError(path, "cannot open the file for writing");
  out << topology_to_json(t);
  if (!out.flush()) throw InputError(path, "could not write the topology file");
}

}  // namespace spsim
