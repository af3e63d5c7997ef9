#include "program/program_edit.h"

#include <algorithm>

namespace spsim {

Program without_dependency(const Program& program, OpId op, OpId dep) {
  Program p = program;
  const auto begin = p.deps_.begin() + p.dep_begin_[idx(op)];
  const auto end = p.deps_.begin() + p.dep_begin_[idx(op) + 1];
  const auto it = std::find(begin, end, dep);
  if (it == end)
    throw ProgramError(p.describe_op(op) + " does not depend on " + p.describe_op(dep));
  p.deps_.erase(it);
  for (std::size_t i = idx(op) + 1; i < p.dep_begin_.size(); ++i) --p.dep_begin_[i];
  return p;
}

}  // namespace spsim
