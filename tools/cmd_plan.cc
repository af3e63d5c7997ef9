// `spsim plan`: plan SP groups for a batch of mixed sequence lengths (the
// FlexSP planner, planner/) and compare with the static and per-micro-batch
// uniform SP baselines; --simulate runs the plan through the engine. Exit 0;
// 1 when --simulate disagrees with the plan's estimate by more than 10%; 2 on
// bad input.
#include <fmt/core.h>

#include <fstream>

#include "planner/plan_run.h"
#include "planner/token_count.h"
#include "program/input_error.h"
#include "tools/cli_common.h"

namespace spsim::cli {
namespace {

struct PlanArgs {
  PlanRequest request;
  std::optional<std::string> lengths, dist, batch_tokens, max_context;
  std::optional<std::int64_t> batch_seqs;
  std::optional<std::string> json;
  int zero_stage = 3;
  double time_limit_s = 10;
  double gap = 1e-2;
  std::size_t buckets = 16;
  std::uint32_t extra_micro_batches = 1;
  bool list_groups = false, timing = false;
};

int run_plan_command(PlanArgs& a) {
  PlanRequest& r = a.request;
  r.lengths_file = a.lengths;
  r.dist = a.dist;
  if (a.max_context) r.max_context = parse_token_count(*a.max_context, "--max-context");
  if (a.batch_tokens) r.batch_size = BatchSize{BatchSize::Unit::kTokens, parse_token_count(*a.batch_tokens, "--global-batch-tokens")};
  if (a.batch_seqs) {
    if (*a.batch_seqs <= 0) throw InputError("--global-batch-seqs", "must be positive");
    r.batch_size = BatchSize{BatchSize::Unit::kSequences, *a.batch_seqs};
  }
  if (a.zero_stage < 0 || a.zero_stage > 3) throw InputError("--zero-stage", "expected 0, 1, 2 or 3");
  r.zero_stage = static_cast<ZeroStage>(a.zero_stage);
  if (!(a.time_limit_s > 0)) throw InputError("--time-limit", "must be positive seconds");
  if (!(a.gap >= 0 && a.gap < 1)) throw InputError("--gap", "expected a relative gap in [0, 1)");
  if (a.buckets == 0) throw InputError("--buckets", "must be at least 1");
  r.step.micro.milp.time_limit_s = a.time_limit_s;
  r.step.micro.milp.relative_gap = a.gap;
  r.step.micro.buckets = a.buckets;
  r.step.extra_micro_batches = a.extra_micro_batches;
  const PlanRun run = run_plan(r);
  fmt::print("{}", plan_run_text(run, PlanTextOptions{a.list_groups, a.timing}));
  if (a.json) {
    std::ofstream out(*a.json);
    if (!out) throw InputError("--json", "cannot write '" + *a.json + "'");
    out << plan_run_json(run, a.timing);
  }
  if (run.simulation && simulation_disagreement(*run.simulation) > 0.10) return kExitCheckFailed;
  return kExitOk;
}

}  // namespace

CommandAction add_plan_command(CLI::App& app) {
  auto a = std::make_shared<PlanArgs>();
  auto* cmd = app.add_subcommand("plan", "Plan SP groups for a batch of mixed lengths (FlexSP) against static SP");
  PlanRequest& r = a->request;
  cmd->add_option("--model", r.model, "model preset (spsim list)")->capture_default_str();
  cmd->add_option("--topology", r.topology, "node preset (spsim topo)")->capture_default_str();
  cmd->add_option("--nodes", r.nodes, "nodes of the cluster")->capture_default_str();
  cmd->add_option("--strategy", r.strategy, "SP strategy each group runs")->capture_default_str();
  auto* lengths = cmd->add_option("--lengths", a->lengths, "file of sequence lengths (one per line, or a JSON list)");
  cmd->add_option("--dist", a->dist, "length distribution to draw from: wikipedia")->excludes(lengths);
  auto* tokens = cmd->add_option("--global-batch-tokens", a->batch_tokens, "global batch in tokens, e.g. 512K");
  cmd->add_option("--global-batch-seqs", a->batch_seqs, "global batch in sequences")->excludes(tokens);
  cmd->add_option("--max-context", a->max_context, "longest sequence, e.g. 384K (default 384K)");
  cmd->add_option("--seed", r.seed, "seed of --dist draws")->capture_default_str();
  cmd->add_option("--profile", r.profile_file, "FlexSP coefficients (JSON, planner/group_time_model.h) instead of the fit to spsim");
  cmd->add_option("--network", r.network, "network model of the fit and --simulate: analytical or flow")->capture_default_str();
  cmd->add_option("--memory-fraction", r.memory_fraction, "fraction of device memory usable")->capture_default_str();
  cmd->add_option("--zero-stage", a->zero_stage, "ZeRO stage of the model states, sharded over all devices")->capture_default_str();
  cmd->add_option("--time-limit", a->time_limit_s, "CBC time limit per micro-batch MILP, seconds")->capture_default_str();
  cmd->add_option("--gap", a->gap, "relative optimality gap to prove (on the real lengths; CBC stops at it on buckets)")->capture_default_str();
  cmd->add_option("--buckets", a->buckets, "sequence buckets per micro-batch (DP bucketing)")->capture_default_str();
  cmd->add_option("--extra-micro-batches", a->extra_micro_batches, "micro-batch counts tried beyond the minimum")->capture_default_str();
  cmd->add_option("--json", a->json, "write the plan, baselines and simulation as JSON to this file");
  cmd->add_flag("--simulate", r.simulate, "run the plan through the engine and compare with the estimate");
  cmd->add_flag("--groups", a->list_groups, "list every group and its sequences");
  cmd->add_flag("--timing", a->timing, "print solver wall times (output no longer byte-identical)");
  return [a]() { return run_plan_command(*a); };
}

}  // namespace spsim::cli
