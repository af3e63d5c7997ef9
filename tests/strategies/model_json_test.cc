// Model files (strategies/model_json.h): the presets are such files, and a
// user's file is read strictly.
#include "strategies/model_json.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "program/input_error.h"

namespace spsim {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("model files: every preset is models/<name>.json, written in canonical form") {
  for (const ModelSpec& m : model_presets()) {
    CAPTURE(m.name);
    const std::string path = std::string(SPSIM_SOURCE_DIR) + "/models/" + m.name + ".json";
    const std::string text = read(path);
    REQUIRE_FALSE(text.empty());
    // Parsing the file and writing it again gives the file byte for byte.
    CHECK(model_json(load_model_file(path)) == text);
    CHECK(model_json(m) == text);
  }
}

TEST_CASE("model files: the defaults are a Llama-style softmax decoder") {
  // Llama-3.2-3B's shapes (meta-llama/Llama-3.2-3B config.json: 28 layers,
  // hidden 3072, 24 heads, 8 KV heads, head_dim 128, FFN 8192, vocab 128256,
  // tied embeddings).
  const ModelSpec m = parse_model_json(
      R"({"layers": 28, "hidden": 3072, "heads": 24, "kv_heads": 8, "head_dim": 128, "ffn": 8192,
          "vocab": 128256, "tied_embeddings": true})",
      "llama3.2-3b.json", "llama3.2-3b");
  CHECK(m.name == "llama3.2-3b");
  CHECK(m.causal);
  CHECK(m.mlp() == MlpKind::kGated);
  CHECK(m.norm == NormKind::kRms);
  CHECK(m.attention.softmax_every == 1u);
  // Parameters (model.h): embeddings 128256·3072 = 394,002,432; per layer
  // 3072·3072 (q) + 2·3072·1024 (k, v) + 3072·3072 (o) = 25,165,824, MLP
  // 3·3072·8192 = 75,497,472, norms 2·3072 = 6,144: 100,669,440; 28 layers
  // 2,818,744,320; final norm 3,072; head tied. Total 3,212,749,824
  // (the model card says 3.21B).
  CHECK(m.parameter_count() == 3'212'749'824ull);
}

TEST_CASE("model files: a hybrid of linear and softmax layers") {
  const ModelSpec m = parse_model_json(
      R"({"layers": 16, "hidden": 2048, "heads": 16, "kv_heads": 16, "head_dim": 128, "ffn": 8192,
          "vocab": 128256, "attention": "linear", "softmax_every": 4})",
      "h.json", "h");
  CHECK(m.attention.kind(3) == AttentionKind::kSoftmax);
  CHECK(m.attention.kind(4) == AttentionKind::kLinear);
  CHECK(m.attention.softmax_layers(16) == 4);
}

TEST_CASE("model files: bad input is one error naming the file and key") {
  const std::string base = R"("layers": 2, "hidden": 64, "heads": 4, "kv_heads": 4, "head_dim": 16, "ffn": 128, "vocab": 100)";
  auto error = [&](const std::string& text) -> std::string {
    try {
      parse_model_json(text, "m.json", "m");
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK(error("{" + base + R"(, "dropout": 0.1})").find("m.json: key 'dropout': unknown key") != std::string::npos);
  CHECK(error(R"({"layers": 2})").find("key 'hidden': missing") != std::string::npos);
  CHECK(error("{" + base + R"(, "kv_heads": 3})").find("key 'kv_heads'") != std::string::npos);
  CHECK(error(R"({"layers": -2, "hidden": 64, "heads": 4, "kv_heads": 4, "head_dim": 16, "ffn": 128, "vocab": 100})")
            .find("key 'layers': expected a positive integer") != std::string::npos);
  CHECK(error(R"({"layers": 4294967300, "hidden": 64, "heads": 4, "kv_heads": 4, "head_dim": 16, "ffn": 128, "vocab": 100})")
            .find("below 2^32") != std::string::npos);
  CHECK(error("{" + base + R"(, "softmax_every": 2})").find("only with \"attention\": \"linear\"") != std::string::npos);
  CHECK(error("{" + base + R"(, "activation": "tanh"})")
            .find("key 'activation': expected \"swiglu\" or \"gelu\" or \"relu\", got \"tanh\"") != std::string::npos);
  CHECK(error("{" + base + R"(, "decoder_layers": 0})").find("key 'decoder_layers': expected a positive integer") !=
        std::string::npos);
  CHECK(error("[1, 2]").find("m.json: expected a JSON object") != std::string::npos);
  CHECK(error("{").find("m.json: not valid JSON") != std::string::npos);
}

}  // namespace
}  // namespace spsim
