#pragma once
// Test helpers: a route as vertex names and as link kinds, for readable checks.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "topology/topology.h"

namespace spsim::testing {

// Vertex names along route(a, b): from a's vertex to b's vertex.
inline std::vector<std::string> route_vertices(const Topology& t, DeviceId a, DeviceId b) {
  std::vector<std::string> names{t.device_name(a)};
  for (LinkId l : t.route(a, b)) names.push_back(t.vertex(t.link(l).to).name);
  return names;
}

inline std::vector<LinkKind> route_kinds(const Topology& t, DeviceId a, DeviceId b) {
  std::vector<LinkKind> kinds;
  for (LinkId l : t.route(a, b)) kinds.push_back(t.link(l).kind);
  return kinds;
}

inline VertexId vertex_named(const Topology& t, const std::string& name) {
  const auto v = t.find_vertex(name);
  REQUIRE_MESSAGE(v.has_value(), "no vertex " << name);
  return *v;
}

}  // namespace spsim::testing

namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& v) {
    std::string s = "[";
    for (const auto& x : v) s += (s.size() > 1 ? ", " : "") + x;
    return (s + "]").c_str();
  }
};
template <>
struct StringMaker<std::vector<spsim::LinkKind>> {
  static String convert(const std::vector<spsim::LinkKind>& v) {
    std::string s = "[";
    for (auto k : v) s += (s.size() > 1 ? ", " : "") + std::string(spsim::link_kind_name(k));
    return (s + "]").c_str();
  }
};
}  // namespace doctest
