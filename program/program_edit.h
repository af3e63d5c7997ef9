#pragma once
// Edited copies of a Program, for fault injection: tests use them to show that
// the checker and the executor notice what a wrong schedule would do.

#include "program/program.h"

namespace spsim {

// A copy of `program` in which `op` no longer depends on `dep`. Throws
// ProgramError when `dep` is not one of op's declared dependencies.
Program without_dependency(const Program& program, OpId op, OpId dep);

}  // namespace spsim
