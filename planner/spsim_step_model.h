#pragma once
// spsim's own prediction of one training micro-batch of an SP group: the
// whole model (every layer's projections, the strategy's attention and the
// MLP, forward and backward; strategies/model_program.h, what `spsim run`
// simulates) lowered to a Program on the group's packed sequences, placed on
// the group's devices of the topology, and run by the discrete-event engine
// with the device cost model and a network model over the real links
// (NVLink inside a node, NICs across nodes).
//
// Groups simulate one at a time, each on its own devices: node-aligned
// groups of the rail-optimized presets share no link (every device has its
// own NVLink ports and NIC, the spine is non-blocking), so a joint
// simulation would give the same times.
//
// For the planner's fit, a step of L layers is extrapolated from one and
// two layers, t(L) = t(1) + (L − 1)·(t(2) − t(1)): layers are identical
// and run one after the other, so the first layer carries any start-up and
// every further layer adds the same time. `spsim plan --simulate` lowers all
// layers, which also checks the extrapolation.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "costmodel/calibration_profile.h"
#include "costmodel/link_model.h"
#include "strategies/model.h"
#include "strategies/strategy.h"
#include "topology/topology.h"

namespace spsim {

// One SP group's share of a micro-batch.
struct GroupWork {
  std::vector<DeviceId> devices;       // member i on devices[i]
  std::vector<std::int64_t> seq_lens;  // packed sequences (each divisible as the strategy needs)
};

class SpsimStepModel {
 public:
  // `network`: "analytical" or "flow" (InputError otherwise). The references
  // must outlive the model.
  // `calibration` (may be null): its link classes over the topology's, its
  // device profile for its device type (costmodel/calibration_profile.h).
  SpsimStepModel(const ModelSpec& model, const Strategy& strategy, const Topology& topology, std::string network,
                 const CalibrationProfile* calibration = nullptr);

  // Simulated seconds of `layers` layers (fwd+bwd) of the group. Throws
  // InputError when the strategy refuses the group's workload.
  double simulate_layers(const GroupWork& group, std::uint32_t layers) const;
  // The whole model's step: all layers simulated.
  double simulate_step(const GroupWork& group) const { return simulate_layers(group, model_.layers); }
  // The whole model's step extrapolated from one and two layers (file comment).
  double extrapolated_step(const GroupWork& group) const;

  // The smallest multiple of d every sequence length must be for the
  // strategy on d members (d, 2d or 4d), or nullopt when the strategy
  // cannot run d members for this model at all (e.g. Ulysses with d not
  // dividing the heads).
  std::optional<std::int64_t> length_granule(std::uint32_t d) const;

  const ModelSpec& model() const { return model_; }
  const Strategy& strategy() const { return strategy_; }
  const std::string& network() const { return network_; }

 private:
  const ModelSpec& model_;
  const Strategy& strategy_;
  const Topology& topology_;
  std::string network_;
  LinkModel links_;
  std::map<std::string, DeviceProfile> device_overrides_;
};

}  // namespace spsim
