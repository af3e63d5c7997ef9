#include "planner/spsim_step_model.h"

#include "sim/engine.h"
#include "sim/model_costs.h"
#include "sim/network_model.h"
#include "program/program_check.h"
#include "strategies/model_program.h"

namespace spsim {

SpsimStepModel::SpsimStepModel(const ModelSpec& model, const Strategy& strategy, const Topology& topology,
                               std::string network, const CalibrationProfile* calibration)
    : model_(model),
      strategy_(strategy),
      topology_(topology),
      network_(std::move(network)),
      links_([&] {
        LinkCalibration c = topology.link_params() ? *topology.link_params() : LinkCalibration{};
        if (calibration) c.merge(calibration->links);
        return c;
      }()) {
  if (calibration && calibration->device) device_overrides_[calibration->device_type] = *calibration->device;
  (void)make_network_model(network_, topology_, links_);  // validates the name
}

std::optional<std::int64_t> SpsimStepModel::length_granule(std::uint32_t d) const {
  // The strategy pads every sequence to its multiple; a granule is legal
  // when a step of two sequences of that length is.
  const StrategyOptions o{d};
  const Workload probe = model_workload(model_, {d, 2 * std::int64_t{d}}, DType::kBF16, Pass::kForwardBackward);
  const std::int64_t g = strategy_.sequence_multiple(probe, o);
  const ModelStep step{model_, model_workload(model_, {g, 2 * g}, DType::kBF16, Pass::kForwardBackward), o, 1};
  if (refuse_model_step(strategy_, step)) return std::nullopt;
  return g;
}

double SpsimStepModel::simulate_layers(const GroupWork& group, std::uint32_t layers) const {
  const ModelStep step{model_, model_workload(model_, group.seq_lens, DType::kBF16, Pass::kForwardBackward),
                       StrategyOptions{static_cast<std::uint32_t>(group.devices.size())}, layers};
  const Program p = lower_model_step(strategy_, step);
  const CommMatching matching = check_program(p);
  const ModelCosts costs(p, topology_, group.devices, device_overrides_);
  auto net = make_network_model(network_, topology_, links_);
  return simulate(EngineInput{p, matching, topology_, group.devices, costs, *net}).makespan_s;
}

double SpsimStepModel::extrapolated_step(const GroupWork& group) const {
  const double one = simulate_layers(group, 1);
  if (model_.layers == 1) return one;
  const double two = simulate_layers(group, 2);
  return one + (model_.layers - 1) * (two - one);
}

}  // namespace spsim
