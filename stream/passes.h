#pragma once
// The passes of an encoder-decoder transformer at inference, each lowered to
// a Program on one device: what a simultaneous-translation policy
// (stream/policy.h) runs as source tokens arrive.
//
// Every pass is one stream of kernels, in the order an eager PyTorch
// implementation launches them (fairseq's TransformerModel; biases inside
// the GEMMs, post-norm as Vaswani et al.). Per kernel (program/op_kind.h):
//   GEMM          Dense (projections, MLP, output head)
//   attention     AttnFwd (one fused kernel: scores, softmax, values)
//   LayerNorm, the activation, the embedding lookup, the output's
//   log-softmax/argmax      Copy (a pass over the rows: read + write)
//   residual add  Accumulate
//   KV-cache append         Copy of the new rows into a row view of the cache
// Kernels per pass (E = encoder layers, L = decoder layers):
//   kEncode       1 + 12 E      embedding; per layer q, k, v, attention, o,
//                               add, norm, up, activation, down, add, norm
//   kEncodeStep   1 + 14 E      as kEncode for one new token, plus the k, v
//                               cache appends (unidirectional encoder)
//   kCrossKeys    2 L           each decoder layer's cross-attention k, v
//   kLength       2             length classifier GEMM + its argmax
//   kDecodeStep   1 + 19 L + 2  embedding; per layer self-attention (q, k, v,
//                               2 cache appends, attention, o, add, norm),
//                               cross-attention (q, attention, o, add, norm),
//                               MLP (up, activation, down, add, norm); head
//                               GEMM + log-softmax/argmax
//   kDecodeAll    1 + 17 L + 2  as kDecodeStep over all target rows at once,
//                               without caches (non-autoregressive)
// Masks: the encoder is bidirectional (kEncodeStep: causal over the cached
// tokens), decoder self-attention causal over the cache (kDecodeAll: full, a
// non-autoregressive decoder sees every target position), cross-attention
// full over the encoder rows given.
// Not modelled: beam search (greedy decoding), dropout (inference), kernel
// fusion beyond the above (a fused or CUDA-graph deployment launches fewer
// kernels: calibrate the device's launch_s, or model it as a device profile).

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "program/dtype.h"
#include "program/program.h"
#include "strategies/model.h"

namespace spsim {

enum class PassKind : std::uint8_t {
  kEncode,      // the encoder over the source prefix
  kEncodeStep,  // a unidirectional encoder's step: one new source token over the cached ones
  kCrossKeys,   // the decoder layers' cross-attention keys and values of encoder rows
  kLength,      // a non-autoregressive model's target-length prediction
  kDecodeStep,  // one autoregressive decoder step (KV cache)
  kDecodeAll,   // one non-autoregressive decoder pass over all target positions
};
inline constexpr std::size_t kNumPassKinds = 6;
std::string_view pass_kind_name(PassKind kind);  // "encode", "encode_step", "cross_keys", "length", "decode_step", "decode_all"
bool is_decoder_pass(PassKind kind);  // kDecodeStep, kDecodeAll
bool is_encoder_pass(PassKind kind);  // kEncode, kEncodeStep

// One pass. `src`: source tokens seen (encoder rows, cross-attention keys);
// `tgt`: kDecodeStep the position of the token produced (0-based: tgt
// earlier tokens are in the cache), kDecodeAll the target length; `rows`:
// kCrossKeys the rows projected (the last `rows` of the `src` encoder rows).
// Fields a kind does not use are 0.
struct StreamPass {
  PassKind kind = PassKind::kEncode;
  std::uint32_t src = 0;
  std::uint32_t tgt = 0;
  std::uint32_t rows = 0;
  friend auto operator<=>(const StreamPass&, const StreamPass&) = default;
};

// Pass constructors (the fields each kind uses).
StreamPass encode_pass(std::uint32_t src);
StreamPass encode_step_pass(std::uint32_t src);
StreamPass cross_keys_pass(std::uint32_t src, std::uint32_t rows);
StreamPass length_pass(std::uint32_t src);
StreamPass decode_step_pass(std::uint32_t src, std::uint32_t position);
StreamPass decode_all_pass(std::uint32_t src, std::uint32_t tgt);

// "decode_step src 12 pos 3", for traces and messages.
std::string describe_pass(const StreamPass& pass);

// Classes of a non-autoregressive length classifier: fairseq's
// NATransformerDecoder predicts the target length with a 256-entry length
// embedding (fairseq/models/nat/nonautoregressive_transformer.py, embed_length).
inline constexpr std::uint32_t kLengthClasses = 256;

// The kernels of `pass` for `model` (the counts in the file comment).
std::uint32_t pass_kernels(const ModelSpec& model, PassKind kind);

// The pass as a one-rank Program (one stream "compute"). Requires an
// encoder-decoder model (ModelSpec::decoder_layers > 0) and src >= 1 (and
// tgt >= 1 for kDecodeAll, 1 <= rows <= src for kCrossKeys); throws
// std::invalid_argument otherwise (the policies never ask for one).
Program lower_pass(const ModelSpec& model, const StreamPass& pass, DType dtype);

}  // namespace spsim
