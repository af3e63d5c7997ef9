#pragma once
// The exact host executor: runs any Program on the CPU in float64 with real
// buffers per rank, real message copies and real collectives — the
// correctness oracle for every strategy.
//
// Order: ops run one launch unit at a time (an op, a Send+Recv pair, a whole
// collective instance; see op_graph.h), picked uniformly at random among the
// launchable ones by a seeded generator. Only the declared streams and deps
// constrain the order, so a missing dependency shows up as a wrong answer
// under some seed. Buffers that are not zero_init start as NaN, so reading
// memory no op wrote poisons the result instead of passing silently.

#include <cstdint>
#include <map>

#include "sim/comm_matching.h"
#include "sim/program.h"
#include "validate/global_tensor.h"

namespace spsim {

using TensorMap = std::map<Tensor, GlobalTensor>;

struct HostRunOptions {
  std::uint64_t order_seed = 0;  // seeds the choice among launchable units
};

// Fills every input-bound buffer from `inputs` (by position and global head),
// runs all ops, and returns one GlobalTensor per output-bound Tensor, shaped
// like `inputs`' sequences with as many heads as the bindings cover. Throws
// ProgramError when the program breaks its contract at run time: a deadlock,
// a gathered position that does not exist in the source, an input tensor
// missing, or an output element bound zero times or twice.
TensorMap run_on_host(const Program& program, const CommMatching& matching,
                      const TensorMap& inputs, const HostRunOptions& options = {});

}  // namespace spsim
