// PyTorch profiler (Kineto) traces (traces/kineto.h): parse_kineto_trace on
// the JSON text; an input that starts with the gzip magic bytes is inflated
// first (with a 1 MiB limit, which keeps every input's work small).
#include <cstddef>
#include <string>

#include "fuzz/fuzz_input.h"
#include "traces/kineto.h"

void fuzz_one(std::string_view text) {
  if (text.size() >= 2 && static_cast<unsigned char>(text[0]) == 0x1f && static_cast<unsigned char>(text[1]) == 0x8b) {
    const std::string inflated = spsim::inflate_gzip(text, "fuzz.gz", std::size_t{1} << 20);
    (void)spsim::parse_kineto_trace(inflated, "fuzz.gz");
    return;
  }
  (void)spsim::parse_kineto_trace(text, "fuzz");
}
