#include "costmodel/device_profile.h"

#include "program/input_error.h"

namespace spsim {
namespace {

// ---- Shared defaults (../shared/reference/hardware.md unless said) ----

// "Kernel launch ≈ 2–5 µs from the host API; ≲1 µs per kernel inside a CUDA
// graph (?)": the midpoint of the host-API range. Calibratable.
constexpr double kLaunchS = 3.5e-6;

// One H100 80GB HBM3: "8192³ bf16 matmul ≈ 790–800 TFLOP/s" of 989 peak.
constexpr double kH100GemmEfficiency = 795.0 / 989.0;
// One H100 80GB HBM3: "device-to-device copy ≈3.0 TB/s (bytes read + written)"
// of 3350 GB/s.
constexpr double kH100MemoryEfficiency = 3.0e12 / 3.35e12;

// (?) Not in hardware.md: NCCL/HCCL run a communication kernel on some of the
// device's SMs (one CTA per channel); assuming ~10% of the SMs busy with it
// (e.g. 8–16 channels on a 108–132 SM part), compute runs 1/(1 − 0.1) ≈ 1.1x
// slower meanwhile. A calibration parameter.
constexpr double kCommComputeSlowdown = 1.1;

// ---- Attention kernels: fitted to the published FlashAttention series ----
// Tiles (Dao-AILab/flash-attention, head dim 128):
//   FA2 forward, sm80/sm90: 128 x 64 (csrc/flash_attn/src/flash_fwd_launch_template.h,
//     run_mha_fwd_hdim128);
//   FA2 backward, >= 144 KB shared memory (A100, H100): 64 x 128
//     (csrc/flash_attn/src/flash_bwd_launch_template.h, run_mha_bwd_hdim128);
//   FA3 forward, sm90, causal: 128 x 128 (hopper/tile_size.h, tile_size_fwd_sm90).
// Peaks the benchmarks ran at: A100 312, H100 989 TFLOP/s (hardware.md).
constexpr double kA100PeakFlopPerS = 312e12;
constexpr double kH100PeakFlopPerS = 989e12;

// FA2 fwd+bwd is published as one number. Both passes get that curve: the
// sum forward + backward (1 + 2.5 units of FLOPs) then reproduces the
// published time exactly; the split between them is an assumption (?) (FA2's
// backward alone is slower than its forward).
AttentionKernelModel fa2_a100_fwd() {
  return fit_attention_kernel(fa2_a100_fwdbwd_full(), fa2_a100_fwdbwd_causal(), 128, 64, kA100PeakFlopPerS).model;
}
AttentionKernelModel fa2_a100_bwd() {
  return fit_attention_kernel(fa2_a100_fwdbwd_full(), fa2_a100_fwdbwd_causal(), 64, 128, kA100PeakFlopPerS).model;
}
AttentionKernelModel fa2_h100_fwd() {
  return fit_attention_kernel(fa2_h100_fwdbwd_full(), fa2_h100_fwdbwd_causal(), 128, 64, kH100PeakFlopPerS).model;
}
AttentionKernelModel fa2_h100_bwd() {
  return fit_attention_kernel(fa2_h100_fwdbwd_full(), fa2_h100_fwdbwd_causal(), 64, 128, kH100PeakFlopPerS).model;
}
AttentionKernelModel fa3_h100_fwd() {
  return fit_attention_kernel(fa3_h100_fwd_full(), fa3_h100_fwd_causal(), 128, 128, kH100PeakFlopPerS).model;
}

struct Spec {
  const char* key;
  double peak_bf16, peak_fp32, hbm, memory;
  AttentionKernelModel fwd, bwd;
  double gemm_eff, mem_eff;
  const char* source;
};

DeviceProfile make(const Spec& s) {
  DeviceProfile p;
  p.name = s.key;
  p.peak_bf16_flop_per_s = s.peak_bf16;
  p.peak_fp32_flop_per_s = s.peak_fp32;
  p.hbm_bytes_per_s = s.hbm;
  p.memory_bytes = s.memory;
  p.launch_s = kLaunchS;
  p.attention_fwd = s.fwd;
  p.attention_bwd = s.bwd;
  p.gemm_efficiency = s.gemm_eff;
  p.memory_efficiency = s.mem_eff;
  p.comm_compute_slowdown = kCommComputeSlowdown;
  p.source = s.source;
  return p;
}

// Devices without their own published GEMM / copy measurement take the H100
// fractions (?); those without attention figures take the curves of the
// nearest fitted kernel, as fractions of their own peak (?).
std::vector<DeviceProfile> build_presets() {
  const AttentionKernelModel a100_fwd = fa2_a100_fwd(), a100_bwd = fa2_a100_bwd();
  const AttentionKernelModel h100_fa2_fwd = fa2_h100_fwd(), h100_fa2_bwd = fa2_h100_bwd();
  const AttentionKernelModel h100_fa3_fwd = fa3_h100_fwd();
  const double G = kH100GemmEfficiency, M = kH100MemoryEfficiency;
  const Spec specs[] = {
      // V100 SXM2: 125 TFLOP/s FP16, 900 GB/s, 16/32 GB (hardware.md, NVIDIA
      // datasheet; the 32 GB part). FP32 15.7 TFLOP/s: NVIDIA V100 datasheet (?).
      // FlashAttention-2 does not run on Volta: A100 FA2 curves (?).
      {"v100-sxm2", 125e12, 15.7e12, 900e9, 32e9, a100_fwd, a100_bwd, G, M,
       "hardware.md (NVIDIA V100 datasheet); FP32 15.7 TFLOP/s datasheet (?); attention curves "
       "of FA2 on A100 (?); GEMM/copy efficiency of H100 (?)"},
      // A100 SXM4: 312 TFLOP/s, 1555 GB/s (40GB) / 2039 GB/s (80GB) (hardware.md,
      // NVIDIA A100 datasheet). FP32 19.5 TFLOP/s: A100 datasheet (?).
      {"a100-sxm4-40gb", 312e12, 19.5e12, 1555e9, 40e9, a100_fwd, a100_bwd, G, M,
       "hardware.md (NVIDIA A100 datasheet); FP32 19.5 TFLOP/s datasheet (?); attention curves "
       "fitted to FA2 fwd+bwd A100 (fwd/bwd split (?)); GEMM/copy efficiency of H100 (?)"},
      {"a100-sxm4-80gb", 312e12, 19.5e12, 2039e9, 80e9, a100_fwd, a100_bwd, G, M,
       "hardware.md (NVIDIA A100 datasheet); FP32 19.5 TFLOP/s datasheet (?); attention curves "
       "fitted to FA2 fwd+bwd A100 (fwd/bwd split (?)); GEMM/copy efficiency of H100 (?)"},
      // H100 SXM5: 989 TFLOP/s, 3350 GB/s, 80 GB (hardware.md, NVIDIA H100
      // datasheet). FP32 67 TFLOP/s: H100 datasheet (?). Forward: FA3 fit;
      // backward: FA2 fwd+bwd fit (no FA3 backward figure in hardware.md (?)).
      {"h100-sxm5", 989e12, 67e12, 3350e9, 80e9, h100_fa3_fwd, h100_fa2_bwd, G, M,
       "hardware.md (NVIDIA H100 datasheet; measured 8192^3 matmul and D2D copy); FP32 67 "
       "TFLOP/s datasheet (?); forward curves fitted to FA3 fwd H100, backward to FA2 fwd+bwd "
       "H100 (?)"},
      // H200 SXM: same GH100 die and 989 TFLOP/s, 4800 GB/s, 141 GB (hardware.md,
      // NVIDIA H200 datasheet): the H100 curves (?).
      {"h200-sxm", 989e12, 67e12, 4800e9, 141e9, h100_fa3_fwd, h100_fa2_bwd, G, M,
       "hardware.md (NVIDIA H200 datasheet); FP32 67 TFLOP/s as H100 (?); H100 attention curves "
       "(same die) (?); GEMM/copy efficiency of H100 (?)"},
      // B200: 2250 TFLOP/s, ~8000 GB/s, 180 GB (hardware.md, DGX B200 datasheet).
      // FP32 80 TFLOP/s (?). No Blackwell attention figure: FA2-on-H100 curves,
      // the conservative choice (a kernel not tuned for the architecture) (?).
      {"b200", 2250e12, 80e12, 8000e9, 180e9, h100_fa2_fwd, h100_fa2_bwd, G, M,
       "hardware.md (DGX B200 datasheet); FP32 80 TFLOP/s (?); attention curves of FA2 on H100 "
       "(?); GEMM/copy efficiency of H100 (?)"},
      // L40S: 362 TFLOP/s, 864 GB/s, 48 GB (hardware.md, NVIDIA L40S datasheet);
      // FP32 91.6 TFLOP/s datasheet (?). Ada runs FA2: A100 FA2 curves (?).
      {"l40s", 362e12, 91.6e12, 864e9, 48e9, a100_fwd, a100_bwd, G, M,
       "hardware.md (NVIDIA L40S datasheet); FP32 91.6 TFLOP/s datasheet (?); attention curves "
       "of FA2 on A100 (?); GEMM/copy efficiency of H100 (?)"},
      // A10: 125 TFLOP/s, 600 GB/s, 24 GB (hardware.md, NVIDIA A10 datasheet);
      // FP32 31.2 TFLOP/s datasheet (?).
      {"a10", 125e12, 31.2e12, 600e9, 24e9, a100_fwd, a100_bwd, G, M,
       "hardware.md (NVIDIA A10 datasheet); FP32 31.2 TFLOP/s datasheet (?); attention curves "
       "of FA2 on A100 (?); GEMM/copy efficiency of H100 (?)"},
      // RTX 4090: 165 TFLOP/s with FP32 accumulate (?), 1008 GB/s, 24 GB
      // (hardware.md, spec pages); FP32 82.6 TFLOP/s spec pages (?).
      {"rtx4090", 165e12, 82.6e12, 1008e9, 24e9, a100_fwd, a100_bwd, G, M,
       "hardware.md (spec pages; 165 TFLOP/s FP32-accumulate (?)); FP32 82.6 TFLOP/s (?); "
       "attention curves of FA2 on A100 (?); GEMM/copy efficiency of H100 (?)"},
      // Ascend 910: 256 TFLOP/s FP16 (hardware.md, Hot Chips 2019), 32 GB (?).
      // HBM bandwidth not in hardware.md: 1.2 TB/s (4 HBM2 stacks, Hot Chips
      // 2019 as recalled) (?). FP32: no figure; placeholder 1/16 of FP16 (?).
      {"ascend910", 256e12, 256e12 / 16, 1.2e12, 32e9, a100_fwd, a100_bwd, G, M,
       "hardware.md (Hot Chips 2019; memory (?)); HBM 1.2 TB/s (?); FP32 placeholder 1/16 of "
       "FP16 (?); attention curves of FA2 on A100 (?); GEMM/copy efficiency of H100 (?)"},
      // Ascend 910B: "~320 (SKUs 280–376) (?); measured BF16 matmul 328" TFLOP/s,
      // ~1.6 TB/s (?), 64 GB (hardware.md, vendor sheets, public benchmarks).
      // A 328 TFLOP/s matmul exceeds the ~320 nominal, so the measured part is
      // taken as the 376 SKU and GEMM efficiency as 328/376 (?).
      {"ascend910b", 376e12, 376e12 / 16, 1.6e12, 64e9, a100_fwd, a100_bwd, 328.0 / 376.0, M,
       "hardware.md (vendor sheets, public benchmarks): peak 376 SKU (?), GEMM efficiency "
       "328/376 from the measured matmul (?), HBM 1.6 TB/s (?); FP32 placeholder 1/16 of BF16 "
       "(?); attention curves of FA2 on A100 (?); copy efficiency of H100 (?)"},
  };
  std::vector<DeviceProfile> out;
  for (const Spec& s : specs) out.push_back(make(s));
  return out;
}

const std::vector<DeviceProfile>& presets() {
  static const std::vector<DeviceProfile> all = build_presets();
  return all;
}

}  // namespace

const DeviceProfile& device_profile_preset(std::string_view key) {
  for (const DeviceProfile& p : presets())
    if (p.name == key) return p;
  std::string keys;
  for (const DeviceProfile& p : presets()) keys += (keys.empty() ? "" : ", ") + p.name;
  throw InputError("device profile '" + std::string(key) + "'", "one of: " + keys);
}

std::vector<std::string> device_profile_names() {
  std::vector<std::string> names;
  for (const DeviceProfile& p : presets()) names.push_back(p.name);
  return names;
}

}  // namespace spsim
