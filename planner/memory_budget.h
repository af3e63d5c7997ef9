#pragma once
// How many activation tokens one device can hold while the planner's groups
// train: device memory, less the model states, over the activation bytes of
// one token of the micro-batch.
//
// Activations per token, kept from the forward for the backward (no
// recomputation), after Korthikanti et al., "Reducing Activation
// Recomputation in Large Transformer Models", arXiv 2205.05198, §4.1, whose
// per-layer total is 34·h bytes per token with 2-byte activations and 1-byte
// dropout masks; the 5·a·s/h term (the score matrix) is absent because
// FlashAttention does not store scores. Generalized to any head shape and MLP:
//   norms       2 inputs x 2h                                      4h
//   attention   QKV input 2h, q 2·H·D, k and v 2·2·Hkv·D, attention
//               output 2·H·D, dropout mask h                       3h + 4·H·D + 4·Hkv·D
//   MLP plain   input 2h, GeLU input 2f and output 2f, mask h      3h + 4f
//   MLP gated   input 2h, gate 2f, up 2f, their product 2f, mask h 3h + 6f   (?)
// (= 34h for a GPT layer: H·D = h, Hkv = H, f = 4h), times the layers, plus
// the fp32 logits of the loss, 4·vocab bytes per token (?). Under sequence
// parallelism every device holds the activations of its own Σs/d tokens
// (Ulysses' head-sharded attention holds the same bytes in another layout).
//
// Model states: costmodel's static_memory (ZeRO, memory_model.h) with the
// states sharded over all N devices (ZeRO-3 across the cluster, the data x
// sequence sharding DeepSpeed-Ulysses and FlexSP train with (?)).

#include <cstdint>

#include "costmodel/memory_model.h"
#include "strategies/model.h"

namespace spsim {

// Bytes per token by the formula above.
double activation_bytes_per_token(const ModelSpec& model);

struct MemoryBudget {
  double device_bytes = 0;               // the device's memory
  double usable_fraction = 0.9;          // what the allocator can hand out (?)
  double static_bytes = 0;               // weights, gradients, optimizer states per device
  double activation_bytes_per_token = 0;

  // (device_bytes · usable_fraction − static_bytes) / activation_bytes_per_token; 0 when states alone overflow.
  double tokens_per_device() const;
};

// The budget of `model` on devices of `device_bytes`, states sharded over
// `zero_shards` devices at `stage`.
MemoryBudget memory_budget(const ModelSpec& model, double device_bytes, double usable_fraction,
                           std::uint32_t zero_shards, ZeroStage stage);

}  // namespace spsim
