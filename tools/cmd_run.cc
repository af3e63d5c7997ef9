// `spsim run`: a what-if study — predict step time, overlap, bottlenecks and
// memory of one or all strategies for a model, workload and cluster.
#include <iostream>

#include "program/input_error.h"
#include "tools/cli_common.h"
#include "tools/settings.h"
#include "tools/study.h"

namespace spsim::cli {

CommandAction add_run_command(CLI::App& app) {
  auto c = std::make_shared<StudyConfig>();
  auto memory_limit_gb = std::make_shared<double>(c->memory_limit_bytes / 1e9);
  auto* cmd = app.add_subcommand("run", "Simulate a model step with one or all SP strategies on a cluster");
  auto s = std::make_shared<Settings>(*cmd, "run");
  s->bind("model", c->model).bind("model-file", c->model_file).bind("seq", c->seq).bind("batch", c->batch);
  s->bind("seqlens", c->seqlens).bind("strategy", c->strategy).bind("sp", c->sp).bind("topology", c->topology);
  s->bind("topology-file", c->topology_file).bind("nodes", c->nodes).bind("pass", c->pass).bind("layers", c->layers);
  s->bind("scope", c->scope).bind("recompute", c->recompute).bind("loss-chunks", c->loss_chunks);
  s->bind("network", c->network).bind("dtype", c->dtype).bind("ulysses-degree", c->ulysses_degree);
  s->bind("window", c->window).bind("ring-bwd", c->ring_bwd).bind("zero-stage", c->zero_stage);
  s->bind("device-profile", c->device_profile).bind("link-params", c->link_params);
  s->bind("memory-limit", *memory_limit_gb).bind("json", c->json).bind("trace", c->trace);
  s->bind("trace-ranks", c->trace_ranks).bind("trace-layers", c->trace_layers);
  return [c, s, memory_limit_gb]() {
    try {
      s->apply();
      s->check_used_by(c->strategy);
      c->memory_limit_bytes = *memory_limit_gb * 1e9;
      const StudyResult r = run_study(*c);
      print_study(r, std::cout);
      return kExitOk;
    } catch (const InputError& e) {
      throw s->relocate(e);
    }
  };
}

}  // namespace spsim::cli
