#pragma once
// Errors of the CUDA runtime, NCCL and cuBLAS as exceptions naming the call
// (CUDA_OK(cudaMalloc(...)) throws "CUDA: cudaMalloc(...): out of memory"):
// what the CUDA executor does with every status it gets.

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <nccl.h>

#include <stdexcept>
#include <string>

namespace spsim::cuda {

inline void cuda_ok(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string("CUDA: ") + what + ": " + cudaGetErrorString(e));
}
inline void nccl_ok(ncclResult_t e, const char* what) {
  if (e != ncclSuccess) throw std::runtime_error(std::string("NCCL: ") + what + ": " + ncclGetErrorString(e));
}
inline void cublas_ok(cublasStatus_t e, const char* what) {
  if (e != CUBLAS_STATUS_SUCCESS)
    throw std::runtime_error(std::string("cuBLAS: ") + what + ": status " + std::to_string(static_cast<int>(e)));
}

}  // namespace spsim::cuda

#define CUDA_OK(x) spsim::cuda::cuda_ok((x), #x)
#define NCCL_OK(x) spsim::cuda::nccl_ok((x), #x)
#define CUBLAS_OK(x) spsim::cuda::cublas_ok((x), #x)
