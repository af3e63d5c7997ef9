#include "strategies/model.h"

#include <vector>

#include "program/input_error.h"

namespace spsim {
namespace {

// A Llama-style decoder: RoPE, RMSNorm, SwiGLU MLP, no biases, untied head.
ModelSpec llama(std::string name, std::uint32_t layers, std::uint32_t hidden, std::uint32_t heads,
                std::uint32_t kv_heads, std::uint32_t ffn, std::uint32_t vocab, std::string source) {
  ModelSpec m;
  m.name = std::move(name);
  m.layers = layers;
  m.hidden = hidden;
  m.heads = heads;
  m.kv_heads = kv_heads;
  m.head_dim = hidden / heads;
  m.ffn_hidden = ffn;
  m.vocab = vocab;
  m.source = std::move(source);
  return m;
}

// A GPT-2/BERT-style block: learned positions, LayerNorm, 4h GELU MLP, biases,
// head tied to the embeddings.
ModelSpec gpt2_style(std::string name, std::uint32_t layers, std::uint32_t hidden, std::uint32_t heads,
                     std::uint32_t head_dim, std::uint32_t vocab, std::uint32_t positions, bool causal,
                     std::string source) {
  ModelSpec m;
  m.name = std::move(name);
  m.layers = layers;
  m.hidden = hidden;
  m.heads = heads;
  m.kv_heads = heads;
  m.head_dim = head_dim;
  m.ffn_hidden = 4 * hidden;
  m.vocab = vocab;
  m.causal = causal;
  m.mlp = MlpKind::kPlain;
  m.norm = NormKind::kLayer;
  m.linear_bias = true;
  m.learned_positions = positions;
  m.tied_embeddings = true;
  m.source = std::move(source);
  return m;
}

std::vector<ModelSpec> make_presets() {
  std::vector<ModelSpec> p;
  p.push_back(llama("llama2-7b", 32, 4096, 32, 32, 11008, 32000,
                    "Touvron et al., Llama 2, arXiv 2307.09288 (7B); shapes of meta-llama/Llama-2-7b-hf config.json"));
  p.push_back(llama("llama3-8b", 32, 4096, 32, 8, 14336, 128256,
                    "Llama 3 herd, arXiv 2407.21783 Table 3 (8B: 32 layers, dim 4096, FFN 14336, 32 heads, 8 KV heads); "
                    "vocab 128256 of meta-llama/Meta-Llama-3-8B config.json"));
  p.push_back(llama("llama3-70b", 80, 8192, 64, 8, 28672, 128256,
                    "Llama 3 herd, arXiv 2407.21783 Table 3 (70B: 80 layers, dim 8192, FFN 28672, 64 heads, 8 KV heads); "
                    "vocab 128256 of meta-llama/Meta-Llama-3-70B config.json"));
  const std::string flexsp =
      "FlexSP, arXiv 2412.01523, evaluates GPT-7B/13B/30B; shapes of its code base Hetu-Galvatron "
      "galvatron/models/gpt_hf/meta_configs/";
  const std::string gpt2_arch =
      "; GPT-2 block (4h GELU MLP, biases, LayerNorm, tied head) as Galvatron's gpt_hf model (?); "
      "not checked against the paper's own table (?)";
  p.push_back(gpt2_style("gpt-7b", 32, 4096, 64, 64, 50257, 2048, true,
                         flexsp + "gpt-7b.json (32 layers, n_embd 4096, 64 heads x 64, vocab 50257, 2048 positions)" + gpt2_arch));
  p.push_back(gpt2_style("gpt-13b", 40, 5120, 64, 80, 50257, 2048, true,
                         flexsp + "gpt-13b.json (40 layers, n_embd 5120, 64 heads x 80, vocab 50257, 2048 positions)" + gpt2_arch));
  p.push_back(gpt2_style("gpt-30b", 60, 6656, 64, 104, 50257, 2048, true,
                         flexsp + "gpt-30b.json (60 layers, n_embd 6656, 64 heads x 104, vocab 50257, 2048 positions)" + gpt2_arch));
  {
    ModelSpec m = llama("linear-llama3-1b", 16, 2048, 16, 16, 8192, 128256,
                        "LASP-2, arXiv 2502.07563: Linear-Llama3-1B, 16 heads, hidden 2048, every layer linear "
                        "attention; 16 layers, FFN 8192 and an untied head from Linear-MoE "
                        "examples/linear_llama3/run_pretrain_mcore_llama.sh (MODEL_SIZE=1B) (?); "
                        "KV heads = heads, no GQA in the linear layers (?); Llama 3 vocab 128256 (?)");
    m.attention.softmax_every = std::nullopt;
    p.push_back(m);
    // Hybrids as LASP-2H evaluates them: a softmax-attention layer every 4th
    // (the "1/4 hybrid") or every 8th layer, the others linear (LASP-2, arXiv
    // 2502.07563, Linear-Llama3 hybrid ratios (?)).
    for (std::uint32_t every : {4u, 8u}) {
      ModelSpec h = m;
      h.name = "linear-llama3-1b-h" + std::to_string(every);
      h.attention.softmax_every = every;
      h.source = m.source + "; hybrid: softmax attention every " + std::to_string(every) + "th layer (?)";
      p.push_back(std::move(h));
    }
  }
  p.push_back(gpt2_style("bert-base", 12, 768, 12, 64, 30522, 512, false,
                         "Devlin et al., BERT, arXiv 1810.04805 (BERT-BASE: L=12, H=768, A=12, FFN 4H, 110M); "
                         "vocab 30522 and 512 positions of bert-base-uncased config.json"));
  p.push_back(gpt2_style("bert-large", 24, 1024, 16, 64, 30522, 512, false,
                         "Devlin et al., BERT, arXiv 1810.04805 (BERT-LARGE: L=24, H=1024, A=16, FFN 4H, 340M); "
                         "vocab 30522 and 512 positions of bert-large-uncased config.json"));
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

std::uint64_t ModelSpec::parameter_count() const {
  const std::uint64_t h = hidden, qd = std::uint64_t{heads} * head_dim, kvd = std::uint64_t{kv_heads} * head_dim;
  const std::uint64_t f = ffn_hidden;
  std::uint64_t attn = h * qd + 2 * h * kvd + qd * h;
  if (linear_bias) attn += qd + 2 * kvd + h;
  std::uint64_t mlp_params = (mlp == MlpKind::kGated ? 3 : 2) * h * f;
  if (linear_bias) mlp_params += (mlp == MlpKind::kGated ? 2 : 1) * f + h;
  const std::uint64_t norm_params = norm == NormKind::kRms ? h : 2 * h;
  const std::uint64_t per_layer = attn + mlp_params + 2 * norm_params;
  std::uint64_t total = std::uint64_t{vocab} * h + std::uint64_t{learned_positions} * h;
  total += std::uint64_t{layers} * per_layer + norm_params;
  if (!tied_embeddings) total += std::uint64_t{vocab} * h;
  return total;
}

std::span<const ModelSpec> model_presets() { return presets(); }

const ModelSpec& find_model(std::string_view name) {
  for (const ModelSpec& m : presets())
    if (m.name == name) return m;
  throw InputError("--model", "unknown model '" + std::string(name) + "'; expected one of: " + model_names());
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
