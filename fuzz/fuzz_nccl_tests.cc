// nccl-tests output (traces/nccl_tests.h), text or -J JSON, and the points
// spsim makes of it (traces/measured_points.h).
#include <string>

#include "fuzz/fuzz_input.h"
#include "traces/measured_points.h"
#include "traces/nccl_tests.h"

void fuzz_one(std::string_view text) {
  const auto runs = spsim::parse_nccl_tests(text, "fuzz.txt");
  (void)spsim::nccl_tests_points(runs, "fuzz.txt");
}
