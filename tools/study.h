#pragma once
// A what-if study: one model, one workload, one cluster, one or all
// strategies — each lowered to a whole-model Program, simulated, measured.
// What `spsim run` prints and writes; also usable from tests and other tools.

#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "costmodel/memory_model.h"
#include "program/memory_limit.h"
#include "sim/critical_path.h"
#include "sim/metrics.h"
#include "program/program.h"
#include "sim/timeline.h"
#include "strategies/model.h"
#include "strategies/model_program.h"
#include "strategies/strategy.h"
#include "strategies/workload.h"
#include "topology/topology.h"
#include "tools/progress.h"

namespace spsim {

struct StudyConfig {
  std::string model = "llama3-8b";
  std::string model_file;                  // a model JSON file (strategies/model_json.h) instead of a preset
  std::int64_t seq = 131072;               // sequence length (with batch) ...
  std::uint32_t batch = 1;
  std::vector<std::int64_t> seqlens;       // ... or packed lengths (overrides seq/batch)
  std::string strategy = "all";            // a name, or "all"
  std::optional<std::uint32_t> sp;         // default: every device of the topology
  std::string topology = "h100-sxm8";      // a preset name ...
  std::string topology_file;               // ... or a JSON topology (overrides topology/nodes)
  std::uint32_t nodes = 1;
  std::string pass = "fwd+bwd";
  std::optional<std::uint32_t> layers;     // default: all of the model's layers
  std::string scope = "model";             // "model" or "attention" (the attention layers alone)
  std::string recompute = "none";          // none, selective or full (strategies/model_program.h)
  std::uint32_t loss_chunks = 1;           // chunks of the output head and loss (ModelStep::loss_chunks)
  std::string network = "flow";
  std::string dtype = "bf16";
  std::optional<std::uint32_t> ulysses_degree;
  std::optional<std::uint32_t> window;
  std::string ring_bwd = "ring-flash-attn";  // the ring family's backward (RingBackward)
  std::uint32_t zero_stage = 3;            // weights/grads/optimizer sharded over the SP ranks (ZeRO-3)
  std::string device_profile;              // a JSON profile for the topology's device type (calibrated)
  std::string link_params;                 // a JSON file of link-class parameters (topology/link_params.h)
  std::string calibration;                 // a calibration profile (spsim calibrate; costmodel/calibration_profile.h)
  std::string json;                        // write metrics here
  std::string trace;                       // write a Chrome trace here
  std::string trace_dir;                   // write every strategy's Chrome trace here, as <strategy>.json
  std::string timeline;                    // write the Timeline file here (traces/timeline_file.h)
  std::vector<std::uint32_t> trace_ranks;  // limit the trace (empty: all)
  std::vector<std::uint32_t> trace_layers;
  // Refuse a strategy whose program and simulation would need more host
  // memory than this (program/memory_limit.h).
  double memory_limit_bytes = default_memory_limit_bytes();
  // Progress on stderr, strategy by strategy, and a line before a long simulation.
  ProgressMode progress = ProgressMode::kTerminal;
  // A strategy that refuses the study (or its memory limit) is an outcome,
  // skipped with the reason, even when it is the only one chosen (a sweep's
  // rows); otherwise a study no strategy can run is an InputError.
  bool keep_refusals = false;
  // Simulate every layer, not k and k+1 with the rest replicated from their
  // steady state (sim/depth_replication.h).
  bool exact_depth = false;
};

struct StrategyOutcome {
  std::string strategy;
  std::optional<std::string> skipped;  // why the strategy cannot run this study
  std::size_t ops = 0;
  Metrics metrics;
  CriticalPath critical;
  double tokens_per_s = 0;
  double static_bytes = 0;   // per rank: weights + gradients + optimizer
  double flops_per_rank = 0; // useful FLOPs (mean over ranks)
  std::int64_t padding_tokens = 0;  // tokens added padding each sequence to the strategy's multiple
  double held_per_layer_bytes = 0;  // max over ranks: what one more layer adds to the peak (with --layers)
  std::uint32_t replicated_layers = 0;  // layers replicated from the steady state, not simulated
};

// What the table of `spsim run` and a sweep's row say of one strategy.
struct OutcomeSummary {
  double compute_share = 0;      // mean over ranks of compute busy time / step time
  double exposed_comm_s = 0;     // max over ranks of communication not hidden by compute
  double peak_memory_bytes = 0;  // max over ranks
  bool exceeds_capacity = false; // some rank's peak exceeds its device's memory
  std::string critical_top;      // the two labels that take most of the critical path: "attn_bwd 45%, dense_bwd 26%"
};
OutcomeSummary summarize_outcome(const StrategyOutcome& outcome);

struct StudyResult {
  StudyConfig config;
  std::string model_name;
  Scope scope = Scope::kModel;
  Recompute recompute = Recompute::kNone;
  Workload workload;
  std::uint32_t sp = 0;
  std::uint32_t layers = 0, model_layers = 0;
  std::string topology_name;
  std::vector<StrategyOutcome> outcomes;
  std::optional<std::string> traced;  // the strategy whose trace / timeline was written
  std::vector<std::string> traced_all;  // the strategies traced to --trace-dir
  std::string calibration_note;       // which calibration is in force ("" for none)

  // True when fewer layers than the model's were simulated, so the peak
  // memory is extrapolated to the whole depth (run_study).
  bool extrapolates_depth() const { return layers < model_layers && scope == Scope::kModel; }
};

// A study's settings resolved and checked: the model, the workload, the
// cluster, the SP degree, the depth and the strategies chosen. What `spsim
// run` simulates and `spsim replay` runs on GPUs.
struct StudySetup {
  ModelSpec model;
  Topology topology;
  Workload workload;
  std::uint32_t sp = 0, layers = 0;
  Scope scope = Scope::kModel;
  Recompute recompute = Recompute::kNone;
  RingBackward ring_bwd = RingBackward::kRingFlashAttn;
  std::vector<const Strategy*> chosen;

  // The options and the step of every chosen strategy.
  StrategyOptions options(const StudyConfig& config) const;
  ModelStep step(const StudyConfig& config) const;
};

// Throws InputError naming the setting that is wrong.
StudySetup setup_study(const StudyConfig& config);

// The Program of the setup's first chosen strategy (replay and Timeline files
// name one); InputError(where, why) when the strategy refuses the step.
Program lower_study_program(const StudyConfig& config, const StudySetup& setup, const std::string& where);

// Runs the study; throws InputError for bad configuration. Writes the JSON and
// trace files the config names.
StudyResult run_study(const StudyConfig& config);

// The settings that define the study (every one but the output files), as
// the keys of a --config file, for `strategy` (settings other strategies use
// are left out): what a Timeline file records as its "study".
nlohmann::ordered_json study_config_json(const StudyConfig& config, std::string_view strategy);

// The readable table `spsim run` prints.
void print_study(const StudyResult& result, std::ostream& out);

// The metrics as JSON (what --json writes).
std::string study_json(const StudyResult& result);

}  // namespace spsim
