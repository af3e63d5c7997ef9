#include "tools/run_settings.h"

namespace spsim::cli {

void bind_study_settings(Settings& s, StudyConfig& c) {
  s.bind("model", c.model).bind("model-file", c.model_file).bind("seq", c.seq).bind("batch", c.batch);
  s.bind("seqlens", c.seqlens).bind("strategy", c.strategy).bind("sp", c.sp).bind("topology", c.topology);
  s.bind("topology-file", c.topology_file).bind("nodes", c.nodes).bind("pass", c.pass).bind("layers", c.layers);
  s.bind("scope", c.scope).bind("recompute", c.recompute).bind("loss-chunks", c.loss_chunks);
  s.bind("dtype", c.dtype).bind("ulysses-degree", c.ulysses_degree).bind("window", c.window);
  s.bind("ring-bwd", c.ring_bwd);
}

void bind_run_settings(Settings& s, StudyConfig& c, double& memory_limit_gb) {
  bind_study_settings(s, c);
  s.bind("network", c.network).bind("zero-stage", c.zero_stage).bind("exact-depth", c.exact_depth);
  s.bind("device-profile", c.device_profile).bind("link-params", c.link_params);
  s.bind("calibration", c.calibration);
  s.bind("memory-limit", memory_limit_gb).bind("json", c.json).bind("trace", c.trace).bind("timeline", c.timeline);
  s.bind("trace-dir", c.trace_dir);
  s.bind("trace-ranks", c.trace_ranks).bind("trace-layers", c.trace_layers);
}

StudyConfig study_config_from_json(const std::string& text, const std::string& where) {
  CLI::App app{"study"};
  CLI::App* cmd = app.add_subcommand("run", "");
  StudyConfig c;
  double memory_limit_gb = c.memory_limit_bytes / 1e9;
  Settings settings(*cmd, "run");
  bind_run_settings(settings, c, memory_limit_gb);
  settings.apply_config_text(text, where);
  settings.check_used_by(c.strategy);
  c.memory_limit_bytes = memory_limit_gb * 1e9;
  return c;
}

}  // namespace spsim::cli
