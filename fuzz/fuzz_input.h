#pragma once
// Shared by spsim's fuzz targets: a target feeds the bytes libFuzzer gives to
// one parser and accepts exactly two outcomes, a result or an InputError
// (the bad-input contract). Anything else — another exception, a crash, a
// sanitizer report, a leak — is a finding. Each target defines
// fuzz_one(text) and includes this header once.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "program/input_error.h"

void fuzz_one(std::string_view text);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    fuzz_one(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const spsim::InputError&) {
    // a clear refusal: the contract
  }
  return 0;
}
