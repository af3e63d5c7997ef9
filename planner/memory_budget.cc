#include "planner/memory_budget.h"

#include <algorithm>

namespace spsim {

double activation_bytes_per_token(const ModelSpec& m) {
  const double h = m.hidden, f = m.ffn_hidden, hd = static_cast<double>(m.heads) * m.head_dim,
               kvd = static_cast<double>(m.kv_heads) * m.head_dim;
  const double norms = 4 * h;
  const double attention = 3 * h + 4 * hd + 4 * kvd;
  const double mlp = m.mlp() == MlpKind::kGated ? 3 * h + 6 * f : 3 * h + 4 * f;
  const double logits = 4.0 * m.vocab;
  return m.layers * (norms + attention + mlp) + logits;
}

double MemoryBudget::tokens_per_device() const {
  return std::max(0.0, (device_bytes * usable_fraction - static_bytes) / activation_bytes_per_token);
}

MemoryBudget memory_budget(const ModelSpec& model, double device_bytes, double usable_fraction,
                           std::uint32_t zero_shards, ZeroStage stage) {
  MemoryBudget b;
  b.device_bytes = device_bytes;
  b.usable_fraction = usable_fraction;
  StaticMemoryInputs in;
  in.parameters = static_cast<double>(model.parameter_count());
  in.zero_shards = zero_shards;
  in.zero_stage = stage;
  b.static_bytes = static_memory(in).total_bytes();
  b.activation_bytes_per_token = activation_bytes_per_token(model);
  return b;
}

}  // namespace spsim
