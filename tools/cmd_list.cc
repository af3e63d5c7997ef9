// `spsim list strategies|models|topologies|devices`: what spsim knows, one line each.
#include <fmt/core.h>

#include "costmodel/device_profile.h"
#include "costmodel/link_model.h"
#include "program/input_error.h"
#include "strategies/model.h"
#include "strategies/model_json.h"
#include "strategies/registry.h"
#include "tools/cli_common.h"
#include "tools/settings.h"
#include "topology/node_preset.h"

namespace spsim::cli {
namespace {

void list_strategies() {
  std::size_t width = 0;
  for (const Strategy* s : all_strategies()) width = std::max(width, s->name().size());
  for (const Strategy* s : all_strategies()) {
    fmt::print("{:<{}}  {}\n", s->name(), width, s->summary());
    fmt::print("{:<{}}  constraints: {}\n", "", width, s->constraints());
  }
}

void list_models() {
  fmt::print("{:<20} {:>6} {:>6} {:>7} {:>5} {:>6} {:>9}  {}\n", "model", "layers", "hidden", "heads", "dim", "ffn",
             "params", "attention");
  for (const ModelSpec& m : model_presets())
    fmt::print("{:<20} {:>6} {:>6} {:>7} {:>5} {:>6} {:>8.2f}B  {}{}\n", m.name,
               m.encoder_decoder() ? fmt::format("{}+{}", m.layers, m.decoder_layers) : std::to_string(m.layers),
               m.hidden, fmt::format("{}/{}", m.heads, m.kv_heads), m.head_dim, m.ffn_hidden,
               static_cast<double>(m.parameter_count()) / 1e9, m.attention.describe(),
               m.encoder_decoder() ? ", encoder-decoder (spsim stream)" : m.causal ? "" : ", full mask");
  fmt::print("\nEach preset is the file models/<name>.json; your own model: --model-file FILE, a JSON object "
             "with these keys (strategies/model_json.h):\n{}",
             model_file_keys_help());
}

void list_topologies() {
  for (const NodePreset& n : node_presets()) fmt::print("{:<14} {}\n", n.name, n.summary);
  // The link classes every preset's links belong to, with the cost model's
  // parameters and where they come from (costmodel/link_model.cc cites each).
  fmt::print("\nlink classes (every preset; a topology file's \"link_params\" or --link-params overrides them):\n");
  fmt::print("{:<8} {:>9} {:>9} {:>9} {:>9} {:>7}  {}\n", "class", "coll eff", "coll us", "p2p eff", "p2p us", "duplex",
             "source of the point-to-point figures");
  for (LinkKind k : kAllLinkKinds) {
    const LinkClassParams p = default_link_class_params(k);
    fmt::print("{:<8} {:>9.3f} {:>9.1f} {:>9.3f} {:>9.1f} {:>7.2f}  {}\n", link_kind_name(k), p.bandwidth_efficiency,
               p.message_overhead_s * 1e6, p.p2p_efficiency, p.p2p_overhead_s * 1e6, p.duplex_factor,
               link_class_p2p_source(k));
  }
  const RootComplexParams rc = default_root_complex_params();
  fmt::print("root complex: GPU peer traffic through a CPU at most {:.1f} GB/s (measured p2pBandwidthLatencyTest, "
             "NVIDIA/nccl #814)\n",
             rc.bandwidth_bytes_per_s / 1e9);
}

void list_devices() {
  fmt::print("{:<16} {:>12} {:>10} {:>9}\n", "device", "bf16 TFLOP/s", "HBM GB/s", "memory GB");
  for (const std::string& name : device_profile_names()) {
    const DeviceProfile& d = device_profile_preset(name);
    fmt::print("{:<16} {:>12.0f} {:>10.0f} {:>9.0f}\n", name, d.peak_bf16_flop_per_s / 1e12, d.hbm_bytes_per_s / 1e9,
               d.memory_bytes / 1e9);
  }
}

// The settings table (tools/settings.cc): every flag and config key.
void list_settings() {
  fmt::print("{:<20} {:<22} {:<46} {}\n", "setting", "commands", "value", "used by / rules");
  for (const SettingSpec& s : setting_specs()) {
    std::string rules;
    if (!s.strategies.empty()) rules += (setting_of_command(s, "stream") ? "policies " : "strategies ") + std::string(s.strategies);
    if (!s.replaces.empty()) rules += std::string(rules.empty() ? "" : "; ") + "replaces " + std::string(s.replaces);
    if (!s.needs.empty()) rules += std::string(rules.empty() ? "" : "; ") + "needs " + std::string(s.needs);
    fmt::print("{:<20} {:<22} {:<46} {}\n", s.name, s.commands, setting_expectation(s), rules);
  }
  fmt::print("each is a flag (--name VALUE) and a key of a --config JSON file (\"name\": value) of run, verify "
             "and plan; a flag wins over the file\n");
}

}  // namespace

CommandAction add_list_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("list", "List built-in strategies, models, topologies, device profiles or settings");
  auto what = std::make_shared<std::string>();
  cmd->add_option("what", *what, "strategies, models, topologies, devices or settings")->required();
  return [what]() {
    if (*what == "strategies") list_strategies();
    else if (*what == "models") list_models();
    else if (*what == "topologies") list_topologies();
    else if (*what == "devices") list_devices();
    else if (*what == "settings") list_settings();
    else throw InputError("spsim list", "expected strategies, models, topologies, devices or settings, got '" + *what + "'");
    return kExitOk;
  };
}

}  // namespace spsim::cli
