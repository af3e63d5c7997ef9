#pragma once
// Static memory per device: model weights, gradients and optimizer states
// under data-parallel ZeRO sharding, plus helpers for the bytes of Program
// buffers (activations). Model shapes arrive as numbers: no strategies/ here.
//
// ZeRO (Rajbhandari et al., "ZeRO: Memory Optimizations Toward Training
// Trillion Parameter Models", SC 2020, §5.1): with Ψ parameters, Nd shards,
// mixed-precision Adam (2 bytes weights, 2 bytes gradients, K = 12 bytes of
// fp32 master weights + momentum + variance):
//   stage 0:  (2 + 2 + K)·Ψ            stage 2:  2Ψ + (2 + K)·Ψ/Nd
//   stage 1:  (2 + 2)·Ψ + K·Ψ/Nd       stage 3:  (2 + 2 + K)·Ψ/Nd
// Here the byte widths are inputs. Sequence parallelism does not shard
// weights: SP ranks hold full replicas unless the caller counts them in the
// ZeRO group (as DeepSpeed-Ulysses does by sharding over data x sequence
// ranks): `zero_shards` is whatever group the states are sharded over.

#include <cstdint>
#include <span>
#include <vector>

#include "program/program.h"

namespace spsim {

enum class ZeroStage : std::uint8_t {
  kNone = 0,        // everything replicated
  kOptimizer = 1,   // optimizer states sharded
  kGradients = 2,   // + gradients
  kParameters = 3,  // + weights
};

struct StaticMemoryInputs {
  double parameters = 0;                  // Ψ: parameters of the model replica on this device
  double weight_bytes_per_param = 2;      // bf16 weights
  double grad_bytes_per_param = 2;        // bf16 gradients
  double optimizer_bytes_per_param = 12;  // Adam: fp32 master + m + v (ZeRO's K = 12)
  std::uint32_t zero_shards = 1;          // Nd: ranks the sharded states are split over
  ZeroStage zero_stage = ZeroStage::kNone;
};

struct StaticMemory {
  double weights_bytes = 0;
  double gradients_bytes = 0;
  double optimizer_bytes = 0;
  double total_bytes() const { return weights_bytes + gradients_bytes + optimizer_bytes; }
};

// Bytes per device. Throws InputError("static memory", ...) for negative
// parameters or byte widths, or zero_shards == 0.
StaticMemory static_memory(const StaticMemoryInputs& in);

// Bytes of the storage behind `buffers` (row views count as their root
// buffer; each root once).
double resident_bytes(const Program& program, std::span<const BufferId> buffers);

// Per rank, the bytes of all its root buffers: the activation memory if every
// buffer were alive at once (an upper bound; the engine's timeline gives the
// peak).
std::vector<double> allocated_bytes_per_rank(const Program& program);

}  // namespace spsim
