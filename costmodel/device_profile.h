#pragma once
// A device (GPU/NPU) as the cost model sees it: peak rates, memory, launch
// overhead and kernel efficiency curves. Presets carry their sources; a
// calibrated profile is a JSON file (device_profile_json.h).
//
// Compute time of one kernel (op_cost.h):
//   t = launch_s + max(flops / (peak · eff(shape)), bytes / (hbm_bytes_per_s · memory_efficiency))
// with eff from the attention curves (attention_efficiency.h), gemm_efficiency
// for dense GEMMs, and no FLOP term for memory-bound kernels.
//
// Units: FLOP/s, bytes/s, bytes, seconds. Efficiencies are fractions of peak.

#include <string>
#include <string_view>
#include <vector>

#include "costmodel/attention_efficiency.h"
#include "program/dtype.h"

namespace spsim {

struct DeviceProfile {
  std::string name;  // preset key or user label, e.g. "h100-sxm5"
  double peak_bf16_flop_per_s = 0;  // dense tensor-core BF16/FP16, no sparsity
  double peak_fp32_flop_per_s = 0;  // FP32 without tensor cores (CUDA cores / vector unit)
  double hbm_bytes_per_s = 0;       // device memory bandwidth
  double memory_bytes = 0;          // device memory capacity
  double launch_s = 0;              // added to every kernel
  AttentionKernelModel attention_fwd;  // AttnFwd blocks
  AttentionKernelModel attention_bwd;  // AttnBwd blocks
  double gemm_efficiency = 0;    // fraction of peak a large dense GEMM reaches
  double memory_efficiency = 0;  // fraction of hbm_bytes_per_s a streaming kernel reaches
  // Factor by which compute kernels slow down while a communication kernel
  // runs on the same device (NCCL/HCCL kernels occupy SMs / cores). >= 1.
  double comm_compute_slowdown = 1;
  std::string source;  // where the numbers come from; "(?)" marks uncertain ones

  // Peak for kernels on this element type: BF16/FP16 on tensor cores, FP32
  // (and FP64, optimistically) on the FP32 units.
  double peak_flop_per_s(DType t) const {
    return (t == DType::kF16 || t == DType::kBF16) ? peak_bf16_flop_per_s : peak_fp32_flop_per_s;
  }

  friend bool operator==(const DeviceProfile&, const DeviceProfile&) = default;
};

// The built-in profile for `key` (see device_profile_names()). Throws
// InputError("device profile 'key'", "one of: ...") for an unknown key. The
// reference stays valid for the life of the program.
const DeviceProfile& device_profile_preset(std::string_view key);

// Preset keys, in a fixed order: v100-sxm2, a100-sxm4-40gb, a100-sxm4-80gb,
// h100-sxm5, h200-sxm, b200, l40s, a10, rtx4090, ascend910, ascend910b.
std::vector<std::string> device_profile_names();

}  // namespace spsim
