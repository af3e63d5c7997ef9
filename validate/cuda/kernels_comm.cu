// Element-wise helpers of the CUDA executor outside any op kind: the sum of
// emulated reductions and random inputs for timing replays. Grid-stride
// loops, 256 threads a block.
#include "validate/cuda/device_tensor.cuh"

namespace spsim::cuda {
namespace {

constexpr int kThreads = 256;

unsigned blocks_for(std::uint64_t n) {
  const std::uint64_t b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 65535u * 16u ? b : 65535u * 16u);
}

__global__ void add_into_kernel(DevTensor dst, DevTensor src, std::uint64_t n) {
  for (std::uint64_t i = blockIdx.x * std::uint64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::uint64_t{gridDim.x} * blockDim.x)
    store(dst, i, load(dst, i) + load(src, i));
}

__global__ void fill_random_kernel(DevTensor t, std::uint64_t seed, std::uint64_t n) {
  for (std::uint64_t i = blockIdx.x * std::uint64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::uint64_t{gridDim.x} * blockDim.x) {
    // splitmix64 of (seed, i)
    std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + i;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    store(t, i, static_cast<double>(z >> 11) * 0x1.0p-52 - 1.0);
  }
}

}  // namespace

cudaError_t add_into(void* dst, const void* src, DType dtype, std::uint64_t elements, cudaStream_t stream) {
  if (elements == 0) return cudaSuccess;
  DevTensor d{dst, dtype, 1, 1, 1, 0}, s{const_cast<void*>(src), dtype, 1, 1, 1, 0};
  add_into_kernel<<<blocks_for(elements), kThreads, 0, stream>>>(d, s, elements);
  return cudaGetLastError();
}

cudaError_t fill_random(DevTensor t, std::uint64_t seed, cudaStream_t stream) {
  const std::uint64_t n = std::uint64_t{t.rows} * t.heads * t.cols;
  if (n == 0) return cudaSuccess;
  fill_random_kernel<<<blocks_for(n), kThreads, 0, stream>>>(t, seed, n);
  return cudaGetLastError();
}

}  // namespace spsim::cuda
