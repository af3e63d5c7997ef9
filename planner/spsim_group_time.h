#pragma once
// The planner's group time model fitted to spsim's own predictions
// (spsim_step_model.h): for each group size, probe workloads on the first
// node-aligned block of that size (devices 0..d−1) are timed by the engine
// and the cost model, and the linear form is fitted (group_time_fit.h).

#include <cstdint>
#include <span>
#include <vector>

#include "planner/group_time_fit.h"
#include "planner/spsim_step_model.h"

namespace spsim {

// Powers of two up to `devices` that the strategy can run for the model
// (SpsimStepModel::length_granule).
std::vector<std::uint32_t> allowed_group_sizes(const SpsimStepModel& model, std::uint32_t devices);

struct SpsimGroupTimeFit {
  std::vector<SizeFit> fits;  // one per size, ascending
  TabulatedGroupTimeModel model() const;
};

// Fits every size: probes hold at most min(size x tokens_per_device,
// max_group_tokens) tokens (the batch's total is a good bound: no group
// holds more) and sequences of at most max_sequence tokens.
SpsimGroupTimeFit fit_spsim_group_times(const SpsimStepModel& model, std::span<const std::uint32_t> sizes,
                                        double tokens_per_device, std::int64_t max_group_tokens,
                                        std::int64_t max_sequence);

}  // namespace spsim
