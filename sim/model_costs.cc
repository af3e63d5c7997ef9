#include "sim/model_costs.h"

#include "costmodel/op_cost.h"

namespace spsim {

ModelCosts::ModelCosts(const Program& program, const Topology& topology, std::span<const DeviceId> placement,
                       const std::map<std::string, DeviceProfile>& overrides)
    : program_(program), owned_(overrides) {
  for (RankId r = 0; r < program.num_ranks(); ++r) placement_.push_back(placement.empty() ? r : placement[r]);
  profile_of_.resize(topology.num_devices(), nullptr);
  for (DeviceId d = 0; d < topology.num_devices(); ++d) {
    const std::string& type = topology.device_type(d);
    auto it = owned_.find(type);
    profile_of_[d] = it != owned_.end() ? &it->second : &device_profile_preset(type);
  }
}

double ModelCosts::op_seconds(OpId op) const {
  return compute_op_cost(program_, op, *profile_of_[placement_[program_.op(op).rank]]).seconds;
}

double ModelCosts::comm_slowdown(DeviceId device) const { return profile_of_[device]->comm_compute_slowdown; }

std::vector<double> ModelCosts::op_flops() const {
  std::vector<double> out(program_.num_ops(), 0.0);
  for (std::size_t i = 0; i < program_.num_ops(); ++i) {
    const OpId id = op_id(i);
    if (op_kind_info(program_.op(id).kind).category == OpCategory::kComm) continue;
    out[i] = compute_op_cost(program_, id, *profile_of_[placement_[program_.op(id).rank]]).flops;
  }
  return out;
}

std::vector<double> ModelCosts::op_bytes() const {
  std::vector<double> out(program_.num_ops(), 0.0);
  for (std::size_t i = 0; i < program_.num_ops(); ++i) {
    const OpId id = op_id(i);
    out[i] = compute_op_cost(program_, id, *profile_of_[placement_[program_.op(id).rank]]).bytes;
  }
  return out;
}

}  // namespace spsim
