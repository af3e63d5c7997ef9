// Topology JSON (docs/topology-format.md): topology_from_json; what is
// accepted must read back from the form topology_to_json writes.
#include <cstdlib>

#include "fuzz/fuzz_input.h"
#include "topology/topology_json.h"

void fuzz_one(std::string_view text) {
  // A small memory limit keeps all-pairs routing of huge inputs refused.
  const spsim::Topology t = spsim::topology_from_json(text, "fuzz.json", 2e8);
  try {
    (void)spsim::topology_from_json(spsim::topology_to_json(t), "written.json", 2e8);
  } catch (const spsim::InputError&) {
    std::abort();  // the writer wrote what the reader refuses
  }
}
