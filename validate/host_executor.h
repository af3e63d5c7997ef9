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
#include <memory>
#include <vector>

#include "program/comm_matching.h"
#include "program/program.h"
#include "validate/global_tensor.h"

namespace spsim {

using TensorMap = std::map<Tensor, GlobalTensor>;

struct HostRunOptions {
  std::uint64_t order_seed = 0;  // seeds the choice among launchable units
};

// Step-by-step access to the executor (tests inspect single buffers).
class HostExecutor {
 public:
  // `program` and `matching` must outlive the executor.
  HostExecutor(const Program& program, const CommMatching& matching);
  ~HostExecutor();
  HostExecutor(const HostExecutor&) = delete;
  HostExecutor& operator=(const HostExecutor&) = delete;

  // Fills the input-bound buffers from global tensors (see run_on_host).
  void load_inputs(const TensorMap& inputs);
  // Sets a buffer's contents directly, in [rows, heads, cols] row-major order.
  void set_buffer(BufferId buffer, const std::vector<double>& values);
  // Runs every op once, in a random order allowed by streams and deps.
  void run(std::uint64_t order_seed);
  // A buffer's contents, [rows, heads, cols] row-major.
  std::vector<double> buffer(BufferId buffer) const;
  // The output-bound tensors, shaped like `inputs` (see run_on_host).
  TensorMap collect_outputs(const TensorMap& inputs);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
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
