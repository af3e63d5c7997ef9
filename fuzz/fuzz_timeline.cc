// Timeline files (traces/timeline_file.h), round trip: what is read is
// written and read back to the same bytes.
#include <sstream>
#include <string>

#include "fuzz/fuzz_input.h"
#include "traces/timeline_file.h"

void fuzz_one(std::string_view text) {
  const auto t = spsim::parse_timeline_file(text, "fuzz.json");
  std::ostringstream once, twice;
  spsim::write_timeline_file(t, once);
  spsim::write_timeline_file(spsim::parse_timeline_file(once.str(), "again.json"), twice);
  if (once.str() != twice.str()) __builtin_trap();
}
