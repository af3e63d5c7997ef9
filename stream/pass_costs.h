#pragma once
// What each pass (stream/passes.h) costs on one device: its Program run by
// the engine (sim/engine.h) with the device cost model (costmodel/), and
// where the time goes, kernel by kernel.
//
// Each kernel's time is launch_s + max(compute, memory) (op_cost.h). Its
// launch_s counts as launch time; the rest as memory-bound when the memory
// term is at least the compute term, else as compute-bound. A pass's three
// parts add up to its kernels' times; its time is the engine's makespan
// (one in-order stream: the same sum, checked by the tests).
//
// Passes are simulated once per distinct shape and remembered (a policy
// repeats shapes across sentences and iterations).

#include <cstdint>
#include <string>
#include <unordered_map>

#include "costmodel/device_profile.h"
#include "program/dtype.h"
#include "stream/passes.h"
#include "strategies/model.h"
#include "topology/topology.h"

namespace spsim {

struct PassCost {
  double seconds = 0;          // the engine's makespan of the pass
  std::uint32_t kernels = 0;
  double launch_s = 0;         // kernels x launch_s
  double memory_bound_s = 0;   // kernel time past launch, in memory-bound kernels
  double compute_bound_s = 0;  // kernel time past launch, in compute-bound kernels
  double flops = 0;            // useful FLOPs (op_cost.h)
  double bytes = 0;            // device-memory bytes read + written
};

class PassCosts {
 public:
  // `model` must be an encoder-decoder model; the references must outlive this.
  PassCosts(const ModelSpec& model, const DeviceProfile& device, DType dtype, KernelStyle style);

  // The cost of `pass`, simulated on first use; the reference stays valid
  // for the life of this object.
  const PassCost& cost(const StreamPass& pass);
  // Distinct passes simulated so far.
  std::size_t simulated() const { return cache_.size(); }

  const DeviceProfile& device() const { return device_; }
  KernelStyle style() const { return style_; }

 private:
  const ModelSpec& model_;
  const DeviceProfile& device_;
  DType dtype_;
  KernelStyle style_;
  Topology topology_;  // one device of the profile's type
  struct Hash {
    std::size_t operator()(const StreamPass& p) const {
      return (std::size_t{p.src} * 0x9E3779B97F4A7C15ull) ^ (std::size_t{p.tgt} << 20) ^ (std::size_t{p.rows} << 40) ^
             static_cast<std::size_t>(p.kind);
    }
  };
  // Node-based: references returned by cost() stay valid as it grows.
  std::unordered_map<StreamPass, PassCost, Hash> cache_;
};

}  // namespace spsim
