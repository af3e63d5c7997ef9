#pragma once
// One attention layer as a complete Program: what `spsim verify` executes and
// what tests inspect.

#include "program/program.h"
#include "strategies/strategy.h"

namespace spsim {

// P = options.sp ranks; on each, q, k, v (and dout for fwd+bwd) in the
// strategy's shard layout bound as inputs, the strategy's layer(s), and out,
// lse (if the strategy has one), dq, dk, dv bound as outputs. Throws
// InputError("--strategy", reason) when the strategy refuses the workload,
// InputError("--layer-kind", reason) when options.layer_kind asks for a kind
// the strategy does not emit, and InputError for an invalid workload.
Program lower_attention(const Strategy& strategy, const Workload& workload,
                        const StrategyOptions& options);

}  // namespace spsim
