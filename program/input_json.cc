#include "program/input_json.h"

#include <set>
#include <vector>

#include "program/input_error.h"

namespace spsim {
namespace {

using json = nlohmann::json;

// Drops nlohmann's "[json.exception.parse_error.101] " prefix: the message
// then reads "parse error at line 1, column 5: ...".
std::string plain_message(const json::exception& e) {
  std::string m = e.what();
  if (m.rfind("[json.exception.", 0) == 0)
    if (const auto close = m.find("] "); close != std::string::npos) m.erase(0, close + 2);
  return m;
}

}  // namespace

json parse_input_json(std::string_view text, const std::string& where) {
  // The keys seen in each object being parsed, innermost last; nlohmann's
  // parser callback reports keys and nesting as it reads.
  std::vector<std::set<std::string>> keys;
  std::string duplicate, too_deep;
  json::parser_callback_t check = [&](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (depth >= kMaxJsonDepth && too_deep.empty()) too_deep = "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
        if (event == json::parse_event_t::object_start) keys.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case json::parse_event_t::key:
        if (!keys.empty() && !keys.back().insert(parsed.get<std::string>()).second && duplicate.empty())
          duplicate = parsed.get<std::string>();
        break;
      default:
        break;
    }
    // Stop keeping values once the document is refused (bounded work on
    // hostile input); the error is raised after the parse returns.
    return duplicate.empty() && too_deep.empty();
  };
  json doc;
  try {
    doc = json::parse(text.begin(), text.end(), check, /*allow_exceptions=*/true, /*ignore_comments=*/false);
  } catch (const json::exception& e) {
    if (too_deep.empty() && duplicate.empty()) throw InputError(where, "not valid JSON: " + plain_message(e));
  }
  if (!too_deep.empty()) throw InputError(where, "not accepted: " + too_deep);
  if (!duplicate.empty()) throw InputError(where + ": key '" + duplicate + "'", "appears twice in one object; give each key once");
  return doc;
}

}  // namespace spsim
