#pragma once
// The one-line message of the InputError that `f` throws ("" when it throws
// none): what the bad-input tests compare with the expected line.

#include <string>

#include "program/input_error.h"

namespace spsim::test {

template <class F>
std::string input_error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace spsim::test
