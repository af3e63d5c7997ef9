#include "costmodel/memory_model.h"

#include <algorithm>
#include <string>

#include "program/input_error.h"

namespace spsim {

StaticMemory static_memory(const StaticMemoryInputs& in) {
  const std::string where = "static memory";
  if (!(in.parameters >= 0)) throw InputError(where, "a parameter count >= 0");
  if (!(in.weight_bytes_per_param >= 0) || !(in.grad_bytes_per_param >= 0) ||
      !(in.optimizer_bytes_per_param >= 0))
    throw InputError(where, "bytes per parameter >= 0");
  if (in.zero_shards == 0) throw InputError(where, "a ZeRO shard count >= 1");
  const double nd = in.zero_shards;
  const auto stage = static_cast<int>(in.zero_stage);
  StaticMemory m;
  m.weights_bytes = in.parameters * in.weight_bytes_per_param / (stage >= 3 ? nd : 1);
  m.gradients_bytes = in.parameters * in.grad_bytes_per_param / (stage >= 2 ? nd : 1);
  m.optimizer_bytes = in.parameters * in.optimizer_bytes_per_param / (stage >= 1 ? nd : 1);
  return m;
}

double resident_bytes(const Program& p, std::span<const BufferId> buffers) {
  std::vector<BufferId> roots;
  roots.reserve(buffers.size());
  for (BufferId b : buffers) roots.push_back(p.root(b));
  std::sort(roots.begin(), roots.end());
  roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
  double total = 0;
  for (BufferId b : roots) total += static_cast<double>(p.buffer(b).bytes());
  return total;
}

std::vector<double> allocated_bytes_per_rank(const Program& p) {
  std::vector<double> bytes(p.num_ranks(), 0.0);
  for (std::size_t i = 0; i < p.num_buffers(); ++i) {
    const Buffer& b = p.buffer(buffer_id(i));
    if (b.parent) continue;
    bytes[b.rank] += static_cast<double>(b.bytes());
  }
  return bytes;
}

}  // namespace spsim
