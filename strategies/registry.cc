#include "strategies/registry.h"

#include <memory>
#include <vector>

#include "strategies/strategy_factories.h"

namespace spsim {
namespace {

struct Registry {
  std::vector<std::unique_ptr<Strategy>> owned;
  std::vector<const Strategy*> view;
  Registry() {
    owned.push_back(make_rsa_strategy());
    owned.push_back(make_ring_strategy());
    owned.push_back(make_zigzag_strategy());
    owned.push_back(make_striped_strategy());
    owned.push_back(make_allgather_strategy());
    owned.push_back(make_ulysses_strategy());
    owned.push_back(make_lasp1_strategy());
    owned.push_back(make_lasp2_strategy());
    owned.push_back(make_lasp2h_strategy());
    owned.push_back(make_tokenring_strategy());
    owned.push_back(make_usp_strategy());
    owned.push_back(make_double_ring_strategy());
    for (const auto& s : owned) view.push_back(s.get());
  }
};

const Registry& registry() {
  static const Registry r;
  return r;
}

}  // namespace

std::span<const Strategy* const> all_strategies() { return registry().view; }

const Strategy* find_strategy(std::string_view name) {
  for (const Strategy* s : all_strategies())
    if (s->name() == name) return s;
  return nullptr;
}

std::string strategy_names() {
  std::string out;
  for (const Strategy* s : all_strategies()) {
    if (!out.empty()) out += ", ";
    out += s->name();
  }
  return out;
}

}  // namespace spsim
