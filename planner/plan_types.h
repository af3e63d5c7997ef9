#pragma once
// What the planner decides for one micro-batch, and the inputs its solvers share.
//
// A micro-batch's plan: SP groups of power-of-two sizes (Σ sizes <= N), each
// holding some of the micro-batch's sequences packed; every sequence in
// exactly one group. Placement: groups in descending size on consecutive
// devices, so a group of d devices starts at a multiple of d — inside one
// node when d <= devices per node, on whole nodes otherwise (node-aligned,
// as FlexSP places them). The micro-batch takes as long as its slowest group.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "planner/group_time_model.h"

namespace spsim {

// A group size the planner may use, with its time and memory.
struct GroupSizeOption {
  std::uint32_t size = 1;
  GroupTimeCoefficients time;  // for a node-aligned block of `size` devices
  double capacity_tokens = 0;  // activation tokens the group can hold (size x per device)
};

// One sequence as the solvers see it: the tokens memory must hold (a
// bucket's longest length when bucketed) and the time terms.
struct PlanItem {
  double memory_tokens = 0;
  double tokens = 0;     // s (a bucket's mean when bucketed)
  double sq_tokens = 0;  // s² (a bucket's mean of s² when bucketed)
};

// A group in a solver's answer: an option index and the items in it.
struct ItemGroup {
  std::uint32_t option = 0;
  std::vector<std::size_t> items;
  double memory_tokens = 0, tokens = 0, sq_tokens = 0;  // sums over items

  void add(std::size_t i, const PlanItem& item) {
    items.push_back(i);
    memory_tokens += item.memory_tokens;
    tokens += item.tokens;
    sq_tokens += item.sq_tokens;
  }
};

// Seconds of `g` under `options` (0 when empty).
inline double group_seconds(const ItemGroup& g, const std::vector<GroupSizeOption>& options) {
  return options[g.option].time.seconds(g.tokens, g.sq_tokens);
}

struct PlannedGroup {
  std::uint32_t size = 0;
  std::uint32_t first_device = 0;
  std::vector<std::size_t> sequences;  // indices into the micro-batch's lengths, descending length
  std::int64_t tokens = 0;
  double sum_sq_tokens = 0;
  double seconds = 0;  // the model on the real lengths
};

enum class SolveMethod : std::uint8_t {
  kGreedyCertified,  // the greedy plan on the real lengths, proven within the gap by the
                     // aggregated MILP's bound on the real lengths: the slot MILP had
                     // nothing left to prove and was not run
  kMilp,             // the slot MILP (FlexSP's formulation on buckets) ran and found a plan
  kGreedyFallback,   // the slot MILP found no plan in time: the best greedy plan
};

// How a micro-batch's plan was found, and how good it is proven to be.
struct SolveReport {
  SolveMethod method = SolveMethod::kMilp;
  // On the real lengths: a lower bound on every plan (aggregate_bound.h) and
  // the plan's proven distance from it, (plan − bound) / plan.
  double real_bound_s = 0;
  double real_gap = 0;
  bool bound_time_limited = false; // the bound's search stopped at a time limit
  double real_greedy_s = 0;       // the greedy on the real lengths (0: none found)
  bool real_greedy_won = false;   // it beat the MILP's decoded plan
  // The slot MILP on buckets, when it ran (method != kGreedyCertified).
  bool milp_ran = false;
  bool proven_optimal = false;    // CBC closed the bucketed gap to the asked gap
  bool time_limit_hit = false;
  double objective_s = 0;         // best plan on bucket representatives
  double bound_s = 0;             // proven lower bound on that objective
  double gap = 0;                 // (objective − bound) / objective
  double greedy_s = 0;            // the greedy warm start on buckets
  double aggregate_bound_s = 0;   // the aggregated MILP's bound on buckets
  std::size_t buckets = 0;
  std::size_t milp_columns = 0, milp_rows = 0;
  double wall_s = 0;              // wall time (not deterministic: reports only)
  double greedy_wall_s = 0, bound_wall_s = 0, milp_wall_s = 0;  // its parts
};

struct MicroBatchPlan {
  std::vector<std::int64_t> lengths;  // the micro-batch's sequences
  std::vector<std::size_t> batch_index;  // their indices in the step's batch
  std::vector<PlannedGroup> groups;   // placed: descending size, consecutive devices
  double seconds = 0;                 // slowest group, real lengths
  SolveReport solve;
};

std::string_view solve_method_name(SolveMethod m);  // "greedy certified", "milp", "greedy fallback"

}  // namespace spsim
