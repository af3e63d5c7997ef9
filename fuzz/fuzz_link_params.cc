// Link-class parameters JSON (topology/link_params.h, --link-params).
#include "fuzz/fuzz_input.h"
#include "topology/link_params.h"

void fuzz_one(std::string_view text) {
  const spsim::LinkCalibration c = spsim::parse_link_params(text, "fuzz.json");
  (void)spsim::link_params_json(c);
}
