#pragma once
// One `spsim plan` study, assembled from its parts: the batch (file or
// distribution), the memory budget, the group time model (fitted to spsim,
// or a measured FlexSP profile), the plan and its two baselines, and
// optionally the simulation of the plan. The command line (tools/cmd_plan.cc)
// parses flags into a PlanRequest and prints a PlanRun.

#include <optional>
#include <string>
#include <vector>

#include "planner/batch.h"
#include "planner/memory_budget.h"
#include "planner/plan_simulation.h"
#include "planner/spsim_group_time.h"
#include "planner/step_planner.h"
#include "program/memory_limit.h"

namespace spsim {

struct PlanRequest {
  std::string model = "gpt-7b";
  std::string topology = "a100-sxm8";
  std::uint32_t nodes = 1;
  std::string strategy = "ulysses";
  std::optional<std::string> lengths_file;  // exactly one of lengths_file and dist
  std::optional<std::string> dist;
  std::optional<BatchSize> batch_size;      // required with dist
  std::int64_t max_context = 384 * 1024;
  std::uint64_t seed = 1;
  std::optional<std::string> profile_file;  // FlexSP coefficients instead of the fit
  std::optional<std::string> calibration_file;  // a calibration profile (spsim calibrate)
  std::string network = "flow";
  double memory_fraction = 0.9;
  ZeroStage zero_stage = ZeroStage::kParameters;
  StepOptions step;
  bool simulate = false;
  // Refuse a batch whose planning would need more host memory than this
  // (program/memory_limit.h).
  double memory_limit_bytes = default_memory_limit_bytes();
  // Refuse a batch whose worst-case solver time (every micro-batch MILP of
  // the three policies at its time limit) exceeds this many seconds.
  double solver_budget_s = 3600;
  // step.progress is called only when that worst case passes 300 s.
};

struct PlanRun {
  PlanRequest request;
  std::string topology_name, device_type, model_summary;
  std::string calibration_note;  // which calibration is in force ("" for none)
  std::uint32_t devices = 0, devices_per_node = 0;
  Batch batch;
  MemoryBudget memory;
  std::string time_model;         // one line: where coefficients come from
  std::vector<SizeFit> fits;      // empty with a profile
  StepProblem problem;
  StepPlan plan, best_uniform, static_sp;
  std::optional<StepSimulation> simulation;
};

// Runs the study. Throws InputError for bad input (naming the flag, file or key).
PlanRun run_plan(const PlanRequest& request);

struct PlanTextOptions {
  bool list_groups = false;  // every group of every micro-batch
  bool timing = false;       // solver wall times (not deterministic)
};

// The readable report; deterministic unless options.timing.
std::string plan_run_text(const PlanRun& run, const PlanTextOptions& options);
// The whole run as JSON (lengths, groups, baselines, fits, simulation);
// deterministic unless `timing`.
std::string plan_run_json(const PlanRun& run, bool timing);

}  // namespace spsim
