#pragma once
// Plans one micro-batch: bucket the sequences (DP, bucketing.h), a greedy
// plan as warm start (greedy_plan.h), the MILP (milp_plan.h), then the
// buckets' counts turned back into sequences and the groups placed.
//
// Decoding: within each bucket, sequences longest first go to the group (of
// those the MILP gave a share of that bucket) whose real time is lowest so
// far. Memory holds by construction: the MILP sized it with bucket maxima.
// When the MILP finds no plan in time, the greedy plan (on the same bucket
// representatives) is the answer, and SolveReport::method says so.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "planner/milp_plan.h"
#include "planner/plan_types.h"

namespace spsim {

struct MicroBatchOptions {
  std::size_t buckets = 16;  // bucketing.h; >= the number of distinct lengths: exact
  MilpOptions milp;
  bool warm_start = true;    // give CBC the greedy plan
};

// The plan of `lengths` on `devices` devices with group sizes `options`
// (ascending), or nullopt when no plan exists (a sequence fits no size, or
// the micro-batch does not fit the devices' memory).
std::optional<MicroBatchPlan> plan_micro_batch(std::span<const std::int64_t> lengths,
                                               const std::vector<GroupSizeOption>& options, std::uint32_t devices,
                                               const MicroBatchOptions& opt);

// Groups in descending size on consecutive devices (ties: slower first):
// sets first_device, and each group's real tokens, Σs² and seconds.
void place_groups(std::vector<PlannedGroup>& groups, std::span<const std::int64_t> lengths,
                  const std::vector<GroupSizeOption>& options);

}  // namespace spsim
