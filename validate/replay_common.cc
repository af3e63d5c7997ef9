// The parts of validate/replay.h that need no GPU: mode names and the
// memory estimate checked before a replay allocates.
#include "validate/launch_plan.h"
#include "validate/replay.h"

namespace spsim {

std::string_view replay_mode_name(ReplayMode mode) {
  switch (mode) {
    case ReplayMode::kMultiGpu: return "multi-gpu";
    case ReplayMode::kEmulated: return "emulated";
    case ReplayMode::kKernels: return "kernels";
  }
  return "?";
}

std::optional<ReplayMode> parse_replay_mode(std::string_view name) {
  for (ReplayMode m : {ReplayMode::kMultiGpu, ReplayMode::kEmulated, ReplayMode::kKernels})
    if (replay_mode_name(m) == name) return m;
  return std::nullopt;
}

double replay_tolerance(DType dtype) {
  switch (dtype) {
    case DType::kBF16: return 2e-2;
    case DType::kF16: return 5e-3;
    case DType::kF32:
    case DType::kF64: return 1e-5;
  }
  return 1e-5;
}

std::vector<double> replay_gpu_memory_bytes(const Program& program, const CommMatching& matching, ReplayMode mode) {
  const std::vector<double> per_rank = replay_memory_bytes(program, matching);
  if (mode == ReplayMode::kMultiGpu) return per_rank;
  // Emulated: every rank on one GPU. Kernels: one op's buffers at a time, but
  // the Program's buffers stay allocated (they give each op its operands), so
  // the same bound.
  double total = 0;
  for (double b : per_rank) total += b;
  return {total};
}

}  // namespace spsim
