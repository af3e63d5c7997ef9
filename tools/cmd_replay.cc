// `spsim replay`: run a strategy's Program on real GPUs (validate/replay.h)
// with the workload, model and strategy flags of `spsim run`; print per-op
// and step figures; write the measured Timeline (--timeline), a Chrome trace
// of the measured run (--trace) and a JSON summary (--json). With --check,
// the strategy's attention layer is also replayed on the dense reference's
// inputs and its numerical errors are reported (exit 1 past the tolerance).
#include <fmt/core.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "costmodel/device_profile.h"
#include "program/input_error.h"
#include "program/program_check.h"
#include "sim/model_costs.h"
#include "strategies/lower_attention.h"
#include "tools/cli_common.h"
#include "tools/output_file.h"
#include "tools/run_settings.h"
#include "tools/settings.h"
#include "tools/study.h"
#include "traces/chrome_trace.h"
#include "traces/timeline_file.h"
#include "validate/replay.h"
#include "validate/verify.h"

namespace spsim::cli {
namespace {

struct ReplayArgs {
  StudyConfig study;
  double memory_limit_gb = default_memory_limit_bytes() / 1e9;
  std::string mode = "emulated";
  std::uint32_t warmup = 2, repeats = 5, first_gpu = 0;
  std::int64_t input_seed = 1;
  bool check = false;
  std::string timeline, trace, json;
};

std::string duration(double s) {
  if (s >= 1) return fmt::format("{:.3f} s", s);
  if (s >= 1e-3) return fmt::format("{:.3f} ms", s * 1e3);
  return fmt::format("{:.1f} us", s * 1e6);
}

int run_replay(ReplayArgs& a) {
  StudyConfig& c = a.study;
  c.memory_limit_bytes = a.memory_limit_gb * 1e9;
  if (c.strategy == "all") throw InputError("--strategy", "replay runs one strategy: name it (spsim list strategies)");
  const std::optional<ReplayMode> mode = parse_replay_mode(a.mode);
  if (!mode) throw InputError("--mode", "expected multi-gpu, emulated or kernels, got '" + a.mode + "'");
  if (*mode == ReplayMode::kKernels && !a.trace.empty())
    throw InputError("--trace", "kernels mode times each op alone: there is no run to trace (use --timeline)");
  if (*mode == ReplayMode::kKernels && a.check)
    throw InputError("--check", "kernels mode runs no whole Program; check numerics with --mode emulated or multi-gpu");
  const StudySetup setup = setup_study(c);
  const Strategy& strategy = *setup.chosen.front();
  const Program program = lower_study_program(c, setup, "--strategy " + c.strategy);
  const CommMatching matching = check_program(program);
  if (const auto why = replay_unavailable_reason())
    throw InputError("--mode " + a.mode, "cannot replay on this machine: " + *why);

  ReplayOptions opt;
  opt.mode = *mode;
  opt.warmup = a.warmup;
  opt.repeats = a.repeats;
  opt.first_gpu = a.first_gpu;
  opt.seed = static_cast<std::uint64_t>(a.input_seed);
  const ReplayResult r = replay_program(program, matching, opt);

  const std::string title = fmt::format("{} {} {} P={}", strategy.name(), setup.model.name,
                                        setup.workload.describe(), setup.sp);
  fmt::print("replay of {}: {} ops, mode {} on {}, {} warm-up + {} timed runs\n", title, program.num_ops(),
             replay_mode_name(r.mode), r.device_type, a.warmup, r.repeats);
  if (r.step_s) fmt::print("step {} (median of {} runs)\n", duration(*r.step_s), r.repeats);
  // Per kind: ops, their summed time, the median op.
  std::map<std::string, std::vector<double>> by_kind;
  std::map<std::string, std::string> kernel_of;
  for (const ReplayedOp& o : r.ops) {
    // By kind; collectives by their name.
    const OpKind kind = program.op(o.op).kind;
    const std::string k = kind == OpKind::kCollective ? program.op_label(o.op) : std::string(op_kind_name(kind));
    for (std::uint32_t i = 0; i < o.shares; ++i) by_kind[k].push_back(o.end_s - o.start_s);
    kernel_of[k] = o.kernel;
  }
  fmt::print("{:<16} {:>8} {:>12} {:>12}  {}\n", "op", "count", "total", "median", "kernel");
  for (auto& [k, v] : by_kind) {
    double total = 0;
    for (double x : v) total += x;
    std::sort(v.begin(), v.end());
    fmt::print("{:<16} {:>8} {:>12} {:>12}  {}\n", k, v.size(), duration(total), duration(v[v.size() / 2]),
               kernel_of[k]);
  }

  nlohmann::ordered_json summary;
  summary["mode"] = std::string(replay_mode_name(r.mode));
  summary["gpu"] = r.device_type;
  summary["title"] = title;
  summary["step_s"] = r.step_s ? nlohmann::ordered_json(*r.step_s) : nlohmann::ordered_json(nullptr);
  summary["repeats"] = r.repeats;
  int rc = kExitOk;
  if (a.check) {
    // The attention layer alone, on the dense reference's inputs.
    const Program layer = lower_attention(strategy, setup.workload, setup.options(c));
    const double tol = replay_tolerance(setup.workload.dtype);
    ReplayOptions copt = opt;
    const ProgramRunner on_gpu = [&](const Program& p, const CommMatching& m, const std::map<Tensor, GlobalTensor>& in) {
      copt.inputs = &in;
      return replay_program(p, m, copt).outputs;
    };
    const double need = verify_memory_bytes(layer, setup.workload, strategy.attention_kind(setup.options(c)));
    if (need > c.memory_limit_bytes)
      throw InputError("--check", fmt::format("the dense reference needs {:.3g} GB of host memory, more than "
                                              "--memory-limit {:.3g} GB; lower --seq",
                                              need / 1e9, c.memory_limit_bytes / 1e9));
    const VerifyReport v = verify_program(layer, setup.workload, VerifyOptions{opt.seed, tol},
                                          strategy.attention_kind(setup.options(c)), on_gpu);
    std::string line;
    for (const auto& t : v.checks) line += fmt::format("  {} {:.2e}", tensor_name(t.tensor), t.max_rel_error);
    fmt::print("numerics ({}, tolerance {:.0e}):{}  {}\n", dtype_name(setup.workload.dtype), tol, line,
               v.passed ? "passed" : "FAILED");
    nlohmann::ordered_json checks = nlohmann::ordered_json::object();
    for (const auto& t : v.checks) checks[std::string(tensor_name(t.tensor))] = t.max_rel_error;
    summary["numerics"] = {{"tolerance", tol}, {"max_rel_error", checks}, {"passed", v.passed}};
    if (!v.passed) rc = kExitCheckFailed;
  }

  // Bytes and FLOPs of each op as the cost model counts them.
  const ModelCosts costs(program, setup.topology, {});
  const std::vector<double> flops = costs.op_flops(), bytes = costs.op_bytes();
  TimelineFile t;
  t.source = "measured";
  t.mode = std::string(replay_mode_name(r.mode));
  t.spsim_version = SPSIM_VERSION;
  t.created = creation_date();
  t.study = nlohmann::json::parse(study_config_json(c, strategy.name()).dump());
  t.strategy = std::string(strategy.name());
  t.title = title;
  t.devices = r.gpu_names;
  t.device_type = r.device_type;
  t.network_model = r.mode == ReplayMode::kMultiGpu ? "nccl" : r.mode == ReplayMode::kEmulated ? "device-copies" : "none";
  if (r.step_s) t.step_ns = std::llround(*r.step_s * 1e9);
  t.repeats = r.repeats;
  for (const ReplayedOp& o : r.ops)
    t.ops.push_back(timeline_record(program, o.op, o.start_s, o.end_s, bytes[idx(o.op)], flops[idx(o.op)], o.kernel));
  if (!a.timeline.empty()) {
    std::ostringstream text;
    write_timeline_file(t, text);
    write_output_file("--timeline", a.timeline, text.str());
    fmt::print("measured timeline written to {}\n", a.timeline);
  }
  if (!a.trace.empty()) {
    Timeline tl;
    tl.ops.resize(program.num_ops());
    for (const ReplayedOp& o : r.ops) tl.ops[idx(o.op)] = {o.start_s, o.start_s, o.end_s};
    for (RankId rk = 0; rk < program.num_ranks(); ++rk) tl.placement.push_back(static_cast<DeviceId>(rk));
    tl.network_model = t.network_model;
    tl.makespan_s = r.step_s.value_or(0);
    TraceOptions topt;
    topt.link_counters = false;
    topt.memory_counters = false;
    std::ostringstream text;
    write_chrome_trace(TraceInput{program, matching, tl, setup.topology, flops, {}, "measured: " + title, {}}, topt, text);
    write_output_file("--trace", a.trace, text.str());
    fmt::print("trace of the measured run written to {}\n", a.trace);
  }
  if (!a.json.empty()) write_output_file("--json", a.json, summary.dump(2) + "\n");
  return rc;
}

}  // namespace

CommandAction add_replay_command(CLI::App& app) {
  auto a = std::make_shared<ReplayArgs>();
  a->study.strategy = "ring";
  auto* cmd = app.add_subcommand(
      "replay",
      "Run a strategy's Program on real GPUs (CUDA + NCCL) and measure it op by op. Modes: multi-gpu (rank r on GPU "
      "first-gpu+r, NCCL), emulated (every rank on one GPU, communication as device copies: numerics, times not a "
      "cluster's), kernels (each distinct compute op timed alone on one GPU: a measured op table). Writes the "
      "measured Timeline that spsim calibrate and compare read.");
  auto s = std::make_shared<Settings>(*cmd, "replay");
  StudyConfig& c = a->study;
  bind_study_settings(*s, c);
  s->bind("memory-limit", a->memory_limit_gb);
  s->bind("mode", a->mode).bind("warmup", a->warmup).bind("repeats", a->repeats).bind("first-gpu", a->first_gpu);
  s->bind("input-seed", a->input_seed).bind("check", a->check);
  s->bind("timeline", a->timeline).bind("trace", a->trace).bind("json", a->json);
  return [a, s]() {
    try {
      s->apply();
      s->check_used_by(a->study.strategy);
      return run_replay(*a);
    } catch (const InputError& e) {
      throw s->relocate(e);
    }
  };
}

}  // namespace spsim::cli
