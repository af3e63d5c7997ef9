#include "tools/study.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <map>
#include <nlohmann/json.hpp>
#include <cmath>
#include <cstdio>

#include "costmodel/device_profile.h"
#include "costmodel/calibration_profile.h"
#include "costmodel/device_profile_json.h"
#include "costmodel/link_model.h"
#include "sim/depth_replication.h"
#include "sim/engine.h"
#include "program/input_error.h"
#include "sim/model_costs.h"
#include "sim/network_model.h"
#include "program/program_check.h"
#include "strategies/model.h"
#include "strategies/model_json.h"
#include "strategies/model_program.h"
#include "strategies/registry.h"
#include "topology/cluster.h"
#include "tools/output_file.h"
#include "topology/link_params.h"
#include "topology/topology_json.h"
#include "traces/chrome_trace.h"
#include "traces/timeline_file.h"
#include "tools/settings.h"

namespace spsim {
namespace {

using json = nlohmann::json;

Pass parse_pass(const std::string& s) {
  if (s == "fwd") return Pass::kForward;
  if (s == "fwd+bwd") return Pass::kForwardBackward;
  throw InputError("--pass", "expected 'fwd' or 'fwd+bwd', got '" + s + "'");
}

Topology make_topology(const StudyConfig& c) {
  if (!c.topology_file.empty()) return load_topology_file(c.topology_file, c.memory_limit_bytes);
  if (c.nodes == 0) throw InputError("--nodes", "must be at least 1");
  return make_preset_topology(c.topology, c.nodes, c.memory_limit_bytes);
}

// The bytes/s each link carries at most (line rate x class efficiency), as
// the network models use it.
std::vector<double> link_capacities(const Topology& topo, const LinkModel& links) {
  std::vector<double> cap(topo.num_links());
  for (LinkId l = 0; l < topo.num_links(); ++l) cap[l] = links.link(topo.link(l)).beta_bytes_per_s;
  return cap;
}

// Host memory a study holds per op of a strategy's program: the program, its
// matching, costs and timeline, the program of one more layer when the depth
// is extrapolated, and the fastest strategy's kept for a trace. Measured as
// peak RSS / ops of `spsim run --nodes 8 --sp 64 --seq 131072 --strategy S
// --layers L` (h100-sxm8, llama3-8b; release build, GNU time %M,
// 2026-12-01): ring L=8 (with the 9-layer program) 384 B over 303K ops;
// ring L=32 199 B over 1.21M ops; tokenring L=32 204 B over 2.62M ops. 1 KB leaves room for a trace's
// recorded rates and the kept fastest strategy.
constexpr double kStudyBytesPerOp = 1024;
// Programs of this many ops take seconds to simulate (tokenring at SP=64,
// 32 layers: 2.6M ops, 21 s with the flow network): the study reports them.
constexpr std::size_t kProgressOps = 1'000'000;
// Fast repeated layers (sim/depth_replication.h): k and k+2 layers are
// simulated (k = 6 or 7, of the parity of the depth), a steady state of
// period 1 or 2 layers checked on layers 1..5 of the second (the first layer
// and the last ones, next to the loss, are the transients it skips).
constexpr std::uint32_t kReplicateFrom = 6;
constexpr std::uint32_t kReplicatePeriod = 2;

struct Simulated {
  StrategyOutcome outcome;
  std::unique_ptr<Program> program;
  std::unique_ptr<CommMatching> matching;
  std::unique_ptr<Timeline> timeline;
  std::vector<double> flops;
  std::vector<double> bytes;  // kept only for a Timeline file
};

}  // namespace

StudySetup setup_study(const StudyConfig& c) {
  StudySetup u{c.model_file.empty() ? find_model(c.model) : load_model_file(c.model_file), make_topology(c), {}, 0,
               0, Scope::kModel, Recompute::kNone, RingBackward::kRingFlashAttn, {}};
  require_single_stack(u.model, c.model_file.empty() ? "--model" : c.model_file);
  const auto dtype = parse_dtype(c.dtype);
  if (!dtype) throw InputError("--dtype", "expected fp16, bf16, fp32 or fp64, got '" + c.dtype + "'");
  std::vector<std::int64_t> lens = c.seqlens;
  if (lens.empty()) {
    if (c.batch == 0) throw InputError("--batch", "must be at least 1");
    lens.assign(c.batch, c.seq);
  }
  u.workload = model_workload(u.model, lens, *dtype, parse_pass(c.pass));
  validate_workload(u.workload);
  if (c.zero_stage > 3) throw InputError("--zero-stage", "expected 0, 1, 2 or 3");
  const std::optional<Scope> scope = parse_scope(c.scope);
  if (!scope) throw InputError("--scope", "expected model or attention, got '" + c.scope + "'");
  u.scope = *scope;
  const std::optional<Recompute> recompute = parse_recompute(c.recompute);
  if (!recompute) throw InputError("--recompute", "expected none, selective or full, got '" + c.recompute + "'");
  if (*recompute != Recompute::kNone && u.scope == Scope::kAttention)
    throw InputError("--recompute", "recomputes layers of the whole model; --scope attention has none");
  u.recompute = *recompute;
  const std::optional<RingBackward> ring_bwd = parse_ring_backward(c.ring_bwd);
  if (!ring_bwd)
    throw InputError("--ring-bwd", "expected ring-flash-attn or transformer-engine, got '" + c.ring_bwd + "'");
  u.ring_bwd = *ring_bwd;
  u.sp = c.sp.value_or(u.topology.num_devices());
  if (u.sp == 0 || u.sp > u.topology.num_devices())
    throw InputError("--sp", "must be in 1.." + std::to_string(u.topology.num_devices()) + " (devices of " +
                                 u.topology.name() + "), got " + std::to_string(u.sp));
  u.layers = c.layers.value_or(u.model.layers);
  if (u.layers == 0 || u.layers > u.model.layers)
    throw InputError("--layers", "must be in 1.." + std::to_string(u.model.layers) + " for " + u.model.name);
  if (c.strategy == "all") {
    u.chosen.assign(all_strategies().begin(), all_strategies().end());
  } else if (const Strategy* s = find_strategy(c.strategy)) {
    u.chosen.push_back(s);
  } else {
    throw InputError("--strategy", "unknown strategy '" + c.strategy + "'; expected all or one of: " + strategy_names());
  }
  return u;
}

StrategyOptions StudySetup::options(const StudyConfig& c) const {
  StrategyOptions opt(sp, c.ulysses_degree, c.window);
  opt.ring_backward = ring_bwd;
  opt.max_ops = static_cast<std::size_t>(c.memory_limit_bytes / kStudyBytesPerOp);
  return opt;
}

ModelStep StudySetup::step(const StudyConfig& c) const {
  return ModelStep{model, workload, options(c), layers, scope, recompute, c.loss_chunks};
}

Program lower_study_program(const StudyConfig& c, const StudySetup& setup, const std::string& where) {
  const Strategy& strategy = *setup.chosen.front();
  const ModelStep step = setup.step(c);
  if (auto why = refuse_model_step(strategy, step)) throw InputError(where, *why);
  return lower_model_step(strategy, step);
}

StudyResult run_study(const StudyConfig& c) {
  StudyResult r;
  r.config = c;
  const StudySetup setup = setup_study(c);
  const ModelSpec& model = setup.model;
  const Topology& topo = setup.topology;
  const std::uint32_t sp = setup.sp;
  r.model_name = model.name;
  r.workload = setup.workload;
  r.scope = setup.scope;
  r.recompute = setup.recompute;
  r.topology_name = topo.name();
  r.sp = sp;
  r.model_layers = model.layers;
  r.layers = setup.layers;
  // Validate the network name before any work.
  // The topology's own link parameters (a topology file's "link_params"),
  // then the study's (--link-params) on top.
  // A calibration's link classes come between the two: measured beats built
  // in, and what the user sets by hand beats both.
  LinkCalibration link_params;
  if (topo.link_params()) link_params = *topo.link_params();
  std::optional<CalibrationProfile> calibration;
  if (!c.calibration.empty()) {
    calibration = load_calibration_profile(c.calibration);
    link_params.merge(calibration->links);
    r.calibration_note = calibration_summary(*calibration, c.calibration);
  }
  if (!c.link_params.empty()) link_params.merge(load_link_params_file(c.link_params));
  const LinkModel links(link_params);
  (void)make_network_model(c.network, topo, links);

  std::map<std::string, DeviceProfile> overrides;
  if (!c.device_profile.empty()) {
    const DeviceProfile prof = load_device_profile(c.device_profile);
    for (DeviceId d = 0; d < topo.num_devices(); ++d) overrides[topo.device_type(d)] = prof;
  }
  if (calibration && calibration->device) {
    if (!c.device_profile.empty())
      throw InputError("--device-profile", "the calibration (--calibration) has a device profile; give one of them");
    bool used = false;
    for (DeviceId d = 0; d < topo.num_devices(); ++d)
      if (topo.device_type(d) == calibration->device_type) used = true;
    if (!used)
      throw InputError("--calibration", fmt::format("{} calibrates {} devices; the topology {} has none", c.calibration,
                                                    calibration->device_type, topo.name()));
    overrides[calibration->device_type] = *calibration->device;
  }

  const std::vector<const Strategy*>& chosen = setup.chosen;

  StaticMemoryInputs smi;
  smi.parameters = static_cast<double>(model.parameter_count());
  smi.zero_shards = sp;
  smi.zero_stage = static_cast<ZeroStage>(c.zero_stage);
  // The attention layers alone hold no weights (as in an attention benchmark).
  const double static_bytes = r.scope == Scope::kAttention ? 0.0 : static_memory(smi).total_bytes();
  const std::vector<double> capacity = link_capacities(topo, links);
  const bool want_trace = !c.trace.empty() || !c.timeline.empty();

  // Lowers `step` into `sim` (program, matching, timeline) and simulates it;
  // returns the cost model it ran with (it refers to sim's program).
  auto lower_and_simulate = [&](const Strategy& s, const ModelStep& step, bool record_rates, Simulated& sim) {
    sim.program = std::make_unique<Program>(lower_model_step(s, step));
    // Long simulations say what they are doing (stderr; stdout is the report).
    if (sim.program->num_ops() >= kProgressOps && c.progress != ProgressMode::kOff)
      std::fprintf(stderr, "spsim run: simulating %s, %u layers: %.2fM ops ...\n", std::string(s.name()).c_str(),
                   step.layers, static_cast<double>(sim.program->num_ops()) / 1e6);
    sim.matching = std::make_unique<CommMatching>(check_program(*sim.program));
    auto costs = std::make_unique<ModelCosts>(*sim.program, topo, std::span<const DeviceId>{}, overrides);
    auto net = make_network_model(c.network, topo, links, NetworkOptions{record_rates});
    sim.timeline =
        std::make_unique<Timeline>(simulate(EngineInput{*sim.program, *sim.matching, topo, {}, *costs, *net}));
    return costs;
  };

  // Writes the Chrome trace of `sim` to `path` (`flag` names it in errors).
  auto write_trace = [&](const Simulated& sim, const std::string& path, const std::string& flag) {
    TraceOptions topt;
    topt.ranks.assign(c.trace_ranks.begin(), c.trace_ranks.end());
    for (auto l : c.trace_layers) topt.layers.push_back(static_cast<std::uint16_t>(l));
    const std::string title = fmt::format("{} {} {} P={} on {}", sim.outcome.strategy, model.name,
                                          r.workload.describe(), sp, r.topology_name);
    std::ostringstream text;
    write_chrome_trace(
        TraceInput{*sim.program, *sim.matching, *sim.timeline, topo, sim.flops, capacity, title, sim.bytes}, topt,
        text);
    cli::write_output_file(flag, path, text.str());
  };
  if (!c.trace_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(c.trace_dir, ec);
    if (ec || !std::filesystem::is_directory(c.trace_dir))
      throw InputError("--trace-dir", "cannot make the directory '" + c.trace_dir + "'");
  }

  std::optional<Simulated> best;
  cli::Progress progress("spsim run", "strategies", chosen.size(), c.progress);
  for (const Strategy* s : chosen) {
    const cli::ProgressTick tick(progress);  // counts this strategy however its iteration ends
    Simulated sim;
    StrategyOutcome& out = sim.outcome;
    out.strategy = std::string(s->name());
    out.static_bytes = static_bytes;
    const StrategyOptions opt = setup.options(c);
    const ModelStep step = setup.step(c);
    if (auto why = refuse_model_step(*s, step)) {
      if (chosen.size() == 1 && !c.keep_refusals) throw InputError("--strategy " + out.strategy, *why);
      out.skipped = *why;
      r.outcomes.push_back(std::move(out));
      continue;
    }
    out.padding_tokens = padding_tokens(*s, r.workload, opt);
    std::unique_ptr<ModelCosts> costs_ptr;
    // Fast repeated layers (sim/depth_replication.h): k and k+2 layers are
    // simulated and, once the steady state holds, the others replicated;
    // otherwise (or with --exact-depth, a trace or a Timeline file, which
    // show every op) the whole depth is simulated.
    const std::uint32_t k = kReplicateFrom + (step.layers - kReplicateFrom) % kReplicatePeriod;
    const bool try_replicate = !c.exact_depth && !want_trace && c.trace_dir.empty() &&
                               step.layers > kReplicateFrom + kReplicatePeriod + 1;
    Simulated base;  // k layers, when replicating
    std::unique_ptr<ModelCosts> base_costs;
    std::optional<LayerPeriod> period;
    try {
      if (try_replicate) {
        ModelStep deeper = step;
        deeper.layers = k + kReplicatePeriod;
        costs_ptr = lower_and_simulate(*s, deeper, false, sim);
        period = steady_period(*sim.program, *sim.timeline, 1, kReplicatePeriod);
        if (period) {
          ModelStep shallower = step;
          shallower.layers = k;
          base_costs = lower_and_simulate(*s, shallower, false, base);
        }
      }
      if (!period) costs_ptr = lower_and_simulate(*s, step, !c.trace.empty() || !c.trace_dir.empty(), sim);
    } catch (const ProgramTooLarge& e) {
      const std::string why = fmt::format(
          "its program grows past {} ops, more than --memory-limit {:.3g} GB holds (~{:.0f} bytes per op); lower "
          "--sp, --layers or --seq, or raise --memory-limit",
          e.limit(), c.memory_limit_bytes / 1e9, kStudyBytesPerOp);
      if (chosen.size() == 1 && !c.keep_refusals)
        throw InputError("--memory-limit", "strategy " + out.strategy + ": " + why);
      out.skipped = why;
      r.outcomes.push_back(std::move(out));
      continue;
    }
    const ModelCosts& costs = *costs_ptr;
    const Program& p = *sim.program;
    std::vector<double> static_per_rank(sp, static_bytes), mem_capacity(sp);
    for (RankId rk = 0; rk < sp; ++rk) mem_capacity[rk] = costs.profile(rk).memory_bytes;
    out.ops = p.num_ops();
    out.metrics = compute_metrics(MetricsInput{p, *sim.timeline, topo, capacity, static_per_rank, mem_capacity});
    // Each rank's peak grows linearly with depth by what a layer holds for
    // its backward (tests/tools/memory_study_test.cc): from k and k+2 layers
    // when replicating, else by one more layer when --layers is short of the
    // model's.
    // `apart`: the layers between the two; `more`: the layers to add.
    auto grow_peaks = [&](const Metrics& shallower, const Metrics& deeper, double apart, double more) {
      for (std::size_t rk = 0; rk < out.metrics.ranks.size(); ++rk) {
        RankMetrics& rm = out.metrics.ranks[rk];
        const double held =
            std::max(0.0, deeper.ranks[rk].peak_activation_bytes - shallower.ranks[rk].peak_activation_bytes) / apart;
        rm.peak_activation_bytes += more * held;
        rm.peak_memory_bytes += more * held;
        if (r.extrapolates_depth()) out.held_per_layer_bytes = std::max(out.held_per_layer_bytes, held);
      }
    };
    const std::uint32_t depth = r.extrapolates_depth() ? r.model_layers : r.layers;  // of the peak memory
    double flops = 0;
    if (period) {
      const Metrics mk =
          compute_metrics(MetricsInput{*base.program, *base.timeline, topo, capacity, static_per_rank, mem_capacity});
      const std::uint32_t simulated = k + kReplicatePeriod;
      const double more = static_cast<double>((step.layers - simulated) / kReplicatePeriod);  // periods
      const CriticalPath ck = critical_path(*base.program, *base.matching, *base.timeline, topo);
      out.critical = replicate_critical_path(ck, critical_path(p, *sim.matching, *sim.timeline, topo), more);
      out.ops = p.num_ops() + static_cast<std::size_t>(more) * (p.num_ops() - base.program->num_ops());
      const Metrics mk1 = out.metrics;
      out.metrics = replicate_metrics(mk, mk1, more);
      grow_peaks(mk, mk1, kReplicatePeriod, static_cast<double>(depth - simulated));
      double fk = 0, fk1 = 0;
      for (double f : base_costs->op_flops()) fk += f;
      for (double f : costs.op_flops()) fk1 += f;
      flops = fk1 + more * (fk1 - fk);
      out.replicated_layers = step.layers - simulated;
    } else {
      if (r.extrapolates_depth()) {
        ModelStep deeper = step;
        ++deeper.layers;
        Simulated d;
        try {
          lower_and_simulate(*s, deeper, false, d);
        } catch (const ProgramTooLarge& e) {
          throw InputError("--memory-limit", fmt::format("strategy {}: the program of {} layers (to extrapolate "
                                                         "the peak memory) grows past {} ops; lower --layers or "
                                                         "raise --memory-limit",
                                                         out.strategy, deeper.layers, e.limit()));
        }
        const Metrics deeper_metrics =
            compute_metrics(MetricsInput{*d.program, *d.timeline, topo, capacity, static_per_rank, mem_capacity});
        const Metrics shallower = out.metrics;
        grow_peaks(shallower, deeper_metrics, 1, static_cast<double>(depth - r.layers));
      }
      out.critical = critical_path(p, *sim.matching, *sim.timeline, topo);
      sim.flops = costs.op_flops();
      for (double f : sim.flops) flops += f;
    }
    if (!std::isfinite(out.metrics.step_time_s) || !(out.metrics.step_time_s > 0))
      throw InputError(c.topology_file.empty() ? "--topology" : c.topology_file,
                       fmt::format("strategy {}: the predicted step time is {} s; a bandwidth, latency or peak of "
                                   "the cluster or device profile is degenerate",
                                   out.strategy, out.metrics.step_time_s));
    out.tokens_per_s = static_cast<double>(r.workload.total_tokens()) / out.metrics.step_time_s;
    if (want_trace || !c.trace_dir.empty()) sim.bytes = costs.op_bytes();
    out.flops_per_rank = flops / sp;
    r.outcomes.push_back(out);
    if (!c.trace_dir.empty()) {
      write_trace(sim, (std::filesystem::path(c.trace_dir) / (out.strategy + ".json")).string(), "--trace-dir");
      r.traced_all.push_back(out.strategy);
    }
    if (want_trace && (!best || out.metrics.step_time_s < best->outcome.metrics.step_time_s)) best = std::move(sim);
  }

  if (!c.keep_refusals &&
      std::all_of(r.outcomes.begin(), r.outcomes.end(), [](const auto& o) { return o.skipped.has_value(); }))
    throw InputError("--strategy all", "no strategy can run this study; first: " + r.outcomes.front().strategy +
                                           ": " + *r.outcomes.front().skipped);
  if (want_trace && best && !c.timeline.empty()) {
    TimelineFile t;
    t.source = "predicted";
    t.mode = "simulated";
    t.spsim_version = SPSIM_VERSION;
    t.study = nlohmann::json::parse(study_config_json(c, best->outcome.strategy).dump());
    t.strategy = best->outcome.strategy;
    t.title = fmt::format("{} {} {} P={} on {}", best->outcome.strategy, model.name, r.workload.describe(), sp,
                          r.topology_name);
    for (RankId rk = 0; rk < sp; ++rk) t.devices.push_back(topo.device_name(best->timeline->placement[rk]));
    t.device_type = topo.device_type(best->timeline->placement[0]);
    t.network_model = best->timeline->network_model;
    t.step_ns = std::llround(best->timeline->makespan_s * 1e9);
    const Program& p = *best->program;
    for (std::size_t i = 0; i < p.num_ops(); ++i) {
      const OpId id = op_id(i);
      const bool comm = op_kind_info(p.op(id).kind).category == OpCategory::kComm;
      t.ops.push_back(timeline_record(p, id, best->timeline->at(id).start_s, best->timeline->at(id).end_s,
                                      best->bytes[i], best->flops[i], comm ? best->timeline->network_model : "roofline"));
    }
    std::ostringstream text;
    write_timeline_file(t, text);
    cli::write_output_file("--timeline", c.timeline, text.str());
    r.traced = best->outcome.strategy;
  }
  if (want_trace && best && !c.trace.empty()) {
    write_trace(*best, c.trace, "--trace");
    r.traced = best->outcome.strategy;
  }
  if (!c.json.empty()) {
    cli::write_output_file("--json", c.json, study_json(r));
  }
  return r;
}

namespace {

std::string top_label(const CriticalPath& cp, double step) {
  std::vector<std::pair<double, std::string>> v;
  for (const auto& [label, s] : cp.seconds_by_label) v.emplace_back(s, label);
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  std::string out;
  for (std::size_t i = 0; i < v.size() && i < 2; ++i)
    out += fmt::format("{}{} {:.0f}%", i ? ", " : "", v[i].second, 100 * v[i].first / step);
  return out;
}

}  // namespace

OutcomeSummary summarize_outcome(const StrategyOutcome& o) {
  OutcomeSummary sum;
  const Metrics& m = o.metrics;
  double busy = 0;
  for (const RankMetrics& rm : m.ranks) {
    busy += rm.compute_busy_s;
    sum.exposed_comm_s = std::max(sum.exposed_comm_s, rm.exposed_comm_s);
    sum.peak_memory_bytes = std::max(sum.peak_memory_bytes, rm.peak_memory_bytes);
    sum.exceeds_capacity |= rm.exceeds_capacity();
  }
  if (!m.ranks.empty() && m.step_time_s > 0) sum.compute_share = busy / static_cast<double>(m.ranks.size()) / m.step_time_s;
  sum.critical_top = top_label(o.critical, m.step_time_s);
  return sum;
}

nlohmann::ordered_json study_config_json(const StudyConfig& c, std::string_view strategy) {
  nlohmann::ordered_json j;
  // A setting only some strategies take is recorded for those alone, so the
  // file is a valid --config of this strategy.
  auto add = [&](std::string_view name, auto value) {
    const cli::SettingSpec* spec = cli::find_setting(name);
    if (spec && !spec->strategies.empty()) {
      bool used = false;
      for (std::size_t b = 0; b < spec->strategies.size();) {
        const std::size_t e = std::min(spec->strategies.find(',', b), spec->strategies.size());
        used = used || spec->strategies.substr(b, e - b) == strategy;
        b = e + 1;
      }
      if (!used) return;
    }
    j[std::string(name)] = value;
  };
  if (c.model_file.empty()) add("model", c.model);
  else add("model-file", c.model_file);
  if (c.seqlens.empty()) {
    add("seq", c.seq);
    add("batch", c.batch);
  } else {
    add("seqlens", c.seqlens);
  }
  add("strategy", std::string(strategy));
  if (c.sp) add("sp", *c.sp);
  if (c.topology_file.empty()) {
    add("topology", c.topology);
    add("nodes", c.nodes);
  } else {
    add("topology-file", c.topology_file);
  }
  add("pass", c.pass);
  if (c.layers) add("layers", *c.layers);
  add("scope", c.scope);
  add("recompute", c.recompute);
  add("loss-chunks", c.loss_chunks);
  add("network", c.network);
  add("dtype", c.dtype);
  if (c.ulysses_degree) add("ulysses-degree", *c.ulysses_degree);
  if (c.window) add("window", *c.window);
  add("ring-bwd", c.ring_bwd);
  add("zero-stage", c.zero_stage);
  if (!c.device_profile.empty()) add("device-profile", c.device_profile);
  if (!c.link_params.empty()) add("link-params", c.link_params);
  if (!c.calibration.empty()) add("calibration", c.calibration);
  return j;
}

void print_study(const StudyResult& r, std::ostream& os) {
  const StudyConfig& c = r.config;
  os << fmt::format("model {} ({} of {} layers{}{})  {}\n", r.model_name, r.layers, r.model_layers,
                    r.scope == Scope::kAttention ? ", attention only" : "",
                    r.recompute == Recompute::kNone ? "" : fmt::format(", {} recomputation", recompute_name(r.recompute)),
                    r.workload.describe());
  const std::string static_memory =
      r.scope == Scope::kAttention
          ? std::string("no weights (attention only)")
          : fmt::format("static memory per rank {:.1f} GB (ZeRO-{})",
                        r.outcomes.empty() ? 0.0 : r.outcomes.front().static_bytes / 1e9, c.zero_stage);
  os << fmt::format("cluster {}  SP={}  network model: {}  {}\n", r.topology_name, r.sp, c.network, static_memory);
  if (!r.calibration_note.empty()) os << "calibration: " << r.calibration_note << "\n";
  os << fmt::format("{:<12} {:>10} {:>11} {:>8} {:>11} {:>8} {:>10}  {}\n", "strategy", "step ms", "tokens/s",
                    "compute", "exposed ms", "overlap", "peak GB", "critical path (top)");
  for (const StrategyOutcome& o : r.outcomes) {
    if (o.skipped) {
      os << fmt::format("{:<12} skipped: {}\n", o.strategy, *o.skipped);
      continue;
    }
    const Metrics& m = o.metrics;
    const OutcomeSummary sum = summarize_outcome(o);
    os << fmt::format("{:<12} {:>10.2f} {:>11.0f} {:>7.0f}% {:>11.2f} {:>7.0f}% {:>9.1f}{}  {}\n", o.strategy,
                      m.step_time_s * 1e3, o.tokens_per_s, 100 * sum.compute_share, sum.exposed_comm_s * 1e3,
                      100 * m.overlap_ratio, sum.peak_memory_bytes / 1e9, sum.exceeds_capacity ? "!" : " ",
                      sum.critical_top);
  }
  bool any_over = false;
  for (const auto& o : r.outcomes)
    for (const auto& rm : o.metrics.ranks) any_over |= rm.exceeds_capacity();
  os << "compute: mean busy share per rank; exposed: max per rank of communication not hidden by compute; "
        "overlap: hidden share of all communication\n";
  if (any_over) os << "! peak memory exceeds the device's capacity\n";
  std::size_t replicated = 0, ran = 0;
  std::uint32_t other = 0;
  for (const auto& o : r.outcomes) {
    ran += !o.skipped;
    replicated += o.replicated_layers > 0;
    other = std::max(other, o.replicated_layers);
  }
  if (replicated > 0)
    os << fmt::format("layers: {} of the {} strategies simulated {} of the {} layers and replicated the other {} "
                      "from the step's steady state (exact; --exact-depth simulates every layer)\n",
                      replicated, ran, r.layers - other, r.layers, other);
  if (r.extrapolates_depth())
    os << fmt::format("peak GB: the whole model's {} layers; {} and {} layers were simulated and each rank's peak "
                      "grows by what one layer holds for its backward\n",
                      r.model_layers, r.layers, r.layers + 1);
  std::string padded;
  for (const auto& o : r.outcomes)
    if (!o.skipped && o.padding_tokens > 0)
      padded += fmt::format("{}{} {} ({:.2f}%)", padded.empty() ? "" : ", ", o.strategy, o.padding_tokens,
                            100.0 * static_cast<double>(o.padding_tokens) /
                                static_cast<double>(r.workload.total_tokens() + o.padding_tokens));
  if (!padded.empty())
    os << "padding tokens (each sequence padded to the multiple the strategy shards by; masked, but stored, "
          "sent and run through the dense layers): "
       << padded << "\n";
  if (r.traced && !c.trace.empty()) os << fmt::format("trace of {} written to {}\n", *r.traced, c.trace);
  if (!r.traced_all.empty())
    os << fmt::format("traces of {} strategies written to {}/<strategy>.json\n", r.traced_all.size(), c.trace_dir);
  if (r.traced && !c.timeline.empty()) os << fmt::format("timeline of {} written to {}\n", *r.traced, c.timeline);
  if (!c.json.empty()) os << fmt::format("metrics written to {}\n", c.json);
}

std::string study_json(const StudyResult& r) {
  json j;
  const StudyConfig& c = r.config;
  j["model"] = r.model_name;
  j["layers"] = r.layers;
  j["model_layers"] = r.model_layers;
  j["scope"] = std::string(scope_name(r.scope));
  j["recompute"] = std::string(recompute_name(r.recompute));
  j["workload"] = r.workload.describe();
  j["tokens"] = r.workload.total_tokens();
  j["topology"] = r.topology_name;
  j["network_model"] = c.network;
  if (!r.calibration_note.empty()) j["calibration"] = r.calibration_note;
  json arr = json::array();
  for (const StrategyOutcome& o : r.outcomes) {
    json s;
    s["strategy"] = o.strategy;
    if (o.skipped) {
      s["skipped"] = *o.skipped;
      arr.push_back(s);
      continue;
    }
    const Metrics& m = o.metrics;
    s["ops"] = o.ops;
    if (o.replicated_layers > 0) s["replicated_layers"] = o.replicated_layers;
    s["step_time_s"] = m.step_time_s;
    s["tokens_per_s"] = o.tokens_per_s;
    s["overlap_ratio"] = m.overlap_ratio;
    s["max_link_utilization"] = m.max_link_utilization;
    s["mean_link_utilization"] = m.mean_link_utilization;
    s["static_bytes_per_rank"] = o.static_bytes;
    s["useful_flops_per_rank"] = o.flops_per_rank;
    s["padding_tokens"] = o.padding_tokens;
    s["held_per_layer_bytes"] = o.held_per_layer_bytes;
    json ranks = json::array();
    for (const RankMetrics& rm : m.ranks) {
      json x;
      x["compute_busy_s"] = rm.compute_busy_s;
      x["comm_busy_s"] = rm.comm_busy_s;
      x["exposed_comm_s"] = rm.exposed_comm_s;
      x["overlapped_s"] = rm.overlapped_s;
      x["wait_s"] = rm.wait_s;
      x["peak_activation_bytes"] = rm.peak_activation_bytes;
      x["peak_memory_bytes"] = rm.peak_memory_bytes;
      if (rm.capacity_bytes) x["capacity_bytes"] = *rm.capacity_bytes;
      x["exceeds_capacity"] = rm.exceeds_capacity();
      ranks.push_back(x);
    }
    s["ranks"] = ranks;
    json cp;
    cp["compute_s"] = o.critical.compute_s;
    cp["comm_s"] = o.critical.comm_s;
    cp["idle_s"] = o.critical.idle_s;
    json by = json::object();
    for (const auto& [label, sec] : o.critical.seconds_by_label) by[label] = sec;
    cp["seconds_by_label"] = by;
    s["critical_path"] = cp;
    arr.push_back(s);
  }
  j["strategies"] = arr;
  return j.dump(2) + "\n";
}

}  // namespace spsim
