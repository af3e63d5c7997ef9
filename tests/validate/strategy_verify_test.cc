// Every strategy x causal/full x MHA/GQA x P in {1,2,3,4,8} x fwd/fwd+bwd, each
// under several execution-order seeds, against dense reference attention.
#include <doctest/doctest.h>

#include "program/input_error.h"
#include "strategies/registry.h"
#include "validate/verify.h"
#include "tests/validate/verify_matrix.h"

namespace spsim {
namespace {

using testing::verify_matrix;

TEST_CASE("verify: ring") { verify_matrix("ring"); }
TEST_CASE("verify: zigzag") { verify_matrix("zigzag"); }
TEST_CASE("verify: striped") { verify_matrix("striped"); }

// The TransformerEngine form of the ring backward (reversed ring, dK,dV with
// the next K,V, own block last) over the same matrix.
testing::MatrixOptions transformer_engine_backward() {
  testing::MatrixOptions m;
  m.options_for = [](std::uint32_t P) {
    StrategyOptions o{P};
    o.ring_backward = RingBackward::kTransformerEngine;
    return std::vector<StrategyOptions>{o};
  };
  return m;
}
TEST_CASE("verify: ring, zigzag, striped with the TransformerEngine backward") {
  for (const char* name : {"ring", "zigzag", "striped"}) {
    CAPTURE(name);
    verify_matrix(name, transformer_engine_backward());
  }
}

TEST_CASE("verify: batches of several sequences") {
  for (const char* name : {"ring", "zigzag", "striped"}) {
    Workload w;
    w.seq_lens = {32, 32, 32};
    w.heads = 4;
    w.kv_heads = 2;
    w.head_dim = 8;
    w.pass = Pass::kForwardBackward;
    StrategyOptions o;
    o.sp = 4;
    CAPTURE(name);
    CHECK(verify_strategy(*find_strategy(name), w, o).passed);
  }
}

TEST_CASE("illegal combinations are refused with a reason, not a crash") {
  Workload w;
  w.seq_lens = {40};
  StrategyOptions o;
  o.sp = 8;  // 40 is not divisible by 2P = 16
  const auto why = find_strategy("zigzag")->refuse(w, o);
  REQUIRE(why.has_value());
  CHECK(why->find("2P") != std::string::npos);
  o.sp = 64;  // P > S
  CHECK(find_strategy("ring")->refuse(w, o).has_value());
  // Lowered, the sequence is padded to 64: members 40..63 hold only padding
  // and still write their (unread) outputs.
  CHECK(verify_strategy(*find_strategy("ring"), w, o).passed);
  // What padding cannot cure is still refused: Ulysses with P not dividing the heads.
  w.heads = 4;
  w.kv_heads = 4;
  o.sp = 8;
  CHECK_THROWS_AS(verify_strategy(*find_strategy("ulysses"), w, o), InputError);
}

}  // namespace
}  // namespace spsim
