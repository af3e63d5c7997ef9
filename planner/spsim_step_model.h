#pragma once
// spsim's own prediction of one training micro-batch on SP groups: how long
// each group takes for the forward and backward of every layer of a model on
// its packed sequences, on its placed devices of a topology.
//
// A group's step is composed from spsim's models, not from constants:
//   attention   one attention layer (fwd+bwd) of the group's strategy on its
//               packed sequences, lowered to a Program on the group's ranks
//               and run by the discrete-event engine (sim/engine.h) with the
//               device cost model (sim/model_costs.h) and a network model
//               (analytical or flow) over the topology's real links;
//   dense       the layer's projections and MLP on the group's Σs/d tokens
//               per device: Dense and DenseBwd ops costed by costmodel's
//               op_cost (GEMMs at the device's efficiency): q, k, v, o
//               projections (hidden -> H·D + 2·Hkv·D, H·D -> hidden), MLP
//               (hidden -> f or 2f gated, f -> hidden), and once per step the
//               output head (hidden -> vocab);
//   step        Σ_kinds (layers of that kind) x attention layer + layers x
//               dense layer + head.
// Norms, embeddings and elementwise ops are left out (memory-bound, small
// next to the GEMMs). Several groups simulate together in one Program
// (simulate_attention_layers), so the flow model sees them share links.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "costmodel/link_model.h"
#include "strategies/model.h"
#include "strategies/strategy.h"
#include "topology/topology.h"

namespace spsim {

// One SP group's share of a micro-batch.
struct GroupWork {
  std::vector<DeviceId> devices;        // member i on devices[i]
  std::vector<std::int64_t> seq_lens;   // packed sequences (each divisible as the strategy needs)
};

class SpsimStepModel {
 public:
  // `network`: "analytical" or "flow" (InputError otherwise). The references
  // must outlive the model.
  SpsimStepModel(const ModelSpec& model, const Strategy& strategy, const Topology& topology, std::string network);

  // Seconds of one attention layer (fwd+bwd) of each group, all groups
  // simulated together in one Program on the topology. The layer kind is
  // `kind`. Throws InputError when the strategy refuses a group's workload.
  std::vector<double> attention_layer_seconds(std::span<const GroupWork> groups, AttentionKind kind) const;

  // Seconds of one layer's dense ops (fwd+bwd) for `rows` tokens on `device`.
  double dense_layer_seconds(DeviceId device, std::int64_t rows) const;
  // Seconds of the output head (fwd+bwd) for `rows` tokens on `device`.
  double head_seconds(DeviceId device, std::int64_t rows) const;

  // The whole micro-batch step of each group (the composition in the file comment).
  std::vector<double> step_seconds(std::span<const GroupWork> groups) const;

  // The smallest multiple of d every sequence length must be for the
  // strategy on d members (d, 2d or 4d), or nullopt when the strategy
  // cannot run d members for this model at all (e.g. Ulysses with d not
  // dividing the heads).
  std::optional<std::int64_t> length_granule(std::uint32_t d) const;

  const ModelSpec& model() const { return model_; }
  const Strategy& strategy() const { return strategy_; }
  const Topology& topology() const { return topology_; }
  const std::string& network() const { return network_; }

  // The workload of a group's packed sequences (fwd+bwd, bf16, the model's heads and mask).
  Workload workload(std::span<const std::int64_t> seq_lens) const;

 private:
  const ModelSpec& model_;
  const Strategy& strategy_;
  const Topology& topology_;
  std::string network_;
  LinkModel links_;
};

}  // namespace spsim
