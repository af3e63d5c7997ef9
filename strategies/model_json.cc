#include "strategies/model_json.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <limits>
#include <set>

#include "program/input_error.h"
#include "program/input_json.h"
#include "program/input_file.h"

namespace spsim {
namespace {

using json = nlohmann::ordered_json;

struct KeyHelp {
  const char* key;
  const char* help;
};
constexpr KeyHelp kKeys[] = {
    {"name", "string; default: the file name without .json"},
    {"layers", "required; transformer layers (encoder-decoder models: the encoder's)"},
    {"decoder_layers", "encoder-decoder models (spsim stream): decoder layers (default 0: none)"},
    {"hidden", "required; model width"},
    {"heads", "required; query heads H"},
    {"kv_heads", "required; key/value heads Hkv (H a multiple of it; GQA when smaller)"},
    {"head_dim", "required; D"},
    {"ffn", "required; MLP hidden width"},
    {"vocab", "required; vocabulary size"},
    {"attention", "\"softmax\" (default) or \"linear\""},
    {"softmax_every", "with \"linear\": softmax attention every N-th layer (hybrid)"},
    {"causal", "true (decoder, default) or false (encoder)"},
    {"activation", "\"swiglu\" (gated MLP, default), \"gelu\" or \"relu\" (plain MLP)"},
    {"norm", "\"rmsnorm\" (default) or \"layernorm\""},
    {"linear_bias", "projections carry biases (default false)"},
    {"learned_positions", "rows of a learned position table (default 0)"},
    {"tied_embeddings", "output head shares the embedding matrix (default false)"},
    {"source", "where the numbers come from"},
};

}  // namespace

ModelSpec parse_model_json(std::string_view text, const std::string& where, const std::string& default_name) {
  const json j = parse_input_json(text, where);
  if (!j.is_object()) throw InputError(where, "expected a JSON object describing a model");
  auto at = [&](const std::string& key) { return where + ": key '" + key + "'"; };
  std::set<std::string> known;
  for (const auto& k : kKeys) known.insert(k.key);
  for (const auto& [key, v] : j.items()) {
    if (!known.count(key)) {
      std::string names;
      for (const auto& k : kKeys) names += (names.empty() ? "" : ", ") + std::string(k.key);
      throw InputError(at(key), "unknown key; expected one of: " + names);
    }
  }
  auto positive = [&](const char* key, bool required) -> std::optional<std::uint32_t> {
    if (!j.contains(key)) {
      if (required) throw InputError(at(key), "missing; expected a positive integer");
      return std::nullopt;
    }
    const json& v = j.at(key);
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() == 0 ||
        v.get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max())
      throw InputError(at(key), "expected a positive integer below 2^32, got " + v.dump());
    return static_cast<std::uint32_t>(v.get<std::uint64_t>());
  };
  auto boolean = [&](const char* key, bool dflt) {
    if (!j.contains(key)) return dflt;
    if (!j.at(key).is_boolean()) throw InputError(at(key), "expected true or false, got " + j.at(key).dump());
    return j.at(key).get<bool>();
  };
  auto choice = [&](const char* key, std::initializer_list<const char*> options) -> std::string {
    const std::string first = *options.begin();
    if (!j.contains(key)) return first;
    const json& v = j.at(key);
    if (v.is_string())
      for (const char* o : options)
        if (v.get<std::string>() == o) return o;
    std::string list;
    for (const char* o : options) list += (list.empty() ? "\"" : " or \"") + std::string(o) + "\"";
    throw InputError(at(key), "expected " + list + ", got " + v.dump());
  };
  ModelSpec m;
  if (j.contains("name")) {
    if (!j.at("name").is_string() || j.at("name").get<std::string>().empty())
      throw InputError(at("name"), "expected a non-empty string");
    m.name = j.at("name").get<std::string>();
  } else {
    m.name = default_name;
  }
  m.layers = *positive("layers", true);
  m.decoder_layers = positive("decoder_layers", false).value_or(0);
  m.hidden = *positive("hidden", true);
  m.heads = *positive("heads", true);
  m.kv_heads = *positive("kv_heads", true);
  m.head_dim = *positive("head_dim", true);
  m.ffn_hidden = *positive("ffn", true);
  m.vocab = *positive("vocab", true);
  if (m.heads % m.kv_heads != 0)
    throw InputError(at("kv_heads"), "must divide heads (" + std::to_string(m.heads) + "), got " +
                                         std::to_string(m.kv_heads));
  const std::string attention = choice("attention", {"softmax", "linear"});
  const std::optional<std::uint32_t> every = positive("softmax_every", false);
  if (attention == "softmax") {
    if (every) throw InputError(at("softmax_every"), "only with \"attention\": \"linear\" (a hybrid model)");
    m.attention.softmax_every = 1;
  } else {
    m.attention.softmax_every = every;  // nullopt: every layer linear
  }
  m.causal = boolean("causal", true);
  const std::string activation = choice("activation", {"swiglu", "gelu", "relu"});
  m.activation = activation == "swiglu" ? Activation::kSwiglu : activation == "gelu" ? Activation::kGelu : Activation::kRelu;
  m.norm = choice("norm", {"rmsnorm", "layernorm"}) == "rmsnorm" ? NormKind::kRms : NormKind::kLayer;
  m.linear_bias = boolean("linear_bias", false);
  if (j.contains("learned_positions")) {
    const json& v = j.at("learned_positions");
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max())
      throw InputError(at("learned_positions"), "expected a non-negative integer below 2^32, got " + v.dump());
    m.learned_positions = static_cast<std::uint32_t>(v.get<std::uint64_t>());
  }
  m.tied_embeddings = boolean("tied_embeddings", false);
  if (j.contains("source")) {
    if (!j.at("source").is_string()) throw InputError(at("source"), "expected a string");
    m.source = j.at("source").get<std::string>();
  }
  return m;
}

ModelSpec load_model_file(const std::string& path) {
  return parse_model_json(read_input_file(path, "model JSON file"), path, std::filesystem::path(path).stem().string());
}

std::string model_json(const ModelSpec& m) {
  json j;
  j["name"] = m.name;
  j["layers"] = m.layers;
  if (m.decoder_layers > 0) j["decoder_layers"] = m.decoder_layers;
  j["hidden"] = m.hidden;
  j["heads"] = m.heads;
  j["kv_heads"] = m.kv_heads;
  j["head_dim"] = m.head_dim;
  j["ffn"] = m.ffn_hidden;
  j["vocab"] = m.vocab;
  const bool linear = m.attention.softmax_every != 1;
  j["attention"] = linear ? "linear" : "softmax";
  if (linear && m.attention.softmax_every) j["softmax_every"] = *m.attention.softmax_every;
  j["causal"] = m.causal;
  j["activation"] = std::string(activation_name(m.activation));
  j["norm"] = m.norm == NormKind::kRms ? "rmsnorm" : "layernorm";
  j["linear_bias"] = m.linear_bias;
  j["learned_positions"] = m.learned_positions;
  j["tied_embeddings"] = m.tied_embeddings;
  j["source"] = m.source;
  return j.dump(2) + "\n";
}

std::string model_file_keys_help() {
  std::string out;
  for (const auto& k : kKeys) out += std::string("  ") + k.key + std::string(18 - std::string_view(k.key).size(), ' ') + k.help + "\n";
  return out;
}

}  // namespace spsim
