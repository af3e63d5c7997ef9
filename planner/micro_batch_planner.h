#pragma once
// Plans one micro-batch: bucket the sequences (DP, bucketing.h), a greedy
// plan (greedy_plan.h), a lower bound from the aggregated MILP
// (aggregate_bound.h), the slot MILP (milp_plan.h) warm-started with the
// greedy plan and given the bound, then the buckets' counts turned back into
// sequences and the groups placed. When the greedy plan is already within
// the relative gap asked for of the aggregated bound, the slot MILP has
// nothing left to prove and is skipped (SolveMethod::kBoundCertified) unless
// always_milp is set.
//
// Decoding: within each bucket, sequences longest first go to the group (of
// those the MILP gave a share of that bucket) whose real time is lowest so
// far. Memory holds by construction: the MILP sized it with bucket maxima.
// Then local search on the real lengths (refine_plan, greedy_plan.h) evens
// out what the bucket means hid, and the greedy run on the real lengths
// competes with the result (the faster real plan wins). SolveReport's objective, bound and gap are
// the bucketed MILP's; MicroBatchPlan::seconds is the real plan's time.
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
  bool always_milp = false;  // run the slot MILP even when the bound already certifies the greedy plan
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
