#pragma once
// A whole model step as one Program: the layers of a transformer, each with
// its q/k/v projections, the strategy's attention, the output projection and
// the MLP — forward, and for training the backward in reverse layer order —
// on every rank of an SP group. What `spsim run` simulates.
//
// Per layer and rank (C = the rank's tokens; Dense ops, program/op_kind.h):
//   q, k, v = Dense(x) ; attention (the strategy) ; y = Dense(out)
//   gated MLP: g = Dense(y), u = Dense(y), x' = Dense(g)   (SwiGLU's 3 GEMMs)
//   plain MLP: h = Dense(y), x' = Dense(h)                  (GELU's 2 GEMMs)
// Backward: DenseBwd for every Dense (din and dW), the strategy's attention
// backward, and the q/k/v input gradients summed (Accumulate).
// After the last layer, the output head and the loss (ModelStep::loss_chunks;
// the loss as its memory traffic, a pass over fp32 logits each way).
// Not modelled: norms, activations, residual adds and rotary embeddings
// (memory-bound elementwise kernels, a few percent of a layer), the embedding
// lookup and its gradient. Activations saved for the backward stay alive until
// it uses them, unless recomputed (Recompute below).

#include <optional>
#include <string>

#include "program/program.h"
#include "strategies/model.h"
#include "strategies/strategy.h"

namespace spsim {

// The attention workload of one layer of `model` on sequences `seq_lens`.
Workload model_workload(const ModelSpec& model, std::vector<std::int64_t> seq_lens, DType dtype, Pass pass);

// What a step lowers: the whole model (projections, MLP, attention), or the
// attention layers alone, as SP papers and their benchmarks measure them
// (ring-flash-attention's benchmark, TokenRing, USP): per layer q, k, v arrive
// as given (ready when the previous layer's forward is done), the strategy's
// forward, and in the backward dout as given (ready when the next layer's
// backward is done), the strategy's backward.
enum class Scope : std::uint8_t { kModel, kAttention };
std::string_view scope_name(Scope scope);  // "model", "attention"
std::optional<Scope> parse_scope(std::string_view name);

// Activation recomputation (Korthikanti et al., "Reducing Activation
// Recomputation in Large Transformer Models", arXiv 2205.05198), as
// Megatron-LM's --recompute-granularity:
//   none       every activation the backward reads is kept from the forward;
//   selective  the core attention is recomputed in the backward (the
//              strategy's forward runs again, right before its backward;
//              Megatron's recompute of "core_attn"): its outputs (out, lse)
//              are not kept. With flash attention the scores are never stored,
//              so this saves out and lse per layer and costs one more attention
//              forward;
//   full       only each layer's input is kept; the whole layer's forward
//              runs again at the start of its backward (Megatron's "full",
//              uniform method, one layer per checkpoint).
// The recomputed ops are simulated like any other: their time is the cost.
enum class Recompute : std::uint8_t { kNone, kSelective, kFull };
std::string_view recompute_name(Recompute r);  // "none", "selective", "full"
std::optional<Recompute> parse_recompute(std::string_view name);

struct ModelStep {
  const ModelSpec& model;
  Workload workload;        // from model_workload()
  StrategyOptions options;  // options.sp ranks, 0..sp-1
  std::uint32_t layers = 1; // layers to lower, 1..model.layers
  Scope scope = Scope::kModel;
  Recompute recompute = Recompute::kNone;  // Scope::kModel only
  // Scope::kModel: the output head and loss run over this many chunks of each
  // rank's rows (1 = all at once; more hold fewer logits at a time).
  std::uint32_t loss_chunks = 1;
};

// Why `strategy` cannot run this step (a sentence), or nullopt: the
// strategy's own refusal (on the sequences padded to its multiple, see
// padded_workload) for each layer kind the model uses, or a layer kind it
// does not emit.
std::optional<std::string> refuse_model_step(const Strategy& strategy, const ModelStep& step);

// Throws InputError("--strategy NAME", reason) when refused, InputError for
// layers outside 1..model.layers.
Program lower_model_step(const Strategy& strategy, const ModelStep& step);

}  // namespace spsim
