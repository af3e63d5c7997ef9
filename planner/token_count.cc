#include "planner/token_count.h"

#include <charconv>
#include <limits>

#include "program/input_error.h"

namespace spsim {

std::int64_t parse_token_count(std::string_view text, const std::string& where) {
  auto fail = [&]() -> std::int64_t {
    throw InputError(where, "expected a positive token count such as 4096, 384K or 2M, got '" +
                                std::string(text) + "'");
  };
  if (text.empty()) return fail();
  std::int64_t multiplier = 1;
  std::string_view digits = text;
  const char last = text.back();
  if (last == 'K' || last == 'k') multiplier = 1024;
  if (last == 'M' || last == 'm') multiplier = 1024 * 1024;
  if (multiplier != 1) digits.remove_suffix(1);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty() || value <= 0) return fail();
  if (value > std::numeric_limits<std::int64_t>::max() / multiplier) return fail();
  return value * multiplier;
}

std::string token_count_text(std::int64_t tokens) {
  constexpr std::int64_t kMi = 1024 * 1024;
  if (tokens > 0 && tokens % kMi == 0) return std::to_string(tokens / kMi) + "M";
  if (tokens > 0 && tokens % 1024 == 0) return std::to_string(tokens / 1024) + "K";
  return std::to_string(tokens);
}

}  // namespace spsim
