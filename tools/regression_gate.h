#pragma once
// The CI regression gate: `spsim compare BASELINE CURRENT` on two outputs of
// spsim's studies — `run --json`, `sweep --jsonl` / `--csv`, `plan --json` —
// of the same configurations. Each configuration's metrics are compared;
// a metric regresses when it moved the wrong way by more than its tolerance
// (relative to the baseline), and a configuration regresses when it ran in
// the baseline and no longer does. Two outputs of different studies, or of
// different configurations, are bad input (named), never compared; the cost
// model's parameters (--device-profile, --link-params, --calibration) are
// not part of a study's identity: predictions made with other parameters are
// what a gate compares.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace spsim::cli {

// One configuration of a study output: a run's strategy, a sweep's row, a
// plan or one of its baselines.
struct GateRecord {
  std::string key;            // "ring"; "config 3 (seq=8192, sp=4) ring"; "plan"
  std::string status = "ok";  // "ok", or why it has no metrics ("skipped", "error")
  std::string reason;
  std::map<std::string, double> metrics;
};

struct GateInput {
  std::string kind;      // "run", "sweep", "plan"
  std::string study;     // what both sides must share: "llama3-8b B=1 S=16384 ... on h100-sxm8"
  std::vector<GateRecord> records;
};

// The study output in `text` (of the file `path`), or nullopt when it is not
// one (a measured file: nccl-tests, Kineto, Timeline). InputError for an
// output of spsim that is malformed.
std::optional<GateInput> read_gate_input(const std::string& text, const std::string& path);

// A metric the gate knows, and which way is better.
struct GateMetric {
  const char* name;
  bool lower_is_better;
  const char* meaning;
};
const GateMetric* find_gate_metric(const std::string& name);
// The metrics compared when --metrics is not given.
std::vector<std::string> default_gate_metrics();

struct GateOptions {
  double tolerance = 0.02;                  // relative, for every metric ...
  std::map<std::string, double> per_metric; // ... but these
  std::vector<std::string> metrics;         // empty: default_gate_metrics()
};
// --tolerance: "2%" (every metric) or "step_time_s=1%,peak_memory_gb=0.5%"
// or both ("2%,step_time_s=1%"). InputError(where, ...) otherwise.
void parse_gate_tolerance(const std::string& text, const std::string& where, GateOptions& options);
// --metrics: comma-separated names of known metrics.
std::vector<std::string> parse_gate_metrics(const std::string& text, const std::string& where);

enum class GateVerdict { kWithin, kImproved, kRegressed };

struct GateDelta {
  std::string key, metric;
  double baseline = 0, current = 0;
  double change = 0;  // (current - baseline) / |baseline|; +-inf from a zero baseline
  double tolerance = 0;
  GateVerdict verdict = GateVerdict::kWithin;
};

struct GateReport {
  std::string study, kind;
  std::vector<GateDelta> deltas;                 // per record and metric, in the baseline's order
  std::vector<std::string> lost, recovered;     // ran in the baseline only / in the current only: "key: reason"
  std::size_t records = 0, regressed = 0, improved = 0;
  bool passed() const { return regressed == 0 && lost.empty(); }
};

// InputError naming the files when they are not outputs of one study with
// the same configurations (each key once), or a metric is in neither.
GateReport compare_gate_inputs(const GateInput& baseline, const std::string& baseline_path, const GateInput& current,
                               const std::string& current_path, const GateOptions& options);

// The readable table; the JSON (--json).
std::string gate_report_text(const GateReport& report, const std::string& baseline_path,
                             const std::string& current_path, const GateOptions& options);
std::string gate_report_json(const GateReport& report, const GateOptions& options);

}  // namespace spsim::cli
