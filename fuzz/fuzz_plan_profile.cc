// FlexSP profile JSON of `spsim plan --profile` (planner/group_time_model.h).
#include "fuzz/fuzz_input.h"
#include "planner/group_time_model.h"

void fuzz_one(std::string_view text) { (void)spsim::parse_flexsp_profile(text, "fuzz.json"); }
