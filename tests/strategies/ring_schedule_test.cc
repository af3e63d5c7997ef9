// Regression tests of the ring schedule shared by ring, zigzag and striped.
#include "strategies/ring_schedule.h"

#include <doctest/doctest.h>

#include "program/program_check.h"

namespace spsim {
namespace {

// Regression: ring_forward held a reference to q's Buffer across
// ProgramBuilder::buffer_like(), whose push_back may move the buffer table;
// the lse buffer then read a dangling reference (caught by AddressSanitizer
// when the push reallocates, as it does below: 4 buffers fill a capacity of 4).
TEST_CASE("ring_forward: creating the output buffers does not read a moved buffer table") {
  Workload w;
  w.seq_lens = {16};
  w.heads = 2;
  w.kv_heads = 2;
  w.head_dim = 4;
  StrategyOptions o;
  o.sp = 1;
  const RankId ranks[] = {0};
  const LayerContext ctx{w, o, ranks, 0};
  ProgramBuilder b(1);
  const LayoutId l = b.layout(contiguous_shard(w.seq_lens, 1, 0));
  LayerInputs in;
  in.q = {b.token_buffer(0, "q", w.dtype, l, 0, 2, 4)};
  in.k = {b.token_buffer(0, "k", w.dtype, l, 0, 2, 4)};
  in.v = {b.token_buffer(0, "v", w.dtype, l, 0, 2, 4)};
  in.ready.resize(1);
  b.token_buffer(0, "pad", w.dtype, l, 0, 2, 4);  // 4 buffers: the next push reallocates
  const LayerForward f = ring_forward(b, ctx, in, [](std::uint32_t, std::uint32_t, std::uint32_t) { return RingBlock{}; });
  const Buffer& lse = b.program().buffer(f.lse[0]);
  REQUIRE(lse.layout.has_value());
  CHECK(*lse.layout == l);
  CHECK(lse.heads == 2);
  CHECK(lse.cols == 1);
}

}  // namespace
}  // namespace spsim
