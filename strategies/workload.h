#pragma once
// What one attention layer computes: the sequences, the attention shape, the
// dtype, the mask and the pass. A batch of B sequences of length S is B equal
// entries of seq_lens; packed variable-length input (cu_seqlens) is the list of
// its lengths. Attention never crosses sequences.

#include <cstdint>
#include <string>
#include <vector>

#include "program/dtype.h"

namespace spsim {

enum class Pass : std::uint8_t { kForward, kForwardBackward };

struct Workload {
  std::vector<std::int64_t> seq_lens{4096};
  std::uint32_t heads = 32;     // query heads H
  std::uint32_t kv_heads = 32;  // key/value heads Hkv (GQA when < heads)
  std::uint32_t head_dim = 128; // D
  DType dtype = DType::kBF16;
  bool causal = true;
  Pass pass = Pass::kForward;

  std::int64_t total_tokens() const;
  std::int64_t max_seq_len() const;
  std::uint32_t q_per_kv() const { return heads / kv_heads; }
  bool backward() const { return pass == Pass::kForwardBackward; }
  // "B=2 S=4096 H=32/8 D=128 bf16 causal fwd" — one line for tables and logs.
  std::string describe() const;
};

// Checks the fields every strategy relies on (positive sizes, heads divisible
// by kv_heads); throws InputError naming the offending field. `prefix` is how
// fields are named to the user, e.g. "--" for flags.
void validate_workload(const Workload& w, const std::string& prefix = "--");

std::string_view pass_name(Pass p);  // "fwd" / "fwd+bwd"

}  // namespace spsim
