#include "topology/routing.h"

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <boost/graph/filtered_graph.hpp>
#include <boost/property_map/function_property_map.hpp>
#include <limits>

#include "program/input_error.h"

namespace spsim {
namespace {

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property,
                                    boost::property<boost::edge_index_t, LinkId>>;
using Edge = boost::graph_traits<Graph>::edge_descriptor;

constexpr std::uint32_t kUnreachedHops = std::numeric_limits<std::uint32_t>::max();
constexpr LinkId kNoLink = std::numeric_limits<LinkId>::max();

// The routing weight: hop count, then bottleneck bandwidth (see routing.h).
struct PathCost {
  std::uint32_t hops = 0;
  double bottleneck_bytes_per_s = 0;
};
struct PathCostLess {
  bool operator()(const PathCost& x, const PathCost& y) const {
    if (x.hops != y.hops) return x.hops < y.hops;
    return x.bottleneck_bytes_per_s > y.bottleneck_bytes_per_s;
  }
};
struct PathCostExtend {
  PathCost operator()(const PathCost& d, double link_bandwidth) const {
    if (d.hops == kUnreachedHops) return d;
    return {d.hops + 1, std::min(d.bottleneck_bytes_per_s, link_bandwidth)};
  }
};

enum class Segment : std::uint8_t {
  kInsideNode,  // rules 1 and 2: only the source may be a device or a NIC
  kNetwork,     // rule 4: network links only, devices never forward
};

// Which directed links a path of the given segment kind from `source` may use.
struct LinkFilter {
  const Graph* graph = nullptr;
  const std::vector<Vertex>* vertices = nullptr;
  const std::vector<Link>* links = nullptr;
  VertexId source = 0;
  Segment segment = Segment::kInsideNode;
  bool operator()(const Edge& e) const {
    const VertexId from = static_cast<VertexId>(boost::source(e, *graph));
    const VertexKind from_kind = (*vertices)[from].kind;
    if (segment == Segment::kNetwork) {
      const LinkId l = boost::get(boost::edge_index, *graph, e);
      return from_kind != VertexKind::kDevice && (*links)[l].kind == LinkKind::kNetwork;
    }
    return from == source || (from_kind != VertexKind::kDevice && from_kind != VertexKind::kNic);
  }
};

// Records, for each settled vertex, the link by which its best path arrives.
class ArrivalRecorder : public boost::default_dijkstra_visitor {
 public:
  explicit ArrivalRecorder(std::vector<LinkId>* arrival) : arrival_(arrival) {}
  template <class E, class G>
  void edge_relaxed(E e, const G& g) const {
    (*arrival_)[boost::target(e, g)] = boost::get(boost::edge_index, g, e);
  }

 private:
  std::vector<LinkId>* arrival_;
};

class Router {
 public:
  explicit Router(const RoutingInput& in) : in_(in), graph_(in.vertices->size()) {
    for (LinkId l = 0; l < in.links->size(); ++l) {
      const Link& link = (*in.links)[l];
      boost::add_edge(link.from, link.to, l, graph_);
    }
  }

  // Best arrival link per vertex for paths of kind `segment` from `source`.
  std::vector<LinkId> shortest_tree(VertexId source, Segment segment) const {
    const LinkFilter filter{&graph_, in_.vertices, in_.links, source, segment};
    const boost::filtered_graph<Graph, LinkFilter> view(graph_, filter);
    const std::size_t n = in_.vertices->size();
    std::vector<PathCost> cost(n, PathCost{kUnreachedHops, 0.0});
    std::vector<LinkId> arrival(n, kNoLink);
    const auto index = boost::get(boost::vertex_index, graph_);
    const auto bandwidth = boost::make_function_property_map<Edge, double>(
        [this](const Edge& e) { return (*in_.links)[boost::get(boost::edge_index, graph_, e)].bandwidth_bytes_per_s; });
    boost::dijkstra_shortest_paths(
        view, source,
        boost::distance_map(boost::make_iterator_property_map(cost.begin(), index))
            .weight_map(bandwidth)
            .distance_compare(PathCostLess{})
            .distance_combine(PathCostExtend{})
            .distance_inf(PathCost{kUnreachedHops, 0.0})
            .distance_zero(PathCost{0, std::numeric_limits<double>::infinity()})
            .visitor(ArrivalRecorder(&arrival)));
    return arrival;
  }

  // Appends the path source→target of `tree` (rooted at source) to `out`;
  // false when target is unreached.
  bool append_path(const std::vector<LinkId>& tree, VertexId source, VertexId target,
                   std::vector<LinkId>& out) const {
    const std::size_t start = out.size();
    for (VertexId v = target; v != source;) {
      const LinkId l = tree[v];
      if (l == kNoLink) {
        out.resize(start);
        return false;
      }
      out.push_back(l);
      v = (*in_.links)[l].from;
    }
    std::reverse(out.begin() + static_cast<std::ptrdiff_t>(start), out.end());
    return true;
  }

 private:
  const RoutingInput& in_;
  Graph graph_;
};

}  // namespace

RouteTable compute_routes(const RoutingInput& in, const std::string& where) {
  const Router router(in);
  const std::vector<Vertex>& vertices = *in.vertices;
  const std::vector<VertexId>& devices = *in.device_vertices;
  const std::size_t n = devices.size();
  auto name = [&](VertexId v) -> const std::string& { return vertices[v].name; };
  auto no_route = [&](VertexId from, VertexId to, const std::string& why) {
    throw InputError(where, "no route from '" + name(from) + "' to '" + name(to) + "'" + why);
  };

  // Trees used more than once: from every NIC inside its node (to the devices
  // it serves) and from every staging vertex (to the devices of its node).
  std::vector<std::optional<std::vector<LinkId>>> inside_tree(vertices.size());
  auto inside_from = [&](VertexId v) -> const std::vector<LinkId>& {
    if (!inside_tree[v]) inside_tree[v] = router.shortest_tree(v, Segment::kInsideNode);
    return *inside_tree[v];
  };

  RouteTable table;
  table.offsets.reserve(n * n + 1);
  table.offsets.push_back(0);
  std::optional<VertexId> network_tree_root;
  std::vector<LinkId> network_tree;
  for (std::size_t a = 0; a < n; ++a) {
    const VertexId va = devices[a];
    const std::vector<LinkId> own_tree = router.shortest_tree(va, Segment::kInsideNode);
    for (std::size_t b = 0; b < n; ++b) {
      const VertexId vb = devices[b];
      auto& out = table.links;
      if (a == b) {
        // empty route
      } else if (vertices[va].node == vertices[vb].node) {
        const std::optional<VertexId> staging = (*in.staging)[a] ? (*in.staging)[a] : (*in.staging)[b];
        if (staging) {
          if (!router.append_path(own_tree, va, *staging, out)) no_route(va, *staging, " (staging)");
          if (!router.append_path(inside_from(*staging), *staging, vb, out)) no_route(*staging, vb, " (staging)");
        } else if (!router.append_path(own_tree, va, vb, out)) {
          no_route(va, vb, "");
        }
      } else {
        const std::optional<VertexId> nic_a = (*in.nic)[a], nic_b = (*in.nic)[b];
        if (!nic_a || !nic_b)
          no_route(va, vb, ": devices on different nodes need a NIC (" + name(nic_a ? vb : va) + " has none)");
        if (network_tree_root != nic_a) {
          network_tree = router.shortest_tree(*nic_a, Segment::kNetwork);
          network_tree_root = nic_a;
        }
        if (!router.append_path(own_tree, va, *nic_a, out)) no_route(va, *nic_a, "");
        if (!router.append_path(network_tree, *nic_a, *nic_b, out)) no_route(*nic_a, *nic_b, " over network links");
        if (!router.append_path(inside_from(*nic_b), *nic_b, vb, out)) no_route(*nic_b, vb, "");
      }
      table.offsets.push_back(out.size());
    }
  }
  return table;
}

}  // namespace spsim
