// Lengths files of `spsim plan --lengths` (planner/batch.h): one length per
// line or a JSON list; and token counts ("384K", planner/token_count.h).
#include <string>

#include "fuzz/fuzz_input.h"
#include "planner/batch.h"
#include "planner/token_count.h"

void fuzz_one(std::string_view text) {
  if (!text.empty() && text.front() == '@') {  // a token count
    (void)spsim::parse_token_count(text.substr(1), "--max-context");
    return;
  }
  (void)spsim::parse_lengths(text, "fuzz.txt", std::int64_t{1} << 31);
}
