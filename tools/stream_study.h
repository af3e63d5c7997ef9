#pragma once
// `spsim stream`'s study: simultaneous-translation policies (stream/) for an
// encoder-decoder model on one device, over a set of source sentences; its
// table, JSON, Chrome trace of passes, and its rows in `spsim sweep
// --command stream`.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "costmodel/device_profile.h"
#include "strategies/model.h"
#include "stream/stream_sim.h"
#include "tools/progress.h"
#include "tools/settings.h"

namespace spsim::cli {

struct StreamConfig {
  std::string model = "transformer-base";
  std::string model_file;
  std::string device = "a10";
  std::string device_profile;  // a device profile JSON instead of the preset
  std::string dtype = "bf16";
  std::string kernels = "eager";  // KernelStyle
  std::string policy = "all";
  std::vector<std::uint32_t> src_len{30};  // one sentence of each length ...
  std::string src_lens;                    // ... or a file of lengths (replaces src_len)
  double tgt_ratio = 1.0;
  double rate = 0;  // source tokens per second; 0: all at once
  std::uint32_t k = 3;
  std::uint32_t iterations = 1;
  std::string waitk_encoder = "bi";
  std::string json, trace;
  ProgressMode progress = ProgressMode::kTerminal;
};

// Binds the settings that define the study (not its outputs).
void bind_stream_study_settings(Settings& s, StreamConfig& c);
// The study's config from a config document (a sweep's configuration); InputError naming its keys.
StreamConfig stream_config_from_json(const std::string& text, const std::string& where);

struct StreamStudy {
  ModelSpec model;
  DeviceProfile device;
  std::string dtype;
  KernelStyle kernels = KernelStyle::kEager;
  PolicyOptions options;
  double rate = 0;
  std::vector<std::uint32_t> lengths;  // the sentences, as given
  std::vector<PolicySummary> policies;
  std::size_t passes_simulated = 0;    // distinct passes run through the engine
};

// Runs the study. InputError for bad settings (naming the flag).
StreamStudy run_stream_study(const StreamConfig& c);

// The table (and the ratios between policies) for a person.
void print_stream_study(const StreamStudy& s, std::ostream& out);
// Everything as JSON ({"spsim_stream": 1, ...}).
nlohmann::ordered_json stream_study_json(const StreamStudy& s);
// A Chrome trace: a process per policy, its passes over the first sentence
// on thread "device", source arrivals and shown translations as instant events.
std::string stream_trace_json(const StreamStudy& s);

// The metric columns of a stream sweep's rows (after config and the axes):
// policy, status, the metrics, reason.
std::vector<std::string> stream_sweep_metric_columns();
// A row per policy of the study: `row` holds the configuration's columns.
std::vector<nlohmann::ordered_json> stream_sweep_rows(const nlohmann::ordered_json& row, const StreamStudy& s);

}  // namespace spsim::cli
