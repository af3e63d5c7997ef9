#pragma once
// Dense reference attention in float64 (Eigen), written independently of the
// executor's blockwise kernels: per sequence and head it materializes the full
// score matrix. O(S^2) memory per sequence and head: for verification sizes.

#include <optional>

#include "validate/global_tensor.h"

namespace spsim {

struct ReferenceInputs {
  const GlobalTensor& q;  // [tokens, H, D]
  const GlobalTensor& k;  // [tokens, Hkv, D]
  const GlobalTensor& v;  // [tokens, Hkv, Dv]
  const GlobalTensor* dout = nullptr;  // [tokens, H, Dv]; backward when set
  bool causal = true;
};

struct ReferenceOutputs {
  GlobalTensor out, lse;                    // lse: [tokens, H, 1]; -inf for rows that see no key
  std::optional<GlobalTensor> dq, dk, dv;   // when dout was given
};

// softmax(q k^T / sqrt(D)) v per sequence, with query head h using key/value
// head h / (H / Hkv), and the exact gradients when dout is given.
ReferenceOutputs reference_attention(const ReferenceInputs& in);

}  // namespace spsim
