// rsa, allgather and ulysses x causal/full x MHA/GQA x P in {1,2,3,4,8} (where
// legal) x fwd/fwd+bwd, each under three execution-order seeds, against dense
// reference attention; batches; and the combinations each must refuse.
#include <doctest/doctest.h>

#include "program/input_error.h"
#include "strategies/registry.h"
#include "tests/validate/verify_matrix.h"
#include "validate/verify.h"

namespace spsim {
namespace {

using testing::MatrixOptions;
using testing::verify_matrix;

TEST_CASE("verify: rsa") {
  // S = 48 is divisible by every P in {1,2,3,4,8}: 2 masks x 2 head shapes x 5 degrees x 2 passes.
  CHECK(verify_matrix("rsa") == 40);
}

TEST_CASE("verify: allgather") {
  // Causal needs 2P | 48 (all five degrees), full mask P | 48: every combination is legal.
  CHECK(verify_matrix("allgather") == 40);
}

TEST_CASE("verify: ulysses") {
  // P must divide H = 4 and Hkv: MHA (Hkv = 4) admits P in {1, 2, 4}, GQA (Hkv = 2) P in {1, 2};
  // 2 masks x (3 + 2) degrees x 2 passes.
  CHECK(verify_matrix("ulysses") == 20);
}

TEST_CASE("verify: ulysses with eight heads reaches P = 8") {
  // The default matrix has 4 query heads; here H = 8, Hkv = 8 so P = 8 is legal too.
  for (bool causal : {false, true}) {
    Workload w;
    w.seq_lens = {48};
    w.heads = 8;
    w.kv_heads = 8;
    w.head_dim = 8;
    w.causal = causal;
    w.pass = Pass::kForwardBackward;
    StrategyOptions o;
    o.sp = 8;
    CAPTURE(causal);
    const VerifyReport r = verify_strategy(*find_strategy("ulysses"), w, o);
    CHECK(r.checks.size() == 4);  // out, dq, dk, dv (Ulysses returns no lse)
    CHECK(r.passed);
  }
}

TEST_CASE("verify: rsa, allgather, ulysses on batches of several sequences") {
  for (const char* name : {"rsa", "allgather", "ulysses"})
    for (bool causal : {false, true})
      for (std::uint32_t P : {2u, 4u}) {
        Workload w;
        w.seq_lens = {16, 16, 16};  // B = 3
        w.heads = 4;
        w.kv_heads = 4;
        w.head_dim = 8;
        w.causal = causal;
        w.pass = Pass::kForwardBackward;
        StrategyOptions o;
        o.sp = P;
        CAPTURE(name);
        CAPTURE(causal);
        CAPTURE(P);
        REQUIRE_FALSE(find_strategy(name)->refuse(w, o).has_value());
        for (std::uint64_t seed : {1u, 2u, 3u}) CHECK(verify_strategy(*find_strategy(name), w, o, {seed, 1e-9}).passed);
      }
}

TEST_CASE("verify: packed sequences of different lengths") {
  // cu_seqlens-style input: lengths 16, 48, 32 (each divisible by 2P for P = 2, 4).
  for (const char* name : {"rsa", "allgather", "ulysses"})
    for (bool causal : {false, true}) {
      Workload w;
      w.seq_lens = {16, 48, 32};
      w.heads = 4;
      w.kv_heads = 2;
      w.head_dim = 8;
      w.causal = causal;
      w.pass = Pass::kForwardBackward;
      StrategyOptions o;
      o.sp = 2;
      CAPTURE(name);
      CAPTURE(causal);
      CHECK(verify_strategy(*find_strategy(name), w, o).passed);
    }
}

TEST_CASE("ulysses refuses an SP degree that does not divide the heads") {
  const Strategy& u = *find_strategy("ulysses");
  Workload w;
  w.seq_lens = {64};
  w.heads = 8;
  w.kv_heads = 2;
  StrategyOptions o;
  o.sp = 4;  // divides H = 8 but not Hkv = 2
  auto why = u.refuse(w, o);
  REQUIRE(why.has_value());
  CHECK(why->find("key/value heads") != std::string::npos);
  CHECK_THROWS_AS(verify_strategy(u, w, o), InputError);
  w.heads = 6;
  w.kv_heads = 6;  // P = 4 divides neither
  why = u.refuse(w, o);
  REQUIRE(why.has_value());
  CHECK(why->find("query heads") != std::string::npos);
  w.heads = 8;
  w.kv_heads = 8;
  w.seq_lens = {66};  // heads fine, 66 not divisible by 4
  why = u.refuse(w, o);
  REQUIRE(why.has_value());
  CHECK(why->find("not divisible") != std::string::npos);
}

TEST_CASE("rsa, allgather, ulysses refuse P > S and indivisible lengths") {
  for (const char* name : {"rsa", "allgather", "ulysses"}) {
    CAPTURE(name);
    const Strategy& s = *find_strategy(name);
    Workload w;
    w.seq_lens = {6};
    w.heads = 8;
    w.kv_heads = 8;
    StrategyOptions o;
    o.sp = 8;  // P > S
    auto why = s.refuse(w, o);
    REQUIRE(why.has_value());
    CHECK(why->find("P > S") != std::string::npos);
    // The lowering pads the sequence to P = 8 tokens (2 of padding) and runs.
    CHECK(verify_strategy(s, w, o).passed);
    w.seq_lens = {36};  // 36 is not divisible by 8
    CHECK(s.refuse(w, o).has_value());
  }
  // allgather's causal zigzag layout needs 2P | S, its full-mask contiguous layout only P | S.
  const Strategy& ag = *find_strategy("allgather");
  Workload w;
  w.seq_lens = {24};
  StrategyOptions o;
  o.sp = 8;
  w.causal = true;
  const auto why = ag.refuse(w, o);
  REQUIRE(why.has_value());
  CHECK(why->find("2P") != std::string::npos);
  w.causal = false;
  CHECK_FALSE(ag.refuse(w, o).has_value());
}

}  // namespace
}  // namespace spsim
