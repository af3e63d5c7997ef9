// Model JSON (strategies/model_json.h, models/*.json); what is accepted must
// read back from the form model_json writes.
#include <cstdlib>

#include "fuzz/fuzz_input.h"
#include "strategies/model_json.h"

void fuzz_one(std::string_view text) {
  const spsim::ModelSpec m = spsim::parse_model_json(text, "fuzz.json", "fuzz");
  (void)m.parameter_count();
  try {
    (void)spsim::parse_model_json(spsim::model_json(m), "written.json", "fuzz");
  } catch (const spsim::InputError&) {
    std::abort();  // the writer wrote what the reader refuses
  }
}
