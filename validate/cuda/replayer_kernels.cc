// Kernels mode of the CUDA executor (replayer.h): each distinct compute op
// timed alone on one GPU, its inputs rotated over copies.

#include "validate/cuda/replayer.h"

#include <algorithm>
#include <cmath>

#include "validate/cuda/cuda_check.h"

namespace spsim::cuda {

std::string Replayer::signature(OpId id) const {
  const Op& o = p_.op(id);
  std::string s = std::string(op_kind_name(o.kind)) + "/" + std::to_string(o.flags) + "/" + std::to_string(o.work);
  for (BufferId b : p_.operands(id)) {
    const Buffer& x = p_.buffer(b);
    s += "/" + std::to_string(x.rows) + "x" + std::to_string(x.heads) + "x" + std::to_string(x.cols) +
         std::string(dtype_name(x.dtype));
  }
  return s;
}

void Replayer::time_kernels(ReplayResult& r) {
  std::map<std::string, std::pair<OpId, std::uint32_t>> distinct;  // signature -> first op, count
  for (std::size_t i = 0; i < p_.num_ops(); ++i) {
    const OpId id = op_id(i);
    if (op_kind_info(p_.op(id).kind).category == OpCategory::kComm) continue;
    auto [it, fresh] = distinct.try_emplace(signature(id), id, 0);
    ++it->second.second;
  }
  cudaDeviceProp prop{};
  CUDA_OK(cudaGetDeviceProperties(&prop, static_cast<int>(o_.first_gpu)));
  const double l2 = static_cast<double>(prop.l2CacheSize);
  CUDA_OK(cudaSetDevice(static_cast<int>(o_.first_gpu)));
  cudaStream_t s = streams_[0];
  const cudaEvent_t a = make_event(static_cast<int>(o_.first_gpu), true), b = make_event(static_cast<int>(o_.first_gpu), true);
  std::vector<std::pair<OpId, std::uint32_t>> ops;
  for (const auto& [sig, v] : distinct) ops.push_back(v);
  std::sort(ops.begin(), ops.end());
  for (const auto& [id, count] : ops) {
    // Copies of the op's root buffers so that consecutive repeats read
    // different memory: as many as fill twice the L2, at most 8.
    std::vector<BufferId> roots;
    double bytes = 0;
    for (BufferId x : p_.operands(id))
      if (std::find(roots.begin(), roots.end(), p_.root(x)) == roots.end()) {
        roots.push_back(p_.root(x));
        bytes += static_cast<double>(p_.buffer(p_.root(x)).bytes());
      }
    const std::uint32_t copies = static_cast<std::uint32_t>(std::clamp(std::ceil(2 * l2 / std::max(bytes, 1.0)), 1.0, 8.0));
    std::vector<std::vector<void*>> sets(copies);
    DeviceArena local;
    for (std::uint32_t c = 0; c < copies; ++c)
      for (BufferId root : roots) {
        void* ptr = c == 0 ? root_[idx(root)] : local.alloc(static_cast<int>(o_.first_gpu), p_.buffer(root).bytes());
        sets[c].push_back(ptr);
        const Buffer& rb = p_.buffer(root);
        CUDA_OK(cuda::fill_random(DevTensor{ptr, rb.dtype, rb.rows, rb.heads, rb.cols, rb.head_begin},
                                  o_.seed + idx(root) + c, s));
      }
    std::vector<double> times;
    for (std::uint32_t rep = 0; rep < o_.warmup + o_.repeats; ++rep) {
      for (std::size_t k = 0; k < roots.size(); ++k) root_[idx(roots[k])] = sets[rep % copies][k];
      CUDA_OK(cudaEventRecord(a, s));
      compute(id, s);
      CUDA_OK(cudaEventRecord(b, s));
      CUDA_OK(cudaEventSynchronize(b));
      float ms = 0;
      CUDA_OK(cudaEventElapsedTime(&ms, a, b));
      if (rep >= o_.warmup) times.push_back(ms * 1e-3);
    }
    for (std::size_t k = 0; k < roots.size(); ++k) root_[idx(roots[k])] = sets[0][k];
    r.ops.push_back({id, 0.0, median(times), kernel_of(id), o_.first_gpu, count});
  }
}

}  // namespace spsim::cuda
