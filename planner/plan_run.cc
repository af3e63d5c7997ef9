#include "planner/plan_run.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>

#include "costmodel/calibration_profile.h"
#include "costmodel/device_profile.h"
#include "planner/token_count.h"
#include "program/input_error.h"
#include "strategies/registry.h"
#include "topology/cluster.h"

namespace spsim {
namespace {

std::string gb(double bytes) { return fmt::format("{:.3g} GB", bytes / 1e9); }

std::string describe_solve(const SolveReport& s) {
  std::string out = fmt::format("within {:.2f}% of optimal (bound {:.4f} s on the real lengths{}); ", 100 * s.real_gap,
                                s.real_bound_s, s.bound_time_limited ? ", its search time-limited" : "");
  switch (s.method) {
    case SolveMethod::kGreedyCertified:
      return out + "greedy plan proven by the aggregated MILP, slot MILP not needed";
    case SolveMethod::kMilp:
      out += fmt::format("slot MILP on {} buckets: {:.4f} s, ", s.buckets, s.objective_s);
      out += s.proven_optimal ? fmt::format("optimal within {:.2f}%", 100 * s.gap)
                              : fmt::format("gap {:.2f}%{}", 100 * s.gap, s.time_limit_hit ? ", time limit reached" : "");
      return out + (s.real_greedy_won ? "; the greedy on the real lengths was faster" : "");
    case SolveMethod::kGreedyFallback:
      return out + fmt::format("GREEDY FALLBACK: the slot MILP on {} buckets found no plan in time", s.buckets);
  }
  return out;
}

// Per group size: groups, sequences, tokens, longest, slowest.
struct SizeRow {
  std::uint32_t groups = 0;
  std::size_t sequences = 0;
  std::int64_t tokens = 0, longest = 0;
  double slowest_s = 0;
};

std::map<std::uint32_t, SizeRow, std::greater<>> size_rows(const MicroBatchPlan& mb) {
  std::map<std::uint32_t, SizeRow, std::greater<>> rows;
  for (const auto& g : mb.groups) {
    SizeRow& r = rows[g.size];
    ++r.groups;
    r.sequences += g.sequences.size();
    r.tokens += g.tokens;
    for (auto i : g.sequences) r.longest = std::max(r.longest, mb.lengths[i]);
    r.slowest_s = std::max(r.slowest_s, g.seconds);
  }
  return rows;
}

std::string sizes_used(const StepPlan& p) {
  std::string out;
  for (std::size_t m = 0; m < p.micro_batches.size(); ++m) {
    std::string sizes;
    for (const auto& [size, row] : size_rows(p.micro_batches[m])) sizes += (sizes.empty() ? "" : "+") + std::to_string(row.groups) + "x" + std::to_string(size);
    out += (m ? ", " : "") + sizes;
  }
  return out;
}

nlohmann::json plan_json(const StepPlan& p, bool timing) {
  nlohmann::json j;
  j["policy"] = plan_policy_name(p.policy);
  j["step_s"] = p.seconds;
  if (p.static_size) j["static_size"] = *p.static_size;
  j["micro_batches"] = nlohmann::json::array();
  for (const auto& mb : p.micro_batches) {
    nlohmann::json m;
    m["seconds"] = mb.seconds;
    m["sequences"] = mb.lengths.size();
    m["solver"] = {{"method", solve_method_name(mb.solve.method)},
                   {"real_bound_s", mb.solve.real_bound_s},
                   {"real_gap", mb.solve.real_gap},
                   {"bound_time_limited", mb.solve.bound_time_limited},
                   {"real_greedy_s", mb.solve.real_greedy_s}};
    if (mb.solve.milp_ran)
      m["solver"]["milp"] = {{"proven_optimal", mb.solve.proven_optimal},
                             {"time_limit_hit", mb.solve.time_limit_hit},
                             {"objective_s", mb.solve.objective_s},
                             {"bound_s", mb.solve.bound_s},
                             {"gap", mb.solve.gap},
                             {"greedy_s", mb.solve.greedy_s},
                             {"aggregate_bound_s", mb.solve.aggregate_bound_s},
                             {"buckets", mb.solve.buckets},
                             {"columns", mb.solve.milp_columns},
                             {"rows", mb.solve.milp_rows}};
    if (timing) m["solver"]["wall_s"] = mb.solve.wall_s;
    m["groups"] = nlohmann::json::array();
    for (const auto& g : mb.groups) {
      nlohmann::json gj;
      gj["size"] = g.size;
      gj["first_device"] = g.first_device;
      gj["tokens"] = g.tokens;
      gj["seconds"] = g.seconds;
      std::vector<std::size_t> batch_index;
      std::vector<std::int64_t> lengths;
      for (auto i : g.sequences) {
        batch_index.push_back(mb.batch_index.empty() ? i : mb.batch_index[i]);
        lengths.push_back(mb.lengths[i]);
      }
      gj["sequences"] = batch_index;
      gj["lengths"] = lengths;
      m["groups"].push_back(gj);
    }
    j["micro_batches"].push_back(m);
  }
  return j;
}

}  // namespace

namespace {

// Refuses (InputError "--solver-budget") a batch whose worst-case solver
// time exceeds the budget; returns that worst case. `sequences` 0: not drawn yet.
double check_solver_budget(const PlanRequest& req, double tokens, double tokens_per_step, std::size_t sequences) {
  const std::size_t solves = 3 * max_micro_batch_solves(tokens, tokens_per_step, req.step);
  const double worst_s = static_cast<double>(solves) * req.step.micro.milp.time_limit_s;
  if (worst_s > req.solver_budget_s)
    throw InputError("--solver-budget",
                     fmt::format("{}{:.0f} tokens need up to {} micro-batch MILPs of --time-limit {} s, up to {:.0f} s "
                                 "of solver time, more than the budget {} s; give a smaller batch "
                                 "(--global-batch-tokens), a lower --time-limit or a larger --solver-budget",
                                 sequences ? std::to_string(sequences) + " sequences, " : "", tokens, solves,
                                 req.step.micro.milp.time_limit_s, worst_s, req.solver_budget_s));
  return worst_s;
}

}  // namespace

PlanRun run_plan(const PlanRequest& req) {
  PlanRun run;
  run.request = req;
  const ModelSpec& model = find_model(req.model);
  require_single_stack(model, "--model");
  const Strategy* strategy = find_strategy(req.strategy);
  if (!strategy)
    throw InputError("--strategy", "unknown strategy '" + req.strategy + "'; expected one of: " + strategy_names());
  if (!(req.memory_fraction > 0 && req.memory_fraction <= 1))
    throw InputError("--memory-fraction", "expected a fraction in (0, 1]");
  const Topology topology = make_preset_topology(req.topology, req.nodes, req.memory_limit_bytes);
  run.topology_name = topology.name();
  run.devices = topology.num_devices();
  run.devices_per_node = topology.devices_per_node();
  run.device_type = topology.device_type(0);
  for (DeviceId d = 1; d < topology.num_devices(); ++d)
    if (topology.device_type(d) != run.device_type)
      throw InputError("--topology", "the planner needs one device type across the cluster");
  run.model_summary = fmt::format("{} ({} layers, hidden {}, {} heads x {})", model.name, model.layers, model.hidden,
                                  model.heads, model.head_dim);

  std::optional<CalibrationProfile> calibration;
  if (req.calibration_file) {
    calibration = load_calibration_profile(*req.calibration_file);
    run.calibration_note = calibration_summary(*calibration, *req.calibration_file);
  }
  // Memory.
  const DeviceProfile& profile = (calibration && calibration->device && calibration->device_type == run.device_type)
                                     ? *calibration->device
                                     : device_profile_preset(run.device_type);
  run.memory = memory_budget(model, profile.memory_bytes, req.memory_fraction, run.devices, req.zero_stage);
  const double tokens_per_device = run.memory.tokens_per_device();
  if (tokens_per_device < 1)
    throw InputError("--model", fmt::format("the model states ({}) leave no room for activations on a {} device",
                                            gb(run.memory.static_bytes), gb(profile.memory_bytes)));

  // Before drawing a batch of a given size: its solver time is known already.
  if (req.dist && req.batch_size && req.batch_size->unit == BatchSize::Unit::kTokens)
    check_solver_budget(req, static_cast<double>(req.batch_size->value), tokens_per_device * run.devices, 0);
  // The batch.
  if (req.lengths_file.has_value() == req.dist.has_value())
    throw InputError("--lengths", "give exactly one of --lengths FILE and --dist NAME");
  if (req.lengths_file) {
    run.batch = batch_from_lengths(read_lengths_file(*req.lengths_file, req.max_context), req.batch_size, *req.lengths_file);
  } else {
    if (!req.batch_size)
      throw InputError("--dist", "needs a batch size: --global-batch-tokens or --global-batch-seqs");
    run.batch = draw_batch(find_length_distribution(*req.dist), req.seed, *req.batch_size, req.max_context);
  }

  // Group sizes and their time model.
  const SpsimStepModel step_model(model, *strategy, topology, req.network, calibration ? &*calibration : nullptr);
  const std::vector<std::uint32_t> sizes = allowed_group_sizes(step_model, run.devices);
  if (sizes.empty()) throw InputError("--strategy " + req.strategy, "cannot run any group size for " + model.name);
  std::unique_ptr<GroupTimeModel> time_model;
  if (req.profile_file) {
    time_model = std::make_unique<FlexSpProfileModel>(read_flexsp_profile(*req.profile_file));
  } else {
    const std::int64_t longest = *std::max_element(run.batch.lengths.begin(), run.batch.lengths.end());
    const SpsimGroupTimeFit fit = fit_spsim_group_times(step_model, sizes, tokens_per_device, run.batch.total_tokens(),
                                                        std::max(longest, std::int64_t{1024}));
    run.fits = fit.fits;
    time_model = std::make_unique<TabulatedGroupTimeModel>(fit.model());
  }
  run.time_model = req.profile_file ? time_model->describe()
                                    : "fitted to spsim's predictions (engine + cost model, " + req.network + " network)";
  run.problem.devices = run.devices;
  for (std::uint32_t d : sizes) {
    std::vector<DeviceId> block(d);
    std::iota(block.begin(), block.end(), DeviceId{0});
    run.problem.options.push_back(GroupSizeOption{d, time_model->coefficients(block), tokens_per_device * d});
  }

  // Bounded work: the worst case of the solver time, before solving.
  const double worst_s = check_solver_budget(req, static_cast<double>(run.batch.total_tokens()),
                                             tokens_per_device * run.devices, run.batch.lengths.size());

  // The plan and its baselines; progress is reported only when the worst
  // case passes five minutes.
  StepOptions step = req.step;
  if (worst_s <= 300) step.progress = nullptr;
  run.plan = plan_step(run.batch.lengths, run.problem, PlanPolicy::kFlexible, step);
  run.best_uniform = plan_step(run.batch.lengths, run.problem, PlanPolicy::kBestUniform, step);
  run.static_sp = plan_step(run.batch.lengths, run.problem, PlanPolicy::kStatic, step);
  if (req.simulate) run.simulation = simulate_step_plan(run.plan, run.problem.options, step_model);
  return run;
}

std::string plan_run_text(const PlanRun& run, const PlanTextOptions& opt) {
  const PlanRequest& req = run.request;
  std::string out;
  auto line = [&](const std::string& s) { out += s + "\n"; };
  line(fmt::format("spsim plan: {} on {} ({} x {}), strategy {}", run.model_summary, run.topology_name, run.devices,
                   run.device_type, req.strategy));
  if (!run.calibration_note.empty()) line("calibration " + run.calibration_note);
  const auto& L = run.batch.lengths;
  std::vector<std::int64_t> sorted = L;
  std::sort(sorted.begin(), sorted.end());
  line(fmt::format("batch      {}: {} sequences, {} tokens; median {}, longest {}; {} clipped at --max-context {}",
                   run.batch.origin, L.size(), run.batch.total_tokens(), sorted[sorted.size() / 2], sorted.back(),
                   run.batch.clipped, token_count_text(req.max_context)));
  line(fmt::format("memory     {} x {:.2f} usable, {} model states per device (ZeRO-{} over {}); {:.0f} KB activations "
                   "per token -> {:.0f} tokens per device",
                   gb(run.memory.device_bytes), run.memory.usable_fraction, gb(run.memory.static_bytes),
                   static_cast<int>(req.zero_stage), run.devices, run.memory.activation_bytes_per_token / 1e3,
                   run.memory.tokens_per_device()));
  line("time model " + run.time_model + ": T = max(a·Σs² + b·Σs + c, m) per group");
  line("  (m: the floor; fit error: max over probes, and over probes taking at least 2m)");
  line(fmt::format("  {:>5} {:>12} {:>12} {:>9} {:>9} {:>7} {:>10} {:>10}", "size", "a (s/tok²)", "b (s/tok)", "c (s)",
                   "m (s)", "probes", "fit error", ">= 2m"));
  for (const auto& o : run.problem.options) {
    std::string fit_cols = fmt::format("{:>7} {:>10} {:>10}", "-", "-", "-");
    for (const auto& f : run.fits)
      if (f.size == o.size)
        fit_cols = fmt::format("{:>7} {:>9.2f}% {:>9.2f}%", f.probes.size(), 100 * f.max_relative_residual,
                               100 * f.max_relative_residual_linear);
    line(fmt::format("  {:>5} {:>12.4e} {:>12.4e} {:>9.4f} {:>9.4f} {}", o.size, o.time.seconds_per_token_sq,
                     o.time.seconds_per_token, o.time.fixed_s, o.time.min_s, fit_cols));
  }
  line(fmt::format("plan (SP groups of mixed sizes per micro-batch): {} micro-batch{}, step {:.4f} s",
                   run.plan.micro_batches.size(), run.plan.micro_batches.size() == 1 ? "" : "es", run.plan.seconds));
  for (std::size_t m = 0; m < run.plan.micro_batches.size(); ++m) {
    const MicroBatchPlan& mb = run.plan.micro_batches[m];
    std::int64_t tokens = 0;
    for (auto s : mb.lengths) tokens += s;
    line(fmt::format("  micro-batch {}: {} sequences, {} tokens -> {:.4f} s; {}{}", m + 1, mb.lengths.size(), tokens,
                     mb.seconds, describe_solve(mb.solve),
                     opt.timing ? fmt::format("; solved in {:.3f} s", mb.solve.wall_s) : ""));
    line(fmt::format("    {:>5} {:>7} {:>10} {:>9} {:>9} {:>12}", "size", "groups", "sequences", "tokens", "longest",
                     "slowest (s)"));
    for (const auto& [size, r] : size_rows(mb))
      line(fmt::format("    {:>5} {:>7} {:>10} {:>9} {:>9} {:>12.4f}", size, r.groups, r.sequences, r.tokens, r.longest,
                       r.slowest_s));
    if (opt.list_groups)
      for (const auto& g : mb.groups) {
        std::string lens;
        for (std::size_t k = 0; k < g.sequences.size(); ++k)
          lens += (k ? "," : "") + std::to_string(mb.lengths[g.sequences[k]]);
        line(fmt::format("      devices {}-{}: {:.4f} s, {} tokens: {}", g.first_device, g.first_device + g.size - 1,
                         g.seconds, g.tokens, lens));
      }
  }
  line("baselines (same memory, same solver):");
  line(fmt::format("  static SP degree {} for every sequence (the smallest that holds the longest, as DeepSpeed-Ulysses): "
                   "step {:.4f} s -> plan speedup {:.2f}x",
                   run.static_sp.static_size.value_or(0), run.static_sp.seconds, run.static_sp.seconds / run.plan.seconds));
  line(fmt::format("  best single SP degree per micro-batch ({}): step {:.4f} s -> plan speedup {:.2f}x",
                   sizes_used(run.best_uniform), run.best_uniform.seconds, run.best_uniform.seconds / run.plan.seconds));
  for (const StepPlan* p : {&run.plan, &run.best_uniform, &run.static_sp})
    for (const auto& mb : p->micro_batches)
      if (mb.solve.method == SolveMethod::kGreedyFallback)
        line(fmt::format("  note: {} used the greedy fallback for a micro-batch (the slot MILP found no plan in time)",
                         plan_policy_name(p->policy)));
  if (run.simulation) {
    const StepSimulation& s = *run.simulation;
    const double dis = simulation_disagreement(s);
    line(fmt::format("simulation of the plan (engine, {} network): step {:.4f} s simulated vs {:.4f} s planned "
                     "({:+.2f}%; {:.4f} s on padded lengths, {} padding tokens) -> {}",
                     req.network, s.simulated_s, s.estimated_s, 100 * (s.estimated_s - s.simulated_s) / s.simulated_s,
                     s.estimated_padded_s, s.padding_tokens, dis <= 0.10 ? "agree within 10%" : "DISAGREE by more than 10%"));
    for (std::size_t m = 0; m < s.micro_batches.size(); ++m)
      line(fmt::format("  micro-batch {}: simulated {:.4f} s, planned {:.4f} s", m + 1, s.micro_batches[m].simulated_s,
                       s.micro_batches[m].estimated_s));
  }
  return out;
}

std::string plan_run_json(const PlanRun& run, bool timing) {
  nlohmann::json j;
  const PlanRequest& req = run.request;
  j["model"] = req.model;
  j["topology"] = run.topology_name;
  if (!run.calibration_note.empty()) j["calibration"] = run.calibration_note;
  j["devices"] = run.devices;
  j["device_type"] = run.device_type;
  j["strategy"] = req.strategy;
  j["batch"] = {{"origin", run.batch.origin},
                {"tokens", run.batch.total_tokens()},
                {"clipped", run.batch.clipped},
                {"max_context", req.max_context},
                {"lengths", run.batch.lengths}};
  j["memory"] = {{"device_bytes", run.memory.device_bytes},
                 {"usable_fraction", run.memory.usable_fraction},
                 {"static_bytes", run.memory.static_bytes},
                 {"activation_bytes_per_token", run.memory.activation_bytes_per_token},
                 {"tokens_per_device", run.memory.tokens_per_device()}};
  j["time_model"] = {{"source", run.time_model}, {"sizes", nlohmann::json::array()}};
  for (const auto& o : run.problem.options) {
    nlohmann::json s = {{"size", o.size},
                        {"seconds_per_token_sq", o.time.seconds_per_token_sq},
                        {"seconds_per_token", o.time.seconds_per_token},
                        {"fixed_s", o.time.fixed_s},
                        {"capacity_tokens", o.capacity_tokens}};
    s["min_s"] = o.time.min_s;
    for (const auto& f : run.fits)
      if (f.size == o.size) {
        s["max_fit_error"] = f.max_relative_residual;
        s["max_fit_error_linear"] = f.max_relative_residual_linear;
      }
    j["time_model"]["sizes"].push_back(s);
  }
  j["plan"] = plan_json(run.plan, timing);
  j["baselines"] = {{"best_uniform", plan_json(run.best_uniform, timing)}, {"static", plan_json(run.static_sp, timing)}};
  j["speedup"] = {{"over_static", run.static_sp.seconds / run.plan.seconds},
                  {"over_best_uniform", run.best_uniform.seconds / run.plan.seconds}};
  if (run.simulation) {
    const StepSimulation& s = *run.simulation;
    j["simulation"] = {{"network", req.network},
                       {"simulated_s", s.simulated_s},
                       {"estimated_s", s.estimated_s},
                       {"estimated_padded_s", s.estimated_padded_s},
                       {"padding_tokens", s.padding_tokens},
                       {"disagreement", simulation_disagreement(s)}};
  }
  return j.dump(2) + "\n";
}

}  // namespace spsim
