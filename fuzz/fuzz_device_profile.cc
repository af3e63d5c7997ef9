// Device profile JSON (costmodel/device_profile_json.h).
#include <sstream>

#include "costmodel/device_profile_json.h"
#include "fuzz/fuzz_input.h"

void fuzz_one(std::string_view text) {
  std::istringstream in{std::string(text)};
  const spsim::DeviceProfile p = spsim::parse_device_profile(in, "fuzz.json");
  std::ostringstream out;
  spsim::save_device_profile(p, out);
}
