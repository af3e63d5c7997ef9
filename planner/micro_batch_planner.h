#pragma once
// Plans one micro-batch.
//
// 1. The greedy plan on the real lengths (greedy_plan.h), and a lower bound
//    on the real lengths from the aggregated MILP (aggregate_bound.h). When
//    the plan is within the relative gap asked for of the bound, it is the
//    answer (SolveMethod::kGreedyCertified). With always_milp the bound is
//    skipped and step 2 always runs.
// 2. Otherwise FlexSP's way: bucket the sequences (DP, bucketing.h), a greedy
//    plan on the buckets as warm start and the aggregated bound on the
//    buckets as the lower end of C, the slot MILP (milp_plan.h), and the
//    buckets' counts turned back into sequences: within each bucket,
//    sequences longest first go to the group (of those the MILP gave a share
//    of that bucket) whose real time is lowest so far — memory holds by
//    construction, the MILP sized it with bucket maxima — then local search
//    on the real lengths (refine_plan) evens out what bucket means hid. The
//    faster of that and the real greedy plan is the answer; if the MILP
//    finds nothing in time, the greedy plan (kGreedyFallback).
// The groups are then placed. SolveReport says which path gave the plan and
// its proven gap on the real lengths.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "planner/milp_plan.h"
#include "planner/plan_types.h"

namespace spsim {

struct MicroBatchOptions {
  std::size_t buckets = 16;       // bucketing.h; >= the number of distinct lengths: exact
  MilpOptions milp;               // relative_gap is also the gap step 1 must prove
  bool warm_start = true;         // give CBC the greedy plan
  bool always_milp = false;       // skip step 1's bound, always run the slot MILP
  std::size_t bound_buckets = 128;  // shortest-member buckets of the real-lengths bound
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
