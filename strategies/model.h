#pragma once
// Transformer model presets: the shapes that set an attention layer's workload
// (heads, key/value heads, head dim, mask) and the rest of a layer's cost
// (hidden, FFN, vocabulary), each preset with the source of its numbers.
//
// Parameter count (parameter_count()), from the shapes alone:
//   embeddings  vocab·hidden + learned_positions·hidden
//   per layer   attention  hidden·H·D (q) + 2·hidden·Hkv·D (k, v) + H·D·hidden (o)
//                          (+ H·D + 2·Hkv·D + hidden biases if linear_bias)
//               MLP        gated (SwiGLU): 3·hidden·ffn; plain (GELU): 2·hidden·ffn
//                          (+ ffn + hidden biases, gated: 2·ffn + hidden, if linear_bias)
//               2 norms    hidden each (RMSNorm) or 2·hidden (LayerNorm)
//   one more norm (the final norm of pre-norm decoders, the embedding norm of BERT)
//   encoder-decoder: each decoder layer adds a cross-attention (q, k, v, o as
//               above) and a third norm; one embedding table (shared source
//               and target vocabulary, as Vaswani et al. 2017 share it)
//   output head vocab·hidden unless tied to the embeddings.
// Linear-attention layers are counted with the same q, k, v, o projections.
// Left out: BERT's token-type table, pooler and MLM-head transform (together
// about 0.6% of bert-base). No preset is a mixture of experts.

#include <cstdint>

#include "strategies/attention_kind.h"
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace spsim {


// Which layers use softmax attention; the others use linear attention.
struct AttentionPattern {
  // Layer l (0-based) uses softmax attention iff (l + 1) is a multiple of
  // softmax_every: 1 means every layer (a plain transformer), 4 means layers 3,
  // 7, 11, ... (a "1/4 hybrid" as in LASP-2H); nullopt means no layer (pure
  // linear attention).
  std::optional<std::uint32_t> softmax_every = 1;

  AttentionKind kind(std::uint32_t layer) const;
  // Number of softmax layers among `layers`.
  std::uint32_t softmax_layers(std::uint32_t layers) const;
  // "softmax", "linear", or "linear, softmax every 4th layer".
  std::string describe() const;
};

enum class MlpKind : std::uint8_t { kGated, kPlain };   // SwiGLU (3 matrices) / GELU or ReLU (2)
// The MLP's activation: SwiGLU is gated (3 matrices), GELU and ReLU are not (2).
enum class Activation : std::uint8_t { kSwiglu, kGelu, kRelu };
std::string_view activation_name(Activation a);  // "swiglu", "gelu", "relu"
enum class NormKind : std::uint8_t { kRms, kLayer };    // RMSNorm (weight) / LayerNorm (weight, bias)

struct ModelSpec {
  std::string name;
  std::uint32_t layers = 0;  // encoder-decoder models: the encoder's layers
  // Encoder-decoder models (spsim stream, stream/): the decoder's layers, each
  // with self-attention, cross-attention over the encoder's output and the
  // MLP; 0 for decoder-only and encoder-only models (what spsim run takes).
  std::uint32_t decoder_layers = 0;
  std::uint32_t hidden = 0;
  std::uint32_t heads = 0;     // query heads H
  std::uint32_t kv_heads = 0;  // key/value heads Hkv (GQA when < heads)
  std::uint32_t head_dim = 0;  // D
  std::uint32_t ffn_hidden = 0;
  std::uint32_t vocab = 0;
  AttentionPattern attention;
  bool causal = true;  // decoder (causal mask) or encoder (full mask)
  Activation activation = Activation::kSwiglu;
  NormKind norm = NormKind::kRms;
  bool linear_bias = false;            // projections carry biases
  std::uint32_t learned_positions = 0; // rows of a learned position table; RoPE models have none
  bool tied_embeddings = false;        // output head shares the embedding matrix
  std::string source;                  // where the numbers come from; "(?)" marks uncertain ones

  MlpKind mlp() const { return activation == Activation::kSwiglu ? MlpKind::kGated : MlpKind::kPlain; }
  bool encoder_decoder() const { return decoder_layers > 0; }

  // Parameters implied by the shapes (formula in the file comment).
  std::uint64_t parameter_count() const;
};

// Every preset, in display order. Static storage.
std::span<const ModelSpec> model_presets();

// The preset called `name`. Throws InputError("--model", ...) listing the
// known names when there is none.
const ModelSpec& find_model(std::string_view name);

// Throws InputError(where, ...) when `model` is an encoder-decoder model:
// the SP studies (run, plan, replay) lower decoder-only and encoder-only
// models; spsim stream takes encoder-decoder ones.
void require_single_stack(const ModelSpec& model, const std::string& where);

// "llama2-7b, llama3-8b, ..." for messages.
std::string model_names();

}  // namespace spsim
