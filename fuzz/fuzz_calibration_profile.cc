// Calibration profiles (costmodel/calibration_profile.h), round trip: what
// is read is written and read back the same.
#include <sstream>
#include <string>

#include "costmodel/calibration_profile.h"
#include "fuzz/fuzz_input.h"

void fuzz_one(std::string_view text) {
  const auto p = spsim::parse_calibration_profile(text, "fuzz.json");
  std::ostringstream once, twice;
  spsim::save_calibration_profile(p, once);
  spsim::save_calibration_profile(spsim::parse_calibration_profile(once.str(), "again.json"), twice);
  if (once.str() != twice.str()) __builtin_trap();
}
