#include "sim/network_model.h"

#include <array>

#include "sim/analytical_network.h"
#include "sim/flow_network.h"
#include "program/input_error.h"

namespace spsim {
namespace {

constexpr std::array<std::string_view, 2> kNames = {"analytical", "flow"};

}  // namespace

std::span<const std::string_view> network_model_names() { return kNames; }

std::unique_ptr<NetworkModel> make_network_model(std::string_view name, const Topology& topology,
                                                 const LinkModel& links, const NetworkOptions& options) {
  if (name == "analytical") return std::make_unique<AnalyticalNetwork>(topology, links, options);
  if (name == "flow") return std::make_unique<FlowNetwork>(topology, links, options);
  throw InputError("--network", "expected 'analytical' or 'flow', got '" + std::string(name) + "'");
}

}  // namespace spsim
