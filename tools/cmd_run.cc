// `spsim run`: a what-if study — predict step time, overlap, bottlenecks and
// memory of one or all strategies for a model, workload and cluster.
#include <iostream>

#include "program/input_error.h"
#include "sim/network_model.h"
#include "tools/cli_common.h"
#include "tools/study.h"

namespace spsim::cli {

CommandAction add_run_command(CLI::App& app) {
  auto c = std::make_shared<StudyConfig>();
  auto config_file = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("run", "Simulate a model step with one or all SP strategies on a cluster");
  cmd->add_option("--config", *config_file, "JSON file with these settings (keys: the flag names without --)");
  cmd->add_option("--model", c->model, "model preset (spsim list models)")->capture_default_str();
  cmd->add_option("--model-file", c->model_file,
                  "a model JSON file instead of a preset (keys: spsim list models; presets are models/*.json)");
  cmd->add_option("--seq", c->seq, "sequence length S")->capture_default_str();
  cmd->add_option("--batch", c->batch, "sequences per step B")->capture_default_str();
  cmd->add_option("--seqlens", c->seqlens, "packed sequence lengths, comma-separated (instead of --seq/--batch)")
      ->delimiter(',');
  cmd->add_option("--strategy", c->strategy, "strategy name, or 'all' to compare every legal one")
      ->capture_default_str();
  cmd->add_option("--sp", c->sp, "SP degree (default: every device of the topology)");
  cmd->add_option("--topology", c->topology, "topology preset (spsim topo)")->capture_default_str();
  cmd->add_option("--topology-file", c->topology_file, "topology JSON (docs/topology-format.md)");
  cmd->add_option("--nodes", c->nodes, "nodes of the preset on a rail-optimized network")->capture_default_str();
  cmd->add_option("--pass", c->pass, "fwd or fwd+bwd")->capture_default_str();
  cmd->add_option("--layers", c->layers, "layers to simulate (default: all of the model's)");
  cmd->add_option("--scope", c->scope,
                  "model (projections, MLP and attention) or attention (the attention layers alone, as SP benchmarks "
                  "measure them; no weights)")
      ->capture_default_str();
  cmd->add_option("--recompute", c->recompute,
                  "activation recomputation: none, selective (core attention) or full (whole layers), as Megatron-LM")
      ->capture_default_str();
  cmd->add_option("--loss-chunks", c->loss_chunks,
                  "run the output head and loss over this many chunks of each rank's tokens (chunked cross-entropy: "
                  "fewer logits held at once)")
      ->capture_default_str();
  cmd->add_option("--network", c->network, "network model: analytical or flow")->capture_default_str();
  cmd->add_option("--dtype", c->dtype, "activation dtype")->capture_default_str();
  cmd->add_option("--ulysses-degree", c->ulysses_degree, "usp: Ulysses group size Pu");
  cmd->add_option("--window", c->window, "double-ring: inner ring window w");
  cmd->add_option("--ring-bwd", c->ring_bwd,
                  "ring family backward: ring-flash-attn (block dK,dV added after the kernel) or transformer-engine "
                  "(dK,dV travel with the next K,V)")
      ->capture_default_str();
  cmd->add_option("--zero-stage", c->zero_stage, "ZeRO stage of weights/gradients/optimizer over the SP ranks")
      ->capture_default_str();
  cmd->add_option("--device-profile", c->device_profile, "device profile JSON (e.g. calibrated) for the devices");
  cmd->add_option("--link-params", c->link_params,
                  "JSON file of link-class parameters (p2p/collective efficiency and overhead, duplex factor, root "
                  "complex) over the topology's (docs/topology-format.md)");
  cmd->add_option("--json", c->json, "write the metrics as JSON");
  cmd->add_option("--trace", c->trace, "write a Chrome trace (Perfetto); with 'all', of the fastest strategy");
  cmd->add_option("--trace-ranks", c->trace_ranks, "ranks to include in the trace")->delimiter(',');
  cmd->add_option("--trace-layers", c->trace_layers, "layers to include in the trace")->delimiter(',');
  return [c, config_file, cmd]() {
    StudyConfig cfg = *c;
    if (!config_file->empty()) {
      // Flags given on the command line win over the file.
      StudyConfig from_file = load_study_config(*config_file);
      auto given = [&](const char* flag) { return cmd->count(flag) > 0; };
      if (!given("--model")) cfg.model = from_file.model;
      if (!given("--model-file")) cfg.model_file = from_file.model_file;
      if (!given("--seq")) cfg.seq = from_file.seq;
      if (!given("--batch")) cfg.batch = from_file.batch;
      if (!given("--seqlens")) cfg.seqlens = from_file.seqlens;
      if (!given("--strategy")) cfg.strategy = from_file.strategy;
      if (!given("--sp")) cfg.sp = from_file.sp;
      if (!given("--topology")) cfg.topology = from_file.topology;
      if (!given("--topology-file")) cfg.topology_file = from_file.topology_file;
      if (!given("--nodes")) cfg.nodes = from_file.nodes;
      if (!given("--pass")) cfg.pass = from_file.pass;
      if (!given("--layers")) cfg.layers = from_file.layers;
      if (!given("--scope")) cfg.scope = from_file.scope;
      if (!given("--recompute")) cfg.recompute = from_file.recompute;
      if (!given("--loss-chunks")) cfg.loss_chunks = from_file.loss_chunks;
      if (!given("--network")) cfg.network = from_file.network;
      if (!given("--dtype")) cfg.dtype = from_file.dtype;
      if (!given("--ulysses-degree")) cfg.ulysses_degree = from_file.ulysses_degree;
      if (!given("--window")) cfg.window = from_file.window;
      if (!given("--ring-bwd")) cfg.ring_bwd = from_file.ring_bwd;
      if (!given("--zero-stage")) cfg.zero_stage = from_file.zero_stage;
      if (!given("--device-profile")) cfg.device_profile = from_file.device_profile;
      if (!given("--link-params")) cfg.link_params = from_file.link_params;
      if (!given("--json")) cfg.json = from_file.json;
      if (!given("--trace")) cfg.trace = from_file.trace;
      if (!given("--trace-ranks")) cfg.trace_ranks = from_file.trace_ranks;
      if (!given("--trace-layers")) cfg.trace_layers = from_file.trace_layers;
    }
    if (cmd->count("--model") > 0 && !cfg.model_file.empty())
      throw InputError("--model-file", "give --model or --model-file, not both");
    const StudyResult r = run_study(cfg);
    print_study(r, std::cout);
    return kExitOk;
  };
}

}  // namespace spsim::cli
