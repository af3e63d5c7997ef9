#pragma once
// EngineCosts from the cost model: each device's profile (costmodel/
// device_profile.h) chosen by the topology's device_type, unless the user
// gave a profile for that type (e.g. a calibrated one).

#include <map>
#include <string>
#include <vector>

#include "costmodel/device_profile.h"
#include "sim/engine.h"

namespace spsim {

class ModelCosts final : public EngineCosts {
 public:
  // `overrides` maps a device_type key to the profile to use instead of the
  // preset. Throws InputError for a device type with no preset and no override.
  ModelCosts(const Program& program, const Topology& topology, std::span<const DeviceId> placement,
             const std::map<std::string, DeviceProfile>& overrides = {});

  double op_seconds(OpId op) const override;
  double comm_slowdown(DeviceId device) const override;

  // The profile of a device.
  const DeviceProfile& profile(DeviceId device) const { return *profile_of_[device]; }
  // FLOPs of every op (0 for communication), for traces and throughput figures.
  std::vector<double> op_flops() const;
  // Bytes of every op: device memory read + written (compute), the buffer
  // moved (communication; costmodel/op_cost.h).
  std::vector<double> op_bytes() const;

 private:
  const Program& program_;
  std::vector<DeviceId> placement_;
  std::map<std::string, DeviceProfile> owned_;
  std::vector<const DeviceProfile*> profile_of_;  // per device
};

}  // namespace spsim
