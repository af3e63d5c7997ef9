// spsim's group step prediction (the planner's probe): dense layers against
// the roofline closed form, the linear fit's residuals against the engine's
// predictions, and a simulated plan against the planner's estimate.
#include <doctest/doctest.h>

#include <numeric>

#include "costmodel/device_profile.h"
#include "planner/plan_simulation.h"
#include "planner/spsim_group_time.h"
#include "program/input_error.h"
#include "strategies/registry.h"
#include "topology/cluster.h"

namespace spsim {
namespace {

TEST_CASE("a step extrapolated from one and two layers matches simulating every layer") {
  // Layers are identical and run one after another: t(L) = t(1) + (L − 1)·(t(2) − t(1)).
  const Topology topo = make_preset_topology("a100-sxm8", 2);
  for (const char* model : {"gpt-7b", "llama3-8b"}) {
    const SpsimStepModel m(find_model(model), *find_strategy("ulysses"), topo, "flow");
    for (const GroupWork& g : {GroupWork{{0, 1, 2, 3}, {8192, 2048, 512}}, GroupWork{{8, 9}, {30000}},
                               GroupWork{{8, 9, 10, 11, 12, 13, 14, 15}, {65536}}}) {
      CAPTURE(model);
      CAPTURE(g.devices.size());
      CHECK(m.extrapolated_step(g) == doctest::Approx(m.simulate_step(g)).epsilon(1e-3));
    }
  }
}

TEST_CASE("length granules and allowed sizes follow the strategy's refusals") {
  const ModelSpec& gpt = find_model("gpt-7b");
  const Topology topo = make_preset_topology("a100-sxm8", 1);
  CHECK(SpsimStepModel(gpt, *find_strategy("ulysses"), topo, "flow").length_granule(8) == 8);
  CHECK(SpsimStepModel(gpt, *find_strategy("zigzag"), topo, "flow").length_granule(8) == 16);
  // llama3-8b has 8 KV heads: Ulysses (no KV replication) stops at 8.
  const SpsimStepModel llama(find_model("llama3-8b"), *find_strategy("ulysses"), make_preset_topology("a100-sxm8", 2), "flow");
  CHECK(allowed_group_sizes(llama, 16) == std::vector<std::uint32_t>{1, 2, 4, 8});
  CHECK_THROWS_AS(SpsimStepModel(gpt, *find_strategy("ulysses"), topo, "fluid"), InputError);
}

TEST_CASE("the linear group time fits spsim's predictions, and a simulated plan agrees with the estimate") {
  const ModelSpec& gpt = find_model("gpt-7b");
  const Topology topo = make_preset_topology("a100-sxm8", 2);
  const SpsimStepModel m(gpt, *find_strategy("ulysses"), topo, "flow");
  const std::vector<std::uint32_t> sizes{1, 4, 16};
  const double tokens_per_device = 16384;
  const SpsimGroupTimeFit fit = fit_spsim_group_times(m, sizes, tokens_per_device, 1 << 20, 65536);
  for (const auto& f : fit.fits) {
    MESSAGE("size " << f.size << ": a " << f.coefficients.seconds_per_token_sq << " b " << f.coefficients.seconds_per_token
                    << " c " << f.coefficients.fixed_s << ", max fit error " << 100 * f.max_relative_residual << "% over "
                    << f.probes.size() << " probes");
    CHECK(f.max_relative_residual < 0.05);
    CHECK(f.coefficients.seconds_per_token_sq > 0);
  }
  // Attention per device shrinks with the group: a(16) well below a(1).
  CHECK(fit.fits[2].coefficients.seconds_per_token_sq < fit.fits[0].coefficients.seconds_per_token_sq / 8);

  // A hand-made plan on node 0 and half of node 1: two groups of 4 and six of 1.
  const auto table = fit.model();
  std::vector<GroupSizeOption> options;
  for (std::uint32_t d : sizes) {
    std::vector<DeviceId> block(d);
    std::iota(block.begin(), block.end(), DeviceId{0});
    options.push_back({d, table.coefficients(block), tokens_per_device * d});
  }
  StepPlan plan;
  MicroBatchPlan mb;
  mb.lengths = {30000, 9000, 7001, 3000, 2500, 900, 800, 700, 600, 500, 400, 300};
  mb.groups = {PlannedGroup{4, 0, {0}}, PlannedGroup{4, 0, {1, 2}}, PlannedGroup{1, 0, {3}}, PlannedGroup{1, 0, {4}},
               PlannedGroup{1, 0, {5, 11}}, PlannedGroup{1, 0, {6, 10}}, PlannedGroup{1, 0, {7}},
               PlannedGroup{1, 0, {8, 9}}};
  place_groups(mb.groups, mb.lengths, options);
  for (const auto& g : mb.groups) mb.seconds = std::max(mb.seconds, g.seconds);
  plan.micro_batches.push_back(mb);
  plan.seconds = mb.seconds;
  const StepSimulation sim = simulate_step_plan(plan, options, m);
  MESSAGE("plan estimate " << sim.estimated_s << " s (padded " << sim.estimated_padded_s << " s), simulated "
                           << sim.simulated_s << " s, padding " << sim.padding_tokens << " tokens");
  // 7001 pads to 7004 (granule 4): 3 tokens.
  CHECK(sim.padding_tokens == 3);
  CHECK(simulation_disagreement(sim) < 0.10);
}

}  // namespace
}  // namespace spsim
