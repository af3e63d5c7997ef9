#include "strategies/strategy.h"

namespace spsim {

std::string_view ring_backward_name(RingBackward mode) {
  switch (mode) {
    case RingBackward::kRingFlashAttn: return "ring-flash-attn";
    case RingBackward::kTransformerEngine: return "transformer-engine";
  }
  return "?";
}

std::optional<RingBackward> parse_ring_backward(std::string_view name) {
  for (RingBackward m : {RingBackward::kRingFlashAttn, RingBackward::kTransformerEngine})
    if (name == ring_backward_name(m)) return m;
  return std::nullopt;
}

Workload padded_workload(const Strategy& s, const Workload& w, const StrategyOptions& o) {
  Workload p = w;
  const std::int64_t m = s.sequence_multiple(w, o);
  if (m > 1) p.seq_lens = pad_to_multiple(w.seq_lens, m);
  return p;
}

std::int64_t padding_tokens(const Strategy& s, const Workload& w, const StrategyOptions& o) {
  return padded_workload(s, w, o).total_tokens() - w.total_tokens();
}

std::optional<std::string> refuse_layer_kind(const Strategy& s, const StrategyOptions& o) {
  if (!o.layer_kind || *o.layer_kind == s.attention_kind(o)) return std::nullopt;
  return std::string(s.name()) + " emits " + std::string(attention_kind_name(s.attention_kind(o))) +
         " attention layers, not " + std::string(attention_kind_name(*o.layer_kind)) + " ones";
}

std::optional<std::string> refuse_degree(const Workload& w, const StrategyOptions& o) {
  if (o.sp == 0) return "the SP degree must be at least 1";
  for (auto s : w.seq_lens)
    if (s < o.sp)
      return "the SP degree " + std::to_string(o.sp) + " exceeds a sequence of " +
             std::to_string(s) + " tokens (P > S)";
  return std::nullopt;
}

std::optional<std::string> refuse_indivisible(const Workload& w, std::int64_t parts,
                                              std::string_view what) {
  for (auto s : w.seq_lens)
    if (s % parts != 0)
      return "sequence length " + std::to_string(s) + " is not divisible by " + std::string(what) +
             " = " + std::to_string(parts);
  return std::nullopt;
}

}  // namespace spsim
