#pragma once
// `spsim verify`: lower a strategy to a Program, check it, run it on the host
// executor against dense reference attention of the strategy's kind (softmax:
// reference_attention.h; linear: reference_linear_attention.h), and report
// the errors.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "program/comm_matching.h"
#include "program/program.h"
#include "strategies/strategy.h"
#include "validate/global_tensor.h"

namespace spsim {

struct VerifyOptions {
  std::uint64_t seed = 1;      // input data and execution order
  double tolerance = 1e-9;     // max relative error allowed per tensor
};

// The host memory verify_program needs, in bytes: every root buffer of the
// program (the host executor holds them all, as float64), the global inputs,
// outputs and reference results, and for softmax the reference's dense
// S x S matrices of the longest sequence (scores, probabilities and their
// gradients, with Eigen's temporaries: six of them). Callers with a memory
// limit check it before verify_program allocates (tools/cmd_verify.cc).
double verify_memory_bytes(const Program& program, const Workload& workload, AttentionKind kind);

struct TensorCheck {
  Tensor tensor;
  double max_rel_error;  // max |got - ref| / max |ref|
};

struct VerifyReport {
  std::size_t ops = 0;
  std::size_t buffers = 0;
  std::vector<TensorCheck> checks;  // out, lse (softmax, if produced), and dq, dk, dv for fwd+bwd
  bool passed = false;              // every check below tolerance
};

// Throws InputError for an invalid workload or a refused combination, and
// ProgramError when the lowered Program breaks its contract.
VerifyReport verify_strategy(const Strategy& strategy, const Workload& workload,
                             const StrategyOptions& options, const VerifyOptions& verify = {});

// Runs a Program on global input tensors and returns its output tensors:
// the host executor (run_on_host) unless another executor is given (the CUDA
// replay's numerics check).
using ProgramRunner =
    std::function<std::map<Tensor, GlobalTensor>(const Program&, const CommMatching&, const std::map<Tensor, GlobalTensor>&)>;

// Runs an already-lowered single-layer attention Program (as lower_attention
// builds) against the reference of `kind`; used by verify_strategy (with the
// strategy's attention_kind) and by tests that mutate Programs. A linear
// Program must not bind an lse output (ProgramError). `run` executes it
// (empty: the host executor with the seed's order).
VerifyReport verify_program(const Program& program, const Workload& workload,
                            const VerifyOptions& verify = {},
                            AttentionKind kind = AttentionKind::kSoftmax, const ProgramRunner& run = {});

}  // namespace spsim
