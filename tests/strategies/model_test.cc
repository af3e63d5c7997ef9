// Model presets: shapes are consistent, lookups fail clearly, and the
// parameter count computed from the shapes matches published figures.
#include "strategies/model.h"

#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "program/input_error.h"

namespace spsim {
namespace {

double relative_error(std::uint64_t got, double published) {
  return std::abs(static_cast<double>(got) - published) / published;
}

TEST_CASE("model presets: parameter counts match the published figures") {
  struct Published {
    const char* name;
    double params;
    const char* source;
  };
  // Exact or rounded counts as their publishers state them.
  const Published published[] = {
      {"llama2-7b", 6.74e9, "meta-llama/Llama-2-7b-hf model card: 6.74B params"},
      {"llama3-8b", 8.03e9, "meta-llama/Meta-Llama-3-8B model card: 8.03B params"},
      {"llama3-70b", 70.6e9, "meta-llama/Meta-Llama-3-70B model card: 70.6B params"},
      {"bert-base", 110e6, "Devlin et al., arXiv 1810.04805 §3: BERT-BASE 110M"},
      {"bert-large", 340e6, "Devlin et al., arXiv 1810.04805 §3: BERT-LARGE 340M"},
  };
  for (const auto& p : published) {
    CAPTURE(p.name);
    CAPTURE(p.source);
    const std::uint64_t n = find_model(p.name).parameter_count();
    CAPTURE(n);
    // Llama counts agree to rounding; BERT's 110M/340M are rounded and we
    // leave out its pooler and MLM-head transform (model.h): within 2%.
    CHECK(relative_error(n, p.params) < 0.02);
  }
}

TEST_CASE("model presets: the GPT sizes of FlexSP are near their nominal names") {
  // "7B", "13B", "30B" are names, not published counts. GPT-2 blocks give
  // 12·h² + 13·h per layer + (vocab + positions)·h + 2h:
  //   gpt-7b   32·(12·4096² + 13·4096) + 52305·4096 + 8192  = 6,658,404,352
  //   gpt-13b  40·(12·5120² + 13·5120) + 52305·5120 + 10240 = 12,853,386,240
  //   gpt-30b  60·(12·6656² + 13·6656) + 52305·6656 + 13312 = 32,251,028,992
  CHECK(find_model("gpt-7b").parameter_count() == 6'658'404'352ull);
  CHECK(find_model("gpt-13b").parameter_count() == 12'853'386'240ull);
  CHECK(find_model("gpt-30b").parameter_count() == 32'251'028'992ull);
  CHECK(relative_error(find_model("gpt-7b").parameter_count(), 7e9) < 0.10);
  CHECK(relative_error(find_model("gpt-13b").parameter_count(), 13e9) < 0.10);
  CHECK(relative_error(find_model("gpt-30b").parameter_count(), 30e9) < 0.10);
}

TEST_CASE("parameter_count follows the closed form of model.h") {
  // llama2-7b: embeddings and untied head 2·32000·4096 = 262,144,000; per layer
  // 4·4096² (q, k, v, o) + 3·4096·11008 (SwiGLU) + 2·4096 (RMSNorms)
  // = 67,108,864 + 135,266,304 + 8,192 = 202,383,360; 32 layers = 6,476,267,520;
  // final norm 4096. Total 6,738,415,616 (the Hugging Face checkpoint's count).
  CHECK(find_model("llama2-7b").parameter_count() == 6'738'415'616ull);
  // llama3-8b with GQA: k, v are 4096 x (8·128): per layer 2·4096² + 2·4096·1024 +
  // 3·4096·14336 + 2·4096 = 218,112,000; ·32 = 6,979,584,000; + 2·128256·4096
  // = 1,050,673,152; + 4096. Total 8,030,261,248.
  CHECK(find_model("llama3-8b").parameter_count() == 8'030'261'248ull);
  // bert-base: (30522 + 512)·768 = 23,834,112 embeddings; per layer 12·768² + 13·768
  // = 7,087,872, ·12 = 85,054,464; + 2·768 embedding LayerNorm; tied head.
  // Total 108,890,112.
  CHECK(find_model("bert-base").parameter_count() == 108'890'112ull);
  // linear-llama3-1b: 2·128256·2048 = 525,336,576; per layer 4·2048² + 3·2048·8192 +
  // 2·2048 = 67,112,960, ·16 = 1,073,807,360; + 2048. Total 1,599,145,984.
  CHECK(find_model("linear-llama3-1b").parameter_count() == 1'599'145'984ull);
}

TEST_CASE("model presets: shapes are consistent and sourced") {
  std::set<std::string> names;
  for (const ModelSpec& m : model_presets()) {
    CAPTURE(m.name);
    CHECK(names.insert(m.name).second);
    CHECK(m.layers > 0);
    CHECK(m.kv_heads > 0);
    CHECK(m.heads % m.kv_heads == 0);
    CHECK(m.heads * m.head_dim == m.hidden);
    CHECK(m.ffn_hidden > m.hidden);
    CHECK_FALSE(m.source.empty());
    CHECK(&find_model(m.name) == &m);
  }
  for (const char* n : {"llama2-7b", "llama3-8b", "llama3-70b", "gpt-7b", "gpt-13b", "gpt-30b",
                        "linear-llama3-1b", "bert-base", "bert-large"})
    CHECK(names.count(n) == 1);
  CHECK_FALSE(find_model("bert-base").causal);
  CHECK(find_model("llama3-8b").causal);
  CHECK(find_model("llama3-8b").kv_heads == 8);
}

TEST_CASE("find_model: an unknown name is an InputError listing the presets") {
  try {
    find_model("llama4-9000b");
    FAIL("no exception");
  } catch (const InputError& e) {
    CHECK(e.where() == "--model");
    CHECK(e.expected().find("llama4-9000b") != std::string::npos);
    CHECK(e.expected().find(model_names()) != std::string::npos);
  }
}

TEST_CASE("AttentionPattern: softmax, linear and hybrid layers") {
  const AttentionPattern softmax;  // default: every layer
  CHECK(softmax.kind(0) == AttentionKind::kSoftmax);
  CHECK(softmax.softmax_layers(32) == 32);
  CHECK(softmax.describe() == "softmax");

  const ModelSpec& linear = find_model("linear-llama3-1b");
  CHECK(linear.attention.softmax_layers(linear.layers) == 0);
  for (std::uint32_t l = 0; l < linear.layers; ++l) CHECK(linear.attention.kind(l) == AttentionKind::kLinear);
  CHECK(linear.attention.describe() == "linear");

  // LASP-2H's 1/4 hybrid: layers 3, 7, 11, 15 of 16 are softmax.
  const AttentionPattern hybrid{4};
  CHECK(hybrid.softmax_layers(16) == 4);
  CHECK(hybrid.kind(2) == AttentionKind::kLinear);
  CHECK(hybrid.kind(3) == AttentionKind::kSoftmax);
  CHECK(hybrid.kind(15) == AttentionKind::kSoftmax);
  CHECK(hybrid.describe() == "linear, softmax every 4th layer");
  CHECK(AttentionPattern{2}.describe() == "linear, softmax every 2nd layer");
}

}  // namespace
}  // namespace spsim
