#pragma once
// Dense reference linear attention in float64 (Eigen), written independently
// of the executor's state-based kernels: per sequence and head it materializes
// the full masked score matrix A = mask ⊙ (Q K^T) and multiplies. O(S^2) per
// sequence and head: for verification sizes.
//
// Numerics (op_kind.h, linear attention): causal o_t = sum_{s<=t} (q_t·k_s) v_s,
// full o_t = sum_s (q_t·k_s) v_s over the sequence; no softmax, no scale, no
// normalization, no decay. Query head h uses key/value head h / (H / Hkv).

#include <optional>

#include "validate/global_tensor.h"
#include "validate/reference_attention.h"

namespace spsim {

struct LinearReferenceOutputs {
  GlobalTensor out;                         // [tokens, H, Dv]
  std::optional<GlobalTensor> dq, dk, dv;   // when dout was given
};

// O = A V with A = mask ⊙ (Q K^T); for backward, with dA = mask ⊙ (dO V^T):
// dQ = dA K, dK = dA^T Q, dV = A^T dO (summed over the query heads of a
// key/value head). `in.causal` picks the mask.
LinearReferenceOutputs reference_linear_attention(const ReferenceInputs& in);

}  // namespace spsim
