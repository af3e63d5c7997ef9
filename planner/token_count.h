#pragma once
// Token counts as users write them on the command line and in files:
// "4096", "384K" (384·1024 = 393216) and "2M" (2·1024² = 2097152). Binary
// multiples, as context lengths are quoted ("a 384K context", FlexSP).

#include <cstdint>
#include <string>
#include <string_view>

namespace spsim {

// Parses a positive token count with an optional K or M suffix (either
// case). Throws InputError(where, ...) for anything else, including zero,
// negative numbers, fractions and overflow.
std::int64_t parse_token_count(std::string_view text, const std::string& where);

// "384K" / "2M" when the count is an exact multiple, the plain number otherwise.
std::string token_count_text(std::int64_t tokens);

}  // namespace spsim
