#pragma once
// Device-side element access of a DevTensor (kernels.h): load as float (or
// double for fp64 tensors), store rounding to the tensor's dtype. Included
// by the .cu files of validate/cuda only.

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "validate/cuda/kernels.h"

namespace spsim::cuda {

__device__ inline std::size_t elem_index(const DevTensor& t, std::size_t row, std::size_t head, std::size_t col) {
  return (row * t.heads + head) * t.cols + col;
}

__device__ inline double load(const DevTensor& t, std::size_t i) {
  switch (t.dtype) {
    case DType::kBF16: return __bfloat162float(static_cast<const __nv_bfloat16*>(t.data)[i]);
    case DType::kF16: return __half2float(static_cast<const __half*>(t.data)[i]);
    case DType::kF32: return static_cast<const float*>(t.data)[i];
    case DType::kF64: return static_cast<const double*>(t.data)[i];
  }
  return 0;
}

__device__ inline void store(const DevTensor& t, std::size_t i, double v) {
  switch (t.dtype) {
    case DType::kBF16: static_cast<__nv_bfloat16*>(t.data)[i] = __float2bfloat16_rn(static_cast<float>(v)); return;
    case DType::kF16: static_cast<__half*>(t.data)[i] = __float2half_rn(static_cast<float>(v)); return;
    case DType::kF32: static_cast<float*>(t.data)[i] = static_cast<float>(v); return;
    case DType::kF64: static_cast<double*>(t.data)[i] = v; return;
  }
}

// t[i] += v, atomically (several threads add into one element).
__device__ inline void atomic_add(const DevTensor& t, std::size_t i, double v) {
  switch (t.dtype) {
    case DType::kBF16: atomicAdd(static_cast<__nv_bfloat16*>(t.data) + i, __float2bfloat16_rn(static_cast<float>(v))); return;
    case DType::kF16: atomicAdd(static_cast<__half*>(t.data) + i, __float2half_rn(static_cast<float>(v))); return;
    case DType::kF32: atomicAdd(static_cast<float*>(t.data) + i, static_cast<float>(v)); return;
    case DType::kF64: atomicAdd(static_cast<double*>(t.data) + i, v); return;
  }
}

__device__ inline bool visible(const DevPositions& q, std::size_t i, const DevPositions& k, std::size_t j,
                               bool causal) {
  const std::uint32_t sq = q.seq[i];
  return sq == k.seq[j] && (sq & 0x80000000u) == 0 && (!causal || k.pos[j] <= q.pos[i]);
}

}  // namespace spsim::cuda
