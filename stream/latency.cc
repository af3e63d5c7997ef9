#include "stream/latency.h"

#include <stdexcept>

namespace spsim {

std::size_t lagging_cutoff(std::span<const std::uint32_t> g, std::uint32_t n) {
  if (g.empty()) throw std::invalid_argument("lagging_cutoff: no target tokens");
  for (std::size_t i = 0; i < g.size(); ++i)
    if (g[i] >= n) return i + 1;
  return g.size();
}

double average_lagging(std::span<const double> d, double step, std::size_t tau) {
  if (tau == 0 || tau > d.size()) throw std::invalid_argument("average_lagging: tau out of range");
  double sum = 0;
  for (std::size_t i = 0; i < tau; ++i) sum += d[i] - static_cast<double>(i) * step;
  return sum / static_cast<double>(tau);
}

}  // namespace spsim
