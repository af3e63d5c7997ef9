// `spsim calibrate` (fit the cost model to measured files, write a
// calibration profile) and `spsim compare` (predict every point of measured
// files, with or without a profile, and report the errors).
#include <fmt/core.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "costmodel/calibration_profile.h"
#include "costmodel/device_profile.h"
#include "program/input_error.h"
#include "program/memory_limit.h"
#include "tools/cli_common.h"
#include "tools/output_file.h"
#include "tools/run_settings.h"
#include "tools/study.h"
#include "tools/settings.h"
#include "topology/cluster.h"
#include "topology/topology_json.h"
#include "traces/calibrate.h"
#include "traces/measured_points.h"

namespace spsim::cli {
namespace {

struct MeasuredArgs {
  std::vector<std::string> inputs;
  std::string topology, topology_file;
  std::uint32_t nodes = 1;
  std::string device;  // preset key; default the topology's device type
  std::string network = "flow";
  std::string json;
  // calibrate
  std::string fit;
  double fit_fraction = 1;
  std::string out;
  // compare
  std::string calibration;
  bool points = false;
  // compare BASELINE CURRENT (the regression gate)
  std::string tolerance, metrics;
};

Topology measured_topology(const MeasuredArgs& a, const Settings& s) {
  if (!a.topology_file.empty()) return load_topology_file(a.topology_file, default_memory_limit_bytes());
  if (!s.given("topology"))
    throw InputError("--topology", "required: the cluster the measurements ran on (a preset, spsim topo --help; or "
                                   "--topology-file)");
  return make_preset_topology(a.topology, a.nodes, default_memory_limit_bytes());
}

// The preset the kernels ran on: --device, else the topology's device type.
const DeviceProfile& measured_device(const MeasuredArgs& a, const std::string& key) {
  try {
    return device_profile_preset(key);
  } catch (const InputError& e) {
    if (a.device.empty()) throw;
    throw InputError("--device", e.expected());
  }
}

// The Program a Timeline file's study lowers to (its op ids are the file's).
std::shared_ptr<const Program> timeline_program(const TimelineFile& t, const std::string& path) {
  const StudyConfig c = study_config_from_json(t.study.dump(), path + ": key 'study'");
  return std::make_shared<const Program>(lower_study_program(c, setup_study(c), path + ": key 'study'"));
}

std::vector<MeasuredFile> read_inputs(const std::vector<std::string>& paths) {
  std::vector<MeasuredFile> files;
  for (const auto& p : paths) {
    MeasuredFile f = read_measured_file(p);
    if (f.timeline) f.points = timeline_points(*f.timeline, timeline_program(*f.timeline, p), f.points.file);
    files.push_back(std::move(f));
  }
  return files;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::string pct(double x) { return fmt::format("{:.1f}%", 100 * x); }

void print_inputs(const std::vector<MeasuredFile>& files) {
  for (const auto& f : files) {
    std::string devices;
    for (const auto& d : f.points.device_names) devices += (devices.empty() ? "" : ", ") + d;
    fmt::print("  {}  {}: {} points{}\n", f.points.file, f.format, f.points.points.size(),
               devices.empty() ? "" : "  devices: " + devices);
  }
}

int run_calibrate(const MeasuredArgs& a, const Settings& s) {
  if (a.out.empty()) throw InputError("--out", "required: the calibration profile to write");
  const Topology topo = measured_topology(a, s);
  const std::string device_key = a.device.empty() ? topo.device_type(0) : a.device;
  const DeviceProfile& device = measured_device(a, device_key);
  const auto files = read_inputs(a.inputs);
  std::vector<PointSet> sets;
  for (const auto& f : files) sets.push_back(f.points);
  CalibrationBase base{topo, topo.link_params() ? *topo.link_params() : LinkCalibration{}, device, device_key};
  CalibrateOptions opt;
  opt.groups = split_list(a.fit);
  opt.fraction = a.fit_fraction;
  opt.network = a.network;
  CalibrationOutcome outcome = calibrate(sets, base, opt);
  CalibrationProfile& prof = outcome.profile;
  prof.created = creation_date();
  prof.spsim_version = SPSIM_VERSION;
  prof.topology = topo.name();
  if (prof.device) {
    std::string from;
    for (const auto& i : prof.inputs) from += (from.empty() ? "" : ", ") + i.file;
    prof.device->source += "; calibrated by spsim calibrate on " + prof.created + " from " + from;
  }

  fmt::print("calibrate: {} on {} (device {}), network model {}\n", a.inputs.size() == 1 ? "1 file" : fmt::format("{} files", a.inputs.size()),
             topo.name(), device_key, a.network);
  print_inputs(files);
  fmt::print("fitted ({} of each group{}):\n", a.fit_fraction == 1 ? "all" : fmt::format("the first {}", pct(a.fit_fraction)),
             a.fit.empty() ? "" : "; groups " + a.fit);
  for (const auto& i : prof.inputs) {
    std::string g;
    for (const auto& x : i.groups) g += (g.empty() ? "" : ", ") + x;
    fmt::print("  {}: {} points of {}\n", i.file, i.points, g);
  }
  fmt::print("{:<64} {:>6}  {:>22}  {:>22}  {}\n", "quantity", "points", "before: median/p90/max", "after: median/p90/max",
             "fitted");
  for (const auto& r : outcome.reports)
    fmt::print("{:<64} {:>6}  {:>22}  {:>22}  {}\n", r.after.quantity, r.after.points,
               fmt::format("{} {} {}", pct(r.before_median_rel_error), pct(r.before_p90_rel_error), pct(r.before_max_rel_error)),
               fmt::format("{} {} {}", pct(r.after.median_rel_error), pct(r.after.p90_rel_error), pct(r.after.max_rel_error)),
               r.after.value);
  for (const auto& n : prof.not_fitted) fmt::print("not fitted: {}\n", n);
  std::ostringstream text;
  save_calibration_profile(prof, text);
  write_output_file("--out", a.out, text.str());
  fmt::print("profile written to {}\n", a.out);
  if (!a.json.empty()) {
    nlohmann::ordered_json j;
    j["profile"] = a.out;
    j["fits"] = nlohmann::ordered_json::array();
    for (const auto& r : outcome.reports)
      j["fits"].push_back({{"quantity", r.after.quantity},
                           {"value", r.after.value},
                           {"points", r.after.points},
                           {"before", {{"median", r.before_median_rel_error}, {"p90", r.before_p90_rel_error}, {"max", r.before_max_rel_error}}},
                           {"after", {{"median", r.after.median_rel_error}, {"p90", r.after.p90_rel_error}, {"max", r.after.max_rel_error}}}});
    j["not_fitted"] = prof.not_fitted;
    write_output_file("--json", a.json, j.dump(2) + "\n");
  }
  return kExitOk;
}

struct PredictedPoint {
  const MeasuredPoint* point;
  double predicted_s;
  bool fitted;
};

int run_compare(const MeasuredArgs& a, const Settings& s) {
  const Topology topo = measured_topology(a, s);
  const std::string device_key = a.device.empty() ? topo.device_type(0) : a.device;
  std::optional<CalibrationProfile> cal;
  if (!a.calibration.empty()) cal = load_calibration_profile(a.calibration);
  LinkCalibration links = topo.link_params() ? *topo.link_params() : LinkCalibration{};
  if (cal) links.merge(cal->links);
  const DeviceProfile device =
      (cal && cal->device && cal->device_type == device_key) ? *cal->device : measured_device(a, device_key);
  const LinkModel link_model(links);
  const ModelContext ctx{topo, link_model, a.network, device};
  const auto files = read_inputs(a.inputs);

  std::vector<PredictedPoint> predicted;
  for (const auto& f : files) {
    std::map<std::string, std::size_t> sizes;
    for (const auto& p : f.points.points) ++sizes[p.group];
    for (const auto& p : f.points.points)
      predicted.push_back({&p, predict_point(p, ctx).seconds, cal && point_was_fitted(p, sizes[p.group], *cal)});
  }

  fmt::print("compare: {} on {} (device {}), network model {}\n",
             a.inputs.size() == 1 ? "1 file" : fmt::format("{} files", a.inputs.size()), topo.name(), device_key, a.network);
  fmt::print("calibration: {}\n", cal ? calibration_summary(*cal, a.calibration) : "none (spsim's built-in parameters)");
  print_inputs(files);
  // Summary per (file, group, fitted): the fitted points show the fit, the others are out of sample.
  struct Key {
    std::string file, group;
    bool fitted;
    bool operator<(const Key& o) const { return std::tie(file, group, fitted) < std::tie(o.file, o.group, o.fitted); }
  };
  std::map<Key, std::vector<double>> errors;
  std::vector<Key> order;
  for (const auto& p : predicted) {
    const Key k{p.point->file, p.point->group, p.fitted};
    if (!errors.count(k)) order.push_back(k);
    errors[k].push_back(std::abs(p.predicted_s - p.point->measured_s) / p.point->measured_s);
  }
  fmt::print("{:<56} {:<18} {:<12} {:>6} {:>8} {:>8} {:>8}\n", "file", "group", "points", "n", "median", "p90", "max");
  nlohmann::ordered_json jgroups = nlohmann::ordered_json::array();
  for (const auto& k : order) {
    const ErrorStats st = error_stats(errors[k]);
    fmt::print("{:<56} {:<18} {:<12} {:>6} {:>8} {:>8} {:>8}\n", k.file, k.group, k.fitted ? "fitted" : "out of sample",
               st.n, pct(st.median), pct(st.p90), pct(st.max));
    jgroups.push_back({{"file", k.file}, {"group", k.group}, {"fitted", k.fitted}, {"points", st.n},
                       {"median_rel_error", st.median}, {"p90_rel_error", st.p90}, {"max_rel_error", st.max}});
  }
  // The step of each Timeline file: its study simulated again (with the
  // calibration given), against the measured median step.
  nlohmann::ordered_json jsteps = nlohmann::ordered_json::array();
  for (const auto& f : files) {
    if (!f.timeline || !f.timeline->step_ns) continue;
    StudyConfig c = study_config_from_json(f.timeline->study.dump(), f.path + ": key 'study'");
    if (!a.calibration.empty()) c.calibration = a.calibration;
    const double predicted_step = run_study(c).outcomes.at(0).metrics.step_time_s;
    const double measured_step = static_cast<double>(*f.timeline->step_ns) * 1e-9;
    const double err = std::abs(predicted_step - measured_step) / measured_step;
    fmt::print("{:<56} {:<18} {:<12} measured {:.3f} ms, predicted {:.3f} ms: {} ({} {}, {})\n", f.points.file, "step",
               "whole run", measured_step * 1e3, predicted_step * 1e3, pct(err), f.timeline->source, f.timeline->mode,
               f.timeline->device_type);
    jsteps.push_back({{"file", f.points.file}, {"measured_s", measured_step}, {"predicted_s", predicted_step},
                      {"rel_error", err}, {"mode", f.timeline->mode}});
  }
  nlohmann::ordered_json jskipped = nlohmann::ordered_json::object();
  for (const auto& f : files) {
    for (const auto& [why, n] : f.points.skipped) fmt::print("  {}: not predicted: {} {}\n", f.points.file, n, why);
    if (f.trace && !f.trace->unclassified.empty()) {
      std::size_t n = 0;
      for (const auto& [name, c] : f.trace->unclassified) n += c;
      fmt::print("  {}: {} kernels of {} names not classified (listed in --json)\n", f.points.file, n,
                 f.trace->unclassified.size());
    }
    nlohmann::ordered_json js = nlohmann::ordered_json::object();
    for (const auto& [why, n] : f.points.skipped) js[why] = n;
    nlohmann::ordered_json ju = nlohmann::ordered_json::object();
    if (f.trace)
      for (const auto& [name, c] : f.trace->unclassified) ju[name] = c;
    jskipped[f.points.file] = {{"not_predicted", js}, {"unclassified_kernels", ju}};
  }
  if (a.points) {
    fmt::print("{:<56} {:<52} {:>12} {:>12} {:>8}  {}\n", "file", "point", "measured µs", "predicted µs", "error", "");
    for (const auto& p : predicted)
      fmt::print("{:<56} {:<52} {:>12.2f} {:>12.2f} {:>8}  {}\n", p.point->file, p.point->label, p.point->measured_s * 1e6,
                 p.predicted_s * 1e6, pct((p.predicted_s - p.point->measured_s) / p.point->measured_s),
                 p.fitted ? "fitted" : "");
  }
  if (!a.json.empty()) {
    nlohmann::ordered_json j;
    j["calibration"] = cal ? nlohmann::ordered_json(a.calibration) : nlohmann::ordered_json(nullptr);
    j["topology"] = topo.name();
    j["device"] = device_key;
    j["network_model"] = a.network;
    j["groups"] = jgroups;
    j["steps"] = jsteps;
    j["points"] = nlohmann::ordered_json::array();
    for (const auto& p : predicted)
      j["points"].push_back({{"file", p.point->file},
                             {"group", p.point->group},
                             {"index", p.point->index},
                             {"label", p.point->label},
                             {"measured_s", p.point->measured_s},
                             {"predicted_s", p.predicted_s},
                             {"relative_error", (p.predicted_s - p.point->measured_s) / p.point->measured_s},
                             {"fitted", p.fitted}});
    j["files"] = jskipped;
    write_output_file("--json", a.json, j.dump(2) + "\n");
    fmt::print("results written to {}\n", a.json);
  }
  return kExitOk;
}

void bind_common(Settings& s, MeasuredArgs& a) {
  s.bind("topology", a.topology).bind("topology-file", a.topology_file).bind("nodes", a.nodes);
  s.bind("device", a.device).bind("network", a.network).bind("json", a.json);
}

}  // namespace

CommandAction add_calibrate_command(CLI::App& app) {
  auto a = std::make_shared<MeasuredArgs>();
  auto* cmd = app.add_subcommand("calibrate", "Fit the cost model to measured runs (nccl-tests output, Kineto traces) "
                                              "and write a calibration profile");
  cmd->add_option("inputs", a->inputs, "measured files: nccl-tests output (text or -J JSON), Kineto traces (.json, .json.gz)")
      ->required();
  auto s = std::make_shared<Settings>(*cmd, "calibrate");
  bind_common(*s, *a);
  s->bind("fit", a->fit).bind("fit-fraction", a->fit_fraction).bind("out", a->out);
  return [a, s]() {
    s->apply();
    return run_calibrate(*a, *s);
  };
}

CommandAction add_compare_command(CLI::App& app) {
  auto a = std::make_shared<MeasuredArgs>();
  auto* cmd = app.add_subcommand(
      "compare",
      "Predict every point of measured runs and report predicted vs measured; or, given two outputs of spsim's studies "
      "(BASELINE CURRENT: run --json, sweep --jsonl/--csv, plan --json), gate on regressions (exit 1)");
  cmd->add_option("inputs", a->inputs,
                  "measured files: nccl-tests output (text or -J JSON), Kineto traces (.json, .json.gz), Timeline "
                  "files; or BASELINE CURRENT study outputs")
      ->required();
  auto s = std::make_shared<Settings>(*cmd, "compare");
  bind_common(*s, *a);
  s->bind("calibration", a->calibration).bind("points", a->points);
  s->bind("tolerance", a->tolerance).bind("metrics", a->metrics);
  return [a, s]() {
    s->apply();
    if (const auto gate = run_compare_gate(a->inputs, *s, a->tolerance, a->metrics, a->json)) return *gate;
    return run_compare(*a, *s);
  };
}

}  // namespace spsim::cli
