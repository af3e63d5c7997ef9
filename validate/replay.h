#pragma once
// Replaying a Program on real GPUs (the `cuda` executor of DESIGN.md): the
// same Program the simulator and the host executor run, issued as the launch
// plan says (validate/launch_plan.h), with real kernels (validate/cuda/
// kernels.h; cuBLAS for Dense), NCCL for communication, CUDA events around
// every op.
//
// Modes:
// - kMultiGpu: rank r on GPU first_gpu + r of this machine, one process;
//   communication with NCCL (grouped ncclSend/ncclRecv, NCCL collectives on
//   staged contiguous arrays).
// - kEmulated: every rank on one GPU; communication as device copies (and a
//   sum kernel for reductions) between the ranks' buffers, with the same
//   rendezvous (a transfer starts when every side reached it). For numerics;
//   its times are not a cluster's.
// - kKernels: one GPU; each distinct compute op of the Program (by kind,
//   operand shapes and dtypes, visible pairs and mask) timed alone, with its
//   inputs rotated over several copies so that repeats do not run from L2: a
//   measured op table.
//
// Timing: `warmup` untimed runs, then `repeats` timed ones; an op's start and
// end are the medians over the repeats of its events' times from the start of
// the run (one reference event per GPU after a full synchronization).
//
// Everything here throws InputError for what the user can change (a mode
// that needs more GPUs than there are, a replay that does not fit the GPU's
// memory: the estimate and the limit in one line) and ReplayUnavailable when
// this build or this machine cannot replay at all (built without CUDA, no GPU).

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "program/comm_matching.h"
#include "program/program.h"
#include "validate/global_tensor.h"

namespace spsim {

enum class ReplayMode : std::uint8_t { kMultiGpu, kEmulated, kKernels };
std::string_view replay_mode_name(ReplayMode mode);  // "multi-gpu", "emulated", "kernels"
std::optional<ReplayMode> parse_replay_mode(std::string_view name);

class ReplayUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Why this build and machine cannot replay ("spsim was built without CUDA",
// "no CUDA device: ..."), or nullopt when they can.
std::optional<std::string> replay_unavailable_reason();
// CUDA devices of this machine (0 without CUDA or without a GPU).
std::uint32_t cuda_device_count();

struct ReplayOptions {
  ReplayMode mode = ReplayMode::kEmulated;
  std::uint32_t warmup = 2;
  std::uint32_t repeats = 5;
  std::uint32_t first_gpu = 0;
  // Input data: fresh uniform values from this seed; every buffer that is not
  // zero-initialized is poisoned (NaN) before each run.
  std::uint64_t seed = 1;
  // Global input tensors to load into the Program's input bindings and to
  // read its outputs back into (numerics); empty: random device data, no
  // outputs read.
  const std::map<Tensor, GlobalTensor>* inputs = nullptr;
};

struct ReplayedOp {
  OpId op{};
  double start_s = 0, end_s = 0;  // medians over the repeats, from the run's start (kernels: start 0)
  std::string kernel;             // what ran: a kernel name, "cublasGemmEx", "ncclSend", "cudaMemcpyAsync"
  std::uint32_t gpu = 0;          // device index
  std::uint32_t shares = 1;       // kernels mode: ops of the Program with this op's signature
};

struct ReplayResult {
  ReplayMode mode = ReplayMode::kEmulated;
  std::vector<std::string> gpu_names;  // per rank: "NVIDIA H200 (GPU 3)"
  std::string device_type;             // the GPU's name
  std::optional<double> step_s;        // median over repeats (not in kernels mode)
  std::uint32_t repeats = 0;
  std::vector<ReplayedOp> ops;         // op id order
  std::map<Tensor, GlobalTensor> outputs;  // when inputs were given
};

// The numerics check's tolerance for outputs of `dtype` (max |got - ref| /
// max |ref| against the float64 reference): bf16 keeps 8 significant bits
// (2^-8 = 3.9e-3 per rounding; sums of rounded products stay within a few of
// them), fp16 11, fp32 24 (fp64 tensors are computed in fp32 by the kernels).
double replay_tolerance(DType dtype);

// Device memory the replay of `program` needs on each GPU (ranks sharing a GPU
// in emulated mode add up), in bytes.
std::vector<double> replay_gpu_memory_bytes(const Program& program, const CommMatching& matching, ReplayMode mode);

ReplayResult replay_program(const Program& program, const CommMatching& matching, const ReplayOptions& options);

}  // namespace spsim
