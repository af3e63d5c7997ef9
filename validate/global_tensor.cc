#include "validate/global_tensor.h"

#include <cassert>
#include <cmath>
#include <limits>
#include <random>

namespace spsim {

GlobalTensor::GlobalTensor(const std::vector<std::int64_t>& seq_lens, std::uint32_t h,
                           std::uint32_t c, double fill)
    : heads(h), cols(c) {
  seq_offset.assign(seq_lens.size() + 1, 0);
  for (std::size_t i = 0; i < seq_lens.size(); ++i) seq_offset[i + 1] = seq_offset[i] + seq_lens[i];
  data.assign(static_cast<std::size_t>(seq_offset.back()) * h * c, fill);
}

void fill_uniform(GlobalTensor& t, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  for (double& x : t.data) x = static_cast<double>(gen() >> 11) * 0x1.0p-52 - 1.0;
}

double max_relative_error(const GlobalTensor& a, const GlobalTensor& b) {
  assert(a.data.size() == b.data.size());
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < a.data.size(); ++i) {
    const double x = a.data[i], y = b.data[i];
    if (std::isinf(y) || std::isinf(x)) {
      if (x != y) return std::numeric_limits<double>::infinity();
      continue;
    }
    if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<double>::infinity();
    diff = std::max(diff, std::abs(x - y));
    scale = std::max(scale, std::abs(y));
  }
  if (scale == 0) return diff == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return diff / scale;
}

}  // namespace spsim
