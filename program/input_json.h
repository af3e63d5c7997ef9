#pragma once
// Parsing a user's JSON document with the bad-input contract: every JSON
// reader of spsim (configs, topologies, device profiles, models, link
// parameters, planner profiles and length lists) parses through here, so that
// they all refuse the same things the same way, as an InputError naming the
// document:
// - text that is not JSON, or has anything after the value;
// - a number that does not fit a double (1e400);
// - a key that appears twice in one object (nlohmann keeps the last silently);
// - nesting deeper than kMaxJsonDepth (bounded recursion for deep inputs).

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace spsim {

inline constexpr int kMaxJsonDepth = 64;

// `where` names the document in messages: a path, or "file: key 'x'".
nlohmann::json parse_input_json(std::string_view text, const std::string& where);

}  // namespace spsim
