// Every strategy x causal/full x MHA/GQA x P in {1,2,3,4,8} x fwd/fwd+bwd, each
// under several execution-order seeds, against dense reference attention.
#include <doctest/doctest.h>

#include "sim/input_error.h"
#include "strategies/registry.h"
#include "validate/verify.h"

namespace spsim {
namespace {

void verify_matrix(std::string_view name) {
  const Strategy* s = find_strategy(name);
  REQUIRE(s != nullptr);
  int legal = 0;
  for (bool causal : {false, true})
    for (std::uint32_t kv : {4u, 2u})  // MHA and GQA (2 query heads per kv head)
      for (std::uint32_t P : {1u, 2u, 3u, 4u, 8u})
        for (Pass pass : {Pass::kForward, Pass::kForwardBackward}) {
          Workload w;
          w.seq_lens = {48};  // divisible by 2P for every P above
          w.heads = 4;
          w.kv_heads = kv;
          w.head_dim = 8;
          w.causal = causal;
          w.pass = pass;
          StrategyOptions o;
          o.sp = P;
          if (s->refuse(w, o)) continue;
          ++legal;
          for (std::uint64_t seed : {1u, 2u, 3u}) {
            CAPTURE(causal);
            CAPTURE(kv);
            CAPTURE(P);
            CAPTURE(seed);
            const VerifyReport r = verify_strategy(*s, w, o, VerifyOptions{seed, 1e-9});
            for (const auto& c : r.checks) {
              CAPTURE(tensor_name(c.tensor));
              CHECK(c.max_rel_error < 1e-9);
            }
            CHECK(r.passed);
          }
        }
  CHECK(legal > 0);
}

TEST_CASE("verify: ring") { verify_matrix("ring"); }
TEST_CASE("verify: zigzag") { verify_matrix("zigzag"); }
TEST_CASE("verify: striped") { verify_matrix("striped"); }

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
  CHECK_THROWS_AS(verify_strategy(*find_strategy("ring"), w, o), InputError);
}

}  // namespace
}  // namespace spsim
