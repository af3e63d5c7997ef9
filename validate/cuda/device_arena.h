#pragma once
// Device memory of the CUDA executor: blocks allocated on a given GPU and
// freed there when the arena goes.

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>
#include <vector>

#include "validate/cuda/cuda_check.h"

namespace spsim::cuda {

// Device memory owned by the replay, freed on the right device.
class DeviceArena {
 public:
  ~DeviceArena() {
    for (auto& [dev, ptr] : blocks_) {
      cudaSetDevice(dev);
      cudaFree(ptr);
    }
  }
  void* alloc(int device, std::size_t bytes) {
    if (bytes == 0) bytes = 16;
    void* p = nullptr;
    CUDA_OK(cudaSetDevice(device));
    CUDA_OK(cudaMalloc(&p, bytes));
    blocks_.emplace_back(device, p);
    return p;
  }
  template <class T>
  T* upload(int device, const std::vector<T>& v) {
    T* p = static_cast<T*>(alloc(device, v.size() * sizeof(T)));
    if (!v.empty()) CUDA_OK(cudaMemcpy(p, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
    return p;
  }

 private:
  std::vector<std::pair<int, void*>> blocks_;
};

}  // namespace spsim::cuda
