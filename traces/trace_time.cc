#include "traces/trace_time.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace spsim {

std::int64_t trace_ns(double seconds) { return std::llround(seconds * 1e9) + kTraceOriginNs; }

std::string trace_us_text(std::int64_t ns) {
  const bool neg = ns < 0;
  const std::int64_t a = neg ? -ns : ns;
  return fmt::format("{}{}.{:03d}", neg ? "-" : "", a / 1000, static_cast<int>(a % 1000));
}

std::string trace_dur_text(std::int64_t start_ns, std::int64_t end_ns) {
  const std::string a = trace_us_text(start_ns), b = trace_us_text(end_ns);
  const double ta = std::strtod(a.c_str(), nullptr), tb = std::strtod(b.c_str(), nullptr);
  double d = tb - ta;
  while (d > 0 && ta + d > tb) d = std::nextafter(d, 0.0);
  return fmt::format("{}", std::max(d, 0.0));
}

}  // namespace spsim
