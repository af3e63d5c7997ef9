#include "planner/spsim_group_time.h"

#include <algorithm>
#include <numeric>

namespace spsim {

std::vector<std::uint32_t> allowed_group_sizes(const SpsimStepModel& model, std::uint32_t devices) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t d = 1; d <= devices; d *= 2)
    if (model.length_granule(d)) out.push_back(d);
  return out;
}

TabulatedGroupTimeModel SpsimGroupTimeFit::model() const {
  std::map<std::uint32_t, GroupTimeCoefficients> table;
  for (const auto& f : fits) table[f.size] = f.coefficients;
  return TabulatedGroupTimeModel(std::move(table), "fitted to spsim's predictions");
}

SpsimGroupTimeFit fit_spsim_group_times(const SpsimStepModel& model, std::span<const std::uint32_t> sizes,
                                        double tokens_per_device, std::int64_t max_group_tokens,
                                        std::int64_t max_sequence) {
  SpsimGroupTimeFit out;
  const GroupPredictor predict = [&](std::span<const DeviceId> devices, std::span<const std::int64_t> lens) {
    const GroupWork g{std::vector<DeviceId>(devices.begin(), devices.end()),
                      std::vector<std::int64_t>(lens.begin(), lens.end())};
    return model.extrapolated_step(g);
  };
  for (std::uint32_t d : sizes) {
    std::vector<DeviceId> devices(d);
    std::iota(devices.begin(), devices.end(), DeviceId{0});
    const auto granule = model.length_granule(d).value_or(d);
    const auto max_tokens = std::min(static_cast<std::int64_t>(tokens_per_device * d), max_group_tokens);
    out.fits.push_back(fit_group_size(predict, devices, granule, std::max(max_tokens, granule), max_sequence));
  }
  return out;
}

}  // namespace spsim
