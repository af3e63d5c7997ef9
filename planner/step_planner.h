#pragma once
// One training step: the batch split into micro-batches (gradient
// accumulation), each planned on all N devices; the step takes the sum of
// its micro-batches' times. Three policies, so a run reports the plan and
// its baselines side by side:
//   kFlexible      per micro-batch any mix of group sizes (FlexSP);
//   kBestUniform   per micro-batch one group size for all groups, the best one;
//   kStatic        one group size for the whole step: the smallest that holds
//                  the batch's longest sequence (DeepSpeed-Ulysses' static SP
//                  degree, N/d data-parallel replicas).
// Every policy gets the same solver (plan_micro_batch: greedy, bound, MILP), so
// the comparison isolates the group sizes.
//
// Chunking: M0 = ceil(total tokens / (N · tokens per device)) micro-batches
// at least. For M in M0 .. M0 + extra (and beyond, while some micro-batch has
// no plan, up to M0 + 8), sequences longest first go to the micro-batch with
// the least device-seconds so far (each sequence weighted by d·T of the
// smallest size that holds it) that still has memory for them; the M with
// the shortest step wins (ties: fewer micro-batches).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <span>
#include <vector>

#include "planner/micro_batch_planner.h"

namespace spsim {

enum class PlanPolicy : std::uint8_t { kFlexible, kBestUniform, kStatic };
std::string_view plan_policy_name(PlanPolicy p);  // "flexible" / "best-uniform" / "static"

struct StepProblem {
  std::uint32_t devices = 0;
  std::vector<GroupSizeOption> options;  // every allowed size, ascending; capacity = size x per-device
};

struct StepOptions {
  MicroBatchOptions micro;
  std::uint32_t extra_micro_batches = 1;
  // Called before each micro-batch is planned ("flexible, 3 micro-batches:
  // 2 of 3"), for commands that show progress on long plans; may be empty.
  std::function<void(const std::string&)> progress;
};

// The most micro-batch MILPs plan_step may solve for a batch under one
// policy: every micro-batch of every count it tries (the minimum count m0,
// up to extra_micro_batches more). Each runs at most micro.milp.time_limit_s.
// `total_tokens`: the batch's; `tokens_per_step`: what the devices hold at once.
std::size_t max_micro_batch_solves(double total_tokens, double tokens_per_step, const StepOptions& options);

struct StepPlan {
  PlanPolicy policy = PlanPolicy::kFlexible;
  std::vector<MicroBatchPlan> micro_batches;
  double seconds = 0;                        // Σ micro-batch seconds
  std::optional<std::uint32_t> static_size;  // kStatic: the one size
};

// Plans the step under `policy`. Throws InputError("--max-context" ...) when
// the longest sequence fits no allowed group size, and InputError("plan", ...)
// when no chunking up to M0 + 8 micro-batches yields a plan.
StepPlan plan_step(std::span<const std::int64_t> lengths, const StepProblem& problem, PlanPolicy policy,
                   const StepOptions& options);

// Sequence indices per micro-batch by the rule in the file comment, or
// nullopt when M micro-batches cannot hold them.
std::optional<std::vector<std::vector<std::size_t>>> chunk_micro_batches(std::span<const std::int64_t> lengths,
                                                                         const StepProblem& problem, std::size_t m);

}  // namespace spsim
