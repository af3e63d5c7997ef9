// `spsim plan`: plan SP groups for a batch of mixed sequence lengths (the
// FlexSP planner, planner/) and compare with the static and per-micro-batch
// uniform SP baselines; --simulate runs the plan through the engine. Exit 0;
// 1 when --simulate disagrees with the plan's estimate by more than 10%; 2 on
// bad input.
#include <fmt/core.h>


#include "planner/plan_run.h"
#include "program/input_error.h"
#include "program/memory_limit.h"
#include "tools/cli_common.h"
#include "tools/output_file.h"
#include "tools/settings.h"

namespace spsim::cli {
namespace {

struct PlanArgs {
  PlanRequest request;
  std::optional<std::string> lengths, dist;
  std::optional<std::int64_t> batch_tokens, max_context;
  std::optional<std::int64_t> batch_seqs;
  std::optional<std::string> json;
  int zero_stage = 3;
  double time_limit_s = 10;
  double gap = 1e-2;
  std::size_t buckets = 16;
  std::uint32_t extra_micro_batches = 1;
  bool list_groups = false, timing = false;
  double memory_limit_gb = default_memory_limit_bytes() / 1e9;
};

int run_plan_command(PlanArgs& a) {
  PlanRequest& r = a.request;
  r.lengths_file = a.lengths;
  r.dist = a.dist;
  // The settings table checked each value's range.
  if (a.max_context) r.max_context = *a.max_context;
  if (a.batch_tokens) r.batch_size = BatchSize{BatchSize::Unit::kTokens, *a.batch_tokens};
  if (a.batch_seqs) r.batch_size = BatchSize{BatchSize::Unit::kSequences, *a.batch_seqs};
  r.zero_stage = static_cast<ZeroStage>(a.zero_stage);
  r.memory_limit_bytes = a.memory_limit_gb * 1e9;
  r.step.micro.milp.time_limit_s = a.time_limit_s;
  r.step.micro.milp.relative_gap = a.gap;
  r.step.micro.buckets = a.buckets;
  r.step.extra_micro_batches = a.extra_micro_batches;
  // Long plans say where they are, on stderr (stdout stays the report).
  r.step.progress = [](const std::string& where) { fmt::print(stderr, "spsim plan: {}\n", where); };
  const PlanRun run = run_plan(r);
  fmt::print("{}", plan_run_text(run, PlanTextOptions{a.list_groups, a.timing}));
  if (a.json) {
    write_output_file("--json", *a.json, plan_run_json(run, a.timing));
  }
  if (run.simulation && simulation_disagreement(*run.simulation) > 0.10) return kExitCheckFailed;
  return kExitOk;
}

}  // namespace

CommandAction add_plan_command(CLI::App& app) {
  auto a = std::make_shared<PlanArgs>();
  auto* cmd = app.add_subcommand("plan", "Plan SP groups for a batch of mixed lengths (FlexSP) against static SP");
  PlanRequest& r = a->request;
  auto s = std::make_shared<Settings>(*cmd, "plan");
  s->bind("model", r.model).bind("topology", r.topology).bind("nodes", r.nodes).bind("strategy", r.strategy);
  s->bind("lengths", a->lengths).bind("dist", a->dist).bind("global-batch-tokens", a->batch_tokens);
  s->bind("global-batch-seqs", a->batch_seqs).bind("max-context", a->max_context).bind("seed", r.seed);
  s->bind("profile", r.profile_file).bind("calibration", r.calibration_file).bind("network", r.network).bind("memory-fraction", r.memory_fraction);
  s->bind("zero-stage", a->zero_stage).bind("time-limit", a->time_limit_s).bind("gap", a->gap);
  s->bind("buckets", a->buckets).bind("extra-micro-batches", a->extra_micro_batches).bind("json", a->json);
  s->bind("simulate", r.simulate).bind("groups", a->list_groups).bind("timing", a->timing);
  s->bind("memory-limit", a->memory_limit_gb).bind("solver-budget", r.solver_budget_s);
  return [a, s]() {
    try {
      s->apply();
      return run_plan_command(*a);
    } catch (const InputError& e) {
      throw s->relocate(e);
    }
  };
}

}  // namespace spsim::cli
