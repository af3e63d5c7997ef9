#include "stream/pass_costs.h"

#include <algorithm>

#include "costmodel/link_model.h"
#include "costmodel/op_cost.h"
#include "program/comm_matching.h"
#include "sim/engine.h"
#include "sim/model_costs.h"
#include "sim/network_model.h"
#include "topology/topology_builder.h"

namespace spsim {
namespace {

Topology one_device(const DeviceProfile& device) {
  TopologyBuilder b("one " + device.name);
  b.add_device("gpu0", 0, device.name);
  return std::move(b).build();
}

}  // namespace

PassCosts::PassCosts(const ModelSpec& model, const DeviceProfile& device, DType dtype, KernelStyle style)
    : model_(model), device_(device), dtype_(dtype), style_(style), topology_(one_device(device)) {}

const PassCost& PassCosts::cost(const StreamPass& pass) {
  if (auto it = cache_.find(pass); it != cache_.end()) return it->second;
  const Program program = lower_pass(model_, pass, dtype_, style_);
  const CommMatching matching = match_communication(program);
  const std::map<std::string, DeviceProfile> overrides{{device_.name, device_}};
  const ModelCosts costs(program, topology_, {}, overrides);
  const LinkModel links;
  auto network = make_network_model("analytical", topology_, links);
  const Timeline timeline = simulate(EngineInput{program, matching, topology_, {}, costs, *network});
  PassCost c;
  c.seconds = timeline.makespan_s;
  c.kernels = static_cast<std::uint32_t>(program.num_ops());
  const double memory_rate = device_.hbm_bytes_per_s * device_.memory_efficiency;
  for (std::size_t i = 0; i < program.num_ops(); ++i) {
    const OpCost oc = compute_op_cost(program, op_id(i), device_);
    const double body = std::max(0.0, oc.seconds - device_.launch_s);
    const double memory_s = oc.bytes / memory_rate;
    c.launch_s += oc.seconds - body;
    // The roofline's body is max(compute, memory): memory-bound when it is the memory term.
    (memory_s >= body * (1 - 1e-9) ? c.memory_bound_s : c.compute_bound_s) += body;
    c.flops += oc.flops;
    c.bytes += oc.bytes;
  }
  return cache_.emplace(pass, c).first->second;
}

}  // namespace spsim
