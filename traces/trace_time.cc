#include "traces/trace_time.h"

#include <fmt/format.h>

#include <cmath>

namespace spsim {

std::int64_t trace_ticks(double seconds) {
  return std::llround(seconds * 1e6 * static_cast<double>(kTraceTicksPerUs)) + kTraceOriginTicks;
}

std::string trace_us_text(std::int64_t ticks) {
  const bool neg = ticks < 0;
  const std::uint64_t a = neg ? 0 - static_cast<std::uint64_t>(ticks) : static_cast<std::uint64_t>(ticks);
  const std::uint64_t whole = a / kTraceTicksPerUs, frac = a % kTraceTicksPerUs;
  std::string text = fmt::format("{}{}", neg ? "-" : "", whole);
  if (frac == 0) return text;
  // frac / 2^10 = frac · 5^10 / 10^10: ten decimals, exactly.
  std::string digits = fmt::format("{:010d}", frac * 9765625);
  digits.erase(digits.find_last_not_of('0') + 1);
  return text + "." + digits;
}

std::string trace_dur_text(std::int64_t start_ticks, std::int64_t end_ticks) {
  return trace_us_text(end_ticks > start_ticks ? end_ticks - start_ticks : 0);
}

}  // namespace spsim
