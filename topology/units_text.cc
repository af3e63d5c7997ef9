#include "topology/units_text.h"

#include <fmt/core.h>

#include <cmath>

namespace spsim {

std::string bandwidth_text(double bytes_per_s) {
  if (std::isinf(bytes_per_s)) return "inf";
  return fmt::format("{:.4g} GB/s", bytes_per_s / 1e9);
}

std::string latency_text(double seconds) { return fmt::format("{:.4g} us", seconds / 1e-6); }

}  // namespace spsim
