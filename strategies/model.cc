#include "strategies/model.h"

#include <vector>

#include "program/input_error.h"
#include "strategies/model_json.h"
#include "strategies/model_presets_data.h"

namespace spsim {
namespace {

// The presets are the JSON files of models/ (embedded at build time); a
// preset that does not parse is a bug, caught by the model tests.
std::vector<ModelSpec> make_presets() {
  std::vector<ModelSpec> p;
  for (const EmbeddedModel& e : embedded_model_presets())
    p.push_back(parse_model_json(e.json, "models/" + std::string(e.name) + ".json", std::string(e.name)));
  return p;
}

const std::vector<ModelSpec>& presets() {
  static const std::vector<ModelSpec> p = make_presets();
  return p;
}

}  // namespace


AttentionKind AttentionPattern::kind(std::uint32_t layer) const {
  if (softmax_every && *softmax_every > 0 && (layer + 1) % *softmax_every == 0) return AttentionKind::kSoftmax;
  return AttentionKind::kLinear;
}

std::uint32_t AttentionPattern::softmax_layers(std::uint32_t layers) const {
  if (!softmax_every || *softmax_every == 0) return 0;
  return layers / *softmax_every;
}

std::string AttentionPattern::describe() const {
  if (!softmax_every || *softmax_every == 0) return "linear";
  if (*softmax_every == 1) return "softmax";
  const std::uint32_t n = *softmax_every;
  const char* suffix = (n % 10 == 2 && n % 100 != 12) ? "nd" : (n % 10 == 3 && n % 100 != 13) ? "rd" : "th";
  return "linear, softmax every " + std::to_string(n) + suffix + " layer";
}

std::string_view activation_name(Activation a) {
  switch (a) {
    case Activation::kSwiglu: return "swiglu";
    case Activation::kGelu: return "gelu";
    case Activation::kRelu: return "relu";
  }
  return "?";
}

std::uint64_t ModelSpec::parameter_count() const {
  const std::uint64_t h = hidden, qd = std::uint64_t{heads} * head_dim, kvd = std::uint64_t{kv_heads} * head_dim;
  const std::uint64_t f = ffn_hidden;
  std::uint64_t attn = h * qd + 2 * h * kvd + qd * h;
  if (linear_bias) attn += qd + 2 * kvd + h;
  const bool gated = mlp() == MlpKind::kGated;
  std::uint64_t mlp_params = (gated ? 3 : 2) * h * f;
  if (linear_bias) mlp_params += (gated ? 2 : 1) * f + h;
  const std::uint64_t norm_params = norm == NormKind::kRms ? h : 2 * h;
  const std::uint64_t per_layer = attn + mlp_params + 2 * norm_params;
  const std::uint64_t per_decoder_layer = 2 * attn + mlp_params + 3 * norm_params;
  std::uint64_t total = std::uint64_t{vocab} * h + std::uint64_t{learned_positions} * h;
  total += std::uint64_t{layers} * per_layer + std::uint64_t{decoder_layers} * per_decoder_layer + norm_params;
  if (!tied_embeddings) total += std::uint64_t{vocab} * h;
  return total;
}

std::span<const ModelSpec> model_presets() { return presets(); }

const ModelSpec& find_model(std::string_view name) {
  for (const ModelSpec& m : presets())
    if (m.name == name) return m;
  throw InputError("--model", "unknown model '" + std::string(name) + "'; expected one of: " + model_names());
}

void require_single_stack(const ModelSpec& model, const std::string& where) {
  if (model.encoder_decoder())
    throw InputError(where, model.name + " is an encoder-decoder model (spsim stream simulates it); expected a "
                                         "decoder-only or encoder-only model");
}

std::string model_names() {
  std::string out;
  for (const ModelSpec& m : presets()) {
    if (!out.empty()) out += ", ";
    out += m.name;
  }
  return out;
}

}  // namespace spsim
