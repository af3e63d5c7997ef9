#include "topology/topology_dot.h"

#include <sstream>
#include <vector>

#include "topology/units_text.h"

namespace spsim {
namespace {

// The text of a DOT string literal: quotes and backslashes escaped.
std::string escaped(std::string_view s) {
  std::string e;
  for (char c : s) {
    if (c == '"' || c == '\\') e += '\\';
    e += c;
  }
  return e;
}

std::string dot_quoted(std::string_view s) { return "\"" + escaped(s) + "\""; }

const char* shape_of(VertexKind k) {
  switch (k) {
    case VertexKind::kDevice: return "box";
    case VertexKind::kSwitch: return "diamond";
    case VertexKind::kNic: return "hexagon";
    case VertexKind::kCpu: return "ellipse";
    case VertexKind::kPcieSwitch: return "trapezium";
    case VertexKind::kHostMemory: return "cylinder";
  }
  return "box";
}

// Leaves and spines: switches with a link to a NIC or to another switch (an
// NVSwitch links only devices). Drawn outside the per-node subgraphs.
std::vector<bool> cluster_level_switches(const Topology& t) {
  std::vector<bool> level(t.num_vertices(), false);
  for (LinkId l = 0; l < t.num_links(); ++l) {
    const Link& x = t.link(l);
    const VertexKind to = t.vertex(x.to).kind;
    if (t.vertex(x.from).kind == VertexKind::kSwitch && (to == VertexKind::kNic || to == VertexKind::kSwitch))
      level[x.from] = true;
  }
  return level;
}

}  // namespace

std::string topology_to_dot(const Topology& t) {
  std::ostringstream out;
  out << "graph " << dot_quoted(t.name()) << " {\n";
  out << "  graph [rankdir=TB, fontname=\"Helvetica\"];\n";
  out << "  node [fontname=\"Helvetica\", fontsize=10];\n";
  out << "  edge [fontname=\"Helvetica\", fontsize=8];\n";
  auto vertex_line = [&](VertexId v, const char* indent) {
    const Vertex& x = t.vertex(v);
    const std::size_t slash = x.name.find('/');
    std::string label = escaped(slash == std::string::npos ? x.name : x.name.substr(slash + 1));  // "gpu3"
    if (!x.device_type.empty()) label += "\\n" + escaped(x.device_type);
    out << indent << dot_quoted(x.name) << " [shape=" << shape_of(x.kind) << ", label=\"" << label << "\"];\n";
  };
  const std::vector<bool> cluster_level = cluster_level_switches(t);
  for (std::uint32_t n = 0; n < t.num_nodes(); ++n) {
    out << "  subgraph cluster_node" << n << " {\n    label=\"node" << n << "\";\n";
    for (VertexId v = 0; v < t.num_vertices(); ++v)
      if (t.vertex(v).node == n && !cluster_level[v]) vertex_line(v, "    ");
    out << "  }\n";
  }
  for (VertexId v = 0; v < t.num_vertices(); ++v)
    if (cluster_level[v]) vertex_line(v, "  ");
  for (LinkId l = 0; l < t.num_links(); l += 2) {
    const Link& x = t.link(l);
    out << "  " << dot_quoted(t.vertex(x.from).name) << " -- " << dot_quoted(t.vertex(x.to).name) << " [label=\""
        << link_kind_name(x.kind) << "\\n" << bandwidth_text(x.bandwidth_bytes_per_s) << "\\n"
        << latency_text(x.latency_s) << "\"];\n";
  }
  out << "}\n";
  return out.str();
}

}  // namespace spsim
