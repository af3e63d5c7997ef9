#include "planner/plan_simulation.h"

#include <algorithm>
#include <cmath>

namespace spsim {

double simulation_disagreement(const StepSimulation& s) {
  return s.simulated_s > 0 ? std::abs(s.simulated_s - s.estimated_s) / s.simulated_s : 0;
}

StepSimulation simulate_step_plan(const StepPlan& plan, const std::vector<GroupSizeOption>& options,
                                  const SpsimStepModel& model) {
  StepSimulation out;
  for (const MicroBatchPlan& mb : plan.micro_batches) {
    MicroBatchSimulation sim;
    std::vector<GroupWork> work;
    for (const PlannedGroup& g : mb.groups) {
      GroupWork w;
      for (std::uint32_t i = 0; i < g.size; ++i) w.devices.push_back(g.first_device + i);
      const std::int64_t granule = model.length_granule(g.size).value_or(g.size);
      double tokens = 0, sq = 0;
      for (std::size_t i : g.sequences) {
        const std::int64_t s = (mb.lengths[i] + granule - 1) / granule * granule;
        sim.padding_tokens += s - mb.lengths[i];
        w.seq_lens.push_back(s);
        tokens += static_cast<double>(s);
        sq += static_cast<double>(s) * static_cast<double>(s);
      }
      const auto& o = *std::find_if(options.begin(), options.end(), [&](const auto& x) { return x.size == g.size; });
      sim.group_estimated_padded_s.push_back(o.time.seconds(tokens, sq));
      work.push_back(std::move(w));
    }
    for (const GroupWork& w : work) sim.group_simulated_s.push_back(model.simulate_step(w));
    for (std::size_t g = 0; g < mb.groups.size(); ++g) {
      sim.simulated_s = std::max(sim.simulated_s, sim.group_simulated_s[g]);
      sim.estimated_padded_s = std::max(sim.estimated_padded_s, sim.group_estimated_padded_s[g]);
    }
    sim.estimated_s = mb.seconds;
    out.simulated_s += sim.simulated_s;
    out.estimated_s += sim.estimated_s;
    out.estimated_padded_s += sim.estimated_padded_s;
    out.padding_tokens += sim.padding_tokens;
    out.micro_batches.push_back(std::move(sim));
  }
  return out;
}

}  // namespace spsim
