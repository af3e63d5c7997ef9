#pragma once
// `spsim plan --simulate`: the chosen plan lowered to Programs and run by the
// engine (spsim_step_model.h), next to the planner's estimate.
//
// Every group of every micro-batch becomes one whole-model Program (all
// layers): its strategy on its packed sequences, placed on the group's
// devices of the topology (spsim_step_model.h). The strategies need each sequence to be a multiple of a granule (Ulysses: the
// group size); sequences are padded up to it, as varlen kernels pad, and the
// planner's model is also evaluated on the padded lengths so the comparison
// is like for like.

#include <vector>

#include "planner/spsim_step_model.h"
#include "planner/step_planner.h"

namespace spsim {

struct MicroBatchSimulation {
  double simulated_s = 0;           // slowest group, simulated
  double estimated_s = 0;           // slowest group, the planner's model on the real lengths
  double estimated_padded_s = 0;    // the planner's model on the padded lengths
  std::vector<double> group_simulated_s, group_estimated_padded_s;  // per PlannedGroup
  std::int64_t padding_tokens = 0;
};

struct StepSimulation {
  std::vector<MicroBatchSimulation> micro_batches;
  double simulated_s = 0, estimated_s = 0, estimated_padded_s = 0;  // sums over micro-batches
  std::int64_t padding_tokens = 0;
};

// How far the simulation is from the plan's estimate: |simulated − estimated| / simulated.
double simulation_disagreement(const StepSimulation& s);

// Simulates `plan` (whose groups use the sizes of `options`).
StepSimulation simulate_step_plan(const StepPlan& plan, const std::vector<GroupSizeOption>& options,
                                  const SpsimStepModel& model);

}  // namespace spsim
