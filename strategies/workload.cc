#include "strategies/workload.h"

#include <algorithm>

#include "program/input_error.h"

namespace spsim {

std::int64_t Workload::total_tokens() const {
  std::int64_t n = 0;
  for (auto s : seq_lens) n += s;
  return n;
}

std::int64_t Workload::max_seq_len() const {
  return seq_lens.empty() ? 0 : *std::max_element(seq_lens.begin(), seq_lens.end());
}

std::string_view pass_name(Pass p) { return p == Pass::kForward ? "fwd" : "fwd+bwd"; }

std::string Workload::describe() const {
  std::string s;
  const bool uniform = std::all_of(seq_lens.begin(), seq_lens.end(),
                                   [&](std::int64_t x) { return x == seq_lens.front(); });
  if (uniform && !seq_lens.empty())
    s = "B=" + std::to_string(seq_lens.size()) + " S=" + std::to_string(seq_lens.front());
  else
    s = std::to_string(seq_lens.size()) + " packed seqs, " + std::to_string(total_tokens()) + " tokens";
  s += " H=" + std::to_string(heads);
  if (kv_heads != heads) s += "/" + std::to_string(kv_heads);
  s += " D=" + std::to_string(head_dim) + " " + std::string(dtype_name(dtype)) +
       (causal ? " causal " : " full ") + std::string(pass_name(pass));
  return s;
}

void validate_workload(const Workload& w, const std::string& prefix) {
  if (w.seq_lens.empty()) throw InputError(prefix + "seq", "at least one sequence is needed");
  for (auto s : w.seq_lens)
    if (s <= 0) throw InputError(prefix + "seq", "sequence lengths must be positive, got " + std::to_string(s));
  if (w.heads == 0) throw InputError(prefix + "heads", "must be at least 1");
  if (w.kv_heads == 0) throw InputError(prefix + "kv-heads", "must be at least 1");
  if (w.head_dim == 0) throw InputError(prefix + "dim", "must be at least 1");
  if (w.heads % w.kv_heads != 0)
    throw InputError(prefix + "kv-heads", "must divide the query heads (" + std::to_string(w.heads) +
                                              "), got " + std::to_string(w.kv_heads));
}

}  // namespace spsim
