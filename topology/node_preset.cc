#include "topology/node_preset.h"

#include <vector>

namespace spsim {

std::span<const NodePreset> node_presets() {
  static const std::vector<NodePreset> all = [] {
    std::vector<NodePreset> v;
    for (auto family : {nvidia_node_presets(), ascend_node_presets(), pcie_node_presets()})
      v.insert(v.end(), family.begin(), family.end());
    return v;
  }();
  return all;
}

const NodePreset* find_node_preset(std::string_view name) {
  for (const NodePreset& p : node_presets())
    if (p.name == name) return &p;
  return nullptr;
}

std::string node_preset_names() {
  std::string names;
  for (const NodePreset& p : node_presets()) {
    if (!names.empty()) names += ", ";
    names += p.name;
  }
  return names;
}

std::string node_vertex_name(std::uint32_t node, std::string_view local) {
  return "node" + std::to_string(node) + "/" + std::string(local);
}

}  // namespace spsim
