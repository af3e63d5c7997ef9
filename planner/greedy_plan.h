#pragma once
// A greedy plan for one micro-batch: the MILP's warm start, and the fallback
// when the MILP finds nothing in time.
//
// For a target time C, pack(C) takes items longest first (by memory tokens,
// then time) and puts each into the existing group of the smallest size
// where it fits (memory, and group time <= C), best fit by resulting time;
// when none has room it opens the smallest group size that holds the item
// alone within C, if devices remain. A binary search finds the smallest C
// that pack() meets (to 1e-4 relative), then local search (refine_plan)
// lowers the maximum further while it can. The same search restricted to
// each single group size competes (a uniform plan is a plan too), and the
// fastest result wins.

#include <optional>
#include <span>
#include <vector>

#include "planner/plan_types.h"

namespace spsim {

// Groups (Σ sizes <= devices) holding every item, or nullopt when no
// packing exists even with unlimited time (an item fits no size, or the
// devices run out).
std::optional<std::vector<ItemGroup>> greedy_plan(std::span<const PlanItem> items,
                                                  const std::vector<GroupSizeOption>& options,
                                                  std::uint32_t devices);

// Local search on a plan: while it lowers the slowest group's time, moves
// one item off the slowest group to another group, swaps one of its items
// with a shorter item of another group, or doubles the slowest group's size
// with free devices (memory and device limits kept); stops after a fixed
// count of candidate looks (bounded work on batches of very many sequences). Used on the real
// lengths after the MILP's buckets are turned back into sequences.
void refine_plan(std::vector<ItemGroup>& groups, std::span<const PlanItem> items,
                 const std::vector<GroupSizeOption>& options, std::uint32_t devices);

// max over groups of group_seconds.
double plan_seconds(std::span<const ItemGroup> groups, const std::vector<GroupSizeOption>& options);

// A lower bound on any plan's time: the longest time an item takes alone in
// the best size that holds it.
double item_lower_bound(std::span<const PlanItem> items, const std::vector<GroupSizeOption>& options);

}  // namespace spsim
