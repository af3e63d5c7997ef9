#pragma once
// Device helpers shared by the softmax-attention kernels of the CUDA executor
// (kernels_flash.cu, kernels_rsa.cu, kernels_rows.cu): constants, float loads
// of any dtype, vector loads from shared memory. Included by .cu files only.

#include <cstddef>
#include <cstdint>
#include <limits>

#include "validate/cuda/device_tensor.cuh"

namespace spsim::cuda {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr std::uint32_t kFullMask = 0xffffffffu;
constexpr int kLanes = 16;  // lanes along a tile row (tx)

constexpr unsigned ceil_div(std::size_t n, std::size_t d) { return static_cast<unsigned>((n + d - 1) / d); }

__device__ inline float ldf(const DevTensor& t, std::size_t i) { return static_cast<float>(load(t, i)); }

// v = p[0, N) from shared memory; p is aligned to 4 floats (N % 4 == 0) or to
// 2 floats (N == 2).
template <int N>
__device__ inline void load_vec(const float* p, float (&v)[N]) {
  if constexpr (N % 4 == 0) {
#pragma unroll
    for (int k = 0; k < N / 4; ++k) {
      const float4 x = reinterpret_cast<const float4*>(p)[k];
      v[4 * k] = x.x, v[4 * k + 1] = x.y, v[4 * k + 2] = x.z, v[4 * k + 3] = x.w;
    }
  } else {
    static_assert(N == 2);
    const float2 x = *reinterpret_cast<const float2*>(p);
    v[0] = x.x, v[1] = x.y;
  }
}

}  // namespace spsim::cuda
