#pragma once
// The passes of an encoder-decoder transformer at inference, each lowered to
// a Program on one device: what a simultaneous-translation policy
// (stream/policy.h) runs as source tokens arrive.
//
// Every pass is one stream of kernels in launch order (post-norm as
// Vaswani et al., biases inside the GEMMs). Two styles of implementation
// (KernelStyle):
//   eager  fairseq's TransformerModel as eager PyTorch runs it (the systems
//          of the FReTNA paper): attention as a score GEMM, a softmax and a
//          value GEMM; the KV cache grown by concatenation (torch.cat: the
//          whole cache read and written again at every step);
//   fused  an inference runtime: one fused attention kernel (FlashAttention,
//          SDPA) and a preallocated cache, a step appending its row.
// Per kernel (program/op_kind.h):
//   GEMM          Dense (projections, MLP, output head)
//   attention     fused: AttnFwd; eager: RsaScores, RsaSoftmax, RsaProbsV
//   LayerNorm, the activation, the embedding lookup, the output's
//   log-softmax/argmax      Copy (a pass over the rows: read + write)
//   residual add  Accumulate
//   KV-cache append         fused: Copy of the new rows into a row view of
//                           the cache; eager: Copy of the concatenated cache
// Kernels per pass (E = encoder layers, L = decoder layers; A = 1 kernel
// per attention fused, 3 eager):
//   kEncode       1 + (11 + A) E      embedding; per layer q, k, v,
//                                     attention, o, add, norm, up,
//                                     activation, down, add, norm
//   kEncodeStep   1 + (13 + A) E      as kEncode for one new token, plus the
//                                     k, v cache appends (unidirectional)
//   kCrossKeys    2 L                 each decoder layer's cross-attention k, v
//   kLength       2                   length classifier GEMM + its argmax
//   kDecodeStep   3 + (17 + 2A) L     embedding; per layer self-attention
//                                     (q, k, v, 2 cache appends, attention,
//                                     o, add, norm), cross-attention (q,
//                                     attention, o, add, norm), MLP (up,
//                                     activation, down, add, norm); head
//                                     GEMM + log-softmax/argmax
//   kDecodeAll    3 + (15 + 2A) L     as kDecodeStep over all target rows at
//                                     once, without caches (non-autoregressive)
// (transformer-base, eager: 85, 97, 12, 2, 141 and 129 kernels; fused: 73,
// 85, 12, 2, 117 and 105.)
// Masks: the encoder is bidirectional (kEncodeStep: causal over the cached
// tokens), decoder self-attention causal over the cache (kDecodeAll: full, a
// non-autoregressive decoder sees every target position), cross-attention
// full over the encoder rows given.
// Not modelled: beam search (greedy decoding), dropout (inference), eager
// PyTorch's layout copies and query scaling, CUDA graphs (a deployment that
// launches fewer kernels: calibrate the device's launch_s).

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "program/dtype.h"
#include "program/program.h"
#include "strategies/model.h"

namespace spsim {

enum class KernelStyle : std::uint8_t { kEager, kFused };
std::string_view kernel_style_name(KernelStyle s);  // "eager", "fused"

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
  friend bool operator==(const StreamPass&, const StreamPass&) = default;
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

// The kernels of a pass of `kind` for `model` (the counts in the file comment).
std::uint32_t pass_kernels(const ModelSpec& model, PassKind kind, KernelStyle style);

// The pass as a one-rank Program (one stream "compute"). Requires an
// encoder-decoder model (ModelSpec::decoder_layers > 0) and src >= 1 (and
// tgt >= 1 for kDecodeAll, 1 <= rows <= src for kCrossKeys); throws
// std::invalid_argument otherwise (the policies never ask for one).
Program lower_pass(const ModelSpec& model, const StreamPass& pass, DType dtype, KernelStyle style);

}  // namespace spsim
