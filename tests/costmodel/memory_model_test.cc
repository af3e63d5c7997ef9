// Static memory (ZeRO) against the paper's own worked example, and buffer
// byte helpers.
#include <doctest/doctest.h>

#include "costmodel/memory_model.h"
#include "program/input_error.h"

namespace spsim {
namespace {

TEST_CASE("ZeRO stages reproduce the paper's 7.5B-parameter, 64-GPU example") {
  // Rajbhandari et al. 2020, Figure 1: Ψ = 7.5B, Nd = 64, K = 12:
  //   baseline (2+2+K)Ψ = 120 GB; P_os 4Ψ + KΨ/Nd = 31.4 GB;
  //   P_os+g 2Ψ + (2+K)Ψ/Nd = 16.6 GB; P_os+g+p (2+2+K)Ψ/Nd = 1.9 GB.
  StaticMemoryInputs in;
  in.parameters = 7.5e9;
  in.zero_shards = 64;
  in.zero_stage = ZeroStage::kNone;
  CHECK(static_memory(in).total_bytes() == doctest::Approx(120e9));
  in.zero_stage = ZeroStage::kOptimizer;
  CHECK(static_memory(in).total_bytes() == doctest::Approx(30e9 + 12 * 7.5e9 / 64));  // 31.40625e9
  in.zero_stage = ZeroStage::kGradients;
  CHECK(static_memory(in).total_bytes() == doctest::Approx(15e9 + 14 * 7.5e9 / 64));  // 16.640625e9
  in.zero_stage = ZeroStage::kParameters;
  const StaticMemory m = static_memory(in);
  CHECK(m.total_bytes() == doctest::Approx(16 * 7.5e9 / 64));  // 1.875e9
  CHECK(m.weights_bytes == doctest::Approx(2 * 7.5e9 / 64));
  CHECK(m.gradients_bytes == doctest::Approx(2 * 7.5e9 / 64));
  CHECK(m.optimizer_bytes == doctest::Approx(12 * 7.5e9 / 64));
}

TEST_CASE("without ZeRO the shard count changes nothing (SP ranks hold replicas)") {
  StaticMemoryInputs in;
  in.parameters = 1e9;
  in.grad_bytes_per_param = 4;  // fp32 gradients
  in.zero_shards = 8;
  const StaticMemory m = static_memory(in);
  CHECK(m.weights_bytes == 2e9);
  CHECK(m.gradients_bytes == 4e9);
  CHECK(m.optimizer_bytes == 12e9);
}

TEST_CASE("static memory rejects bad inputs") {
  StaticMemoryInputs in;
  in.parameters = 1e9;
  in.zero_shards = 0;
  CHECK_THROWS_AS(static_memory(in), InputError);
  in.zero_shards = 1;
  in.parameters = -1;
  CHECK_THROWS_AS(static_memory(in), InputError);
}

TEST_CASE("buffer bytes: views count as their root, once") {
  ProgramBuilder b(2);
  const TokenRun run[] = {{0, 0, 1024, 1}};
  const LayoutId l = b.layout(run);
  const BufferId kv = b.token_buffer(0, "kv", DType::kBF16, l, 0, 8, 128);  // 1024·8·128·2 = 2 MiB
  const BufferId half = b.row_view(kv, 0, 512);
  const BufferId lse = b.token_buffer(0, "lse", DType::kF32, l, 0, 8, 1);  // 32 KiB
  b.token_buffer(1, "other", DType::kF32, l, 0, 8, 128);                  // 4 MiB on rank 1
  const Program p = std::move(b).finish();
  const BufferId set[] = {half, kv, lse, half};
  CHECK(resident_bytes(p, set) == 1024.0 * 8 * 128 * 2 + 1024.0 * 8 * 4);
  const auto per_rank = allocated_bytes_per_rank(p);
  REQUIRE(per_rank.size() == 2);
  CHECK(per_rank[0] == 1024.0 * 8 * 128 * 2 + 1024.0 * 8 * 4);
  CHECK(per_rank[1] == 1024.0 * 8 * 128 * 4);
}

}  // namespace
}  // namespace spsim
