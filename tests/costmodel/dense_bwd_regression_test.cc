// Regression: DenseBwd's operands are (in, dout, din), so its out features
// are dout's. Op::work and the cost model used to take them from the last
// operand (din, whose features are the *in* features), which made the
// backward of a non-square GEMM cost in·in instead of in·out: 4x the FLOPs
// for an MLP down projection (16384 -> 4096), a quarter for the up one.
#include <doctest/doctest.h>

#include "costmodel/device_profile.h"
#include "costmodel/op_cost.h"
#include "program/program.h"

namespace spsim {
namespace {

TEST_CASE("DenseBwd work and cost use the out features of dout (regression)") {
  ProgramBuilder b(1);
  const StreamId s = b.stream("compute");
  const std::uint32_t rows = 8192, in_f = 16384, out_f = 4096;  // an MLP down projection
  const BufferId in = b.matrix_buffer(0, "in", DType::kBF16, rows, 0, 1, in_f);
  const BufferId out = b.matrix_buffer(0, "out", DType::kBF16, rows, 0, 1, out_f);
  const BufferId din = b.matrix_buffer(0, "din", DType::kBF16, rows, 0, 1, in_f);
  const OpId fwd = b.dense(s, in, out, 1);
  const OpId bwd = b.dense_bwd(s, in, out, din, 1);
  const Program p = std::move(b).finish();
  // work = rows x in x out for both (multiply-adds).
  const std::int64_t work = std::int64_t{rows} * in_f * out_f;
  CHECK(p.op(fwd).work == work);
  CHECK(p.op(bwd).work == work);
  // Backward FLOPs = 2x forward (dX and dW): 4 x work against 2 x work.
  const DeviceProfile& dev = device_profile_preset("a100-sxm4-80gb");
  CHECK(compute_op_cost(p, bwd, dev).flops == doctest::Approx(2 * compute_op_cost(p, fwd, dev).flops));
  // Compute-bound at 8192 rows: launch + 4·work / (peak · GEMM efficiency).
  CHECK(compute_op_cost(p, bwd, dev).seconds ==
        doctest::Approx(dev.launch_s + 4.0 * static_cast<double>(work) / (dev.peak_bf16_flop_per_s * dev.gemm_efficiency)));
}

}  // namespace
}  // namespace spsim
