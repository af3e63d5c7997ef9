// Packed variable-length input (cu_seqlens): several sequences of different
// lengths in one buffer. Every strategy that accepts the lengths must
// reproduce dense attention computed sequence by sequence (the reference
// never lets a query see another sequence's keys); lengths a strategy cannot
// split are refused with a sentence naming the length, and `spsim verify`
// turns that into an InputError.
#include <doctest/doctest.h>

#include "program/input_error.h"
#include "strategies/registry.h"
#include "validate/verify.h"

namespace spsim {
namespace {

// Divisible by 2P for P in {1, 2, 4}: every layout (contiguous, zigzag,
// striped) can split each sequence, and the lengths all differ, so a strategy
// that assumed one common length would misplace tokens.
const std::vector<std::int64_t> kPacked{96, 40, 16, 8};

Workload packed_workload(bool causal, std::uint32_t kv_heads) {
  Workload w;
  w.seq_lens = kPacked;
  w.heads = 4;
  w.kv_heads = kv_heads;
  w.head_dim = 8;
  w.causal = causal;
  w.pass = Pass::kForwardBackward;
  return w;
}

// Verifies every legal (mask, heads, P) of `name` on the packed lengths and
// returns how many were legal; `quick`: causal MHA at P = 2 and 4 only.
int verify_packed(std::string_view name, bool quick = false) {
  const Strategy* s = find_strategy(name);
  REQUIRE(s != nullptr);
  int legal = 0;
  const std::vector<bool> masks = quick ? std::vector<bool>{true} : std::vector<bool>{false, true};
  const std::vector<std::uint32_t> kvs = quick ? std::vector<std::uint32_t>{4} : std::vector<std::uint32_t>{4, 2};
  const std::vector<std::uint32_t> degrees = quick ? std::vector<std::uint32_t>{2, 4} : std::vector<std::uint32_t>{1, 2, 4};
  for (bool causal : masks)
    for (std::uint32_t kv : kvs)
      for (std::uint32_t P : degrees) {
        const Workload w = packed_workload(causal, kv);
        StrategyOptions o;
        o.sp = P;
        if (s->refuse(w, o)) continue;
        ++legal;
        for (std::uint64_t seed : {1u}) {
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
  return legal;
}

TEST_CASE("packed verify: ring") {
  // Contiguous chunks need P | S: 2 masks x 2 head shapes x 3 degrees.
  CHECK(verify_packed("ring") == 12);
}
TEST_CASE("packed verify: zigzag") {
  // 2P | S for every length and every P in {1, 2, 4}.
  CHECK(verify_packed("zigzag") == 12);
}
TEST_CASE("packed verify: ulysses") {
  // P divides H = 4 and Hkv: MHA P in {1, 2, 4}, GQA (Hkv = 2) P in {1, 2}; x 2 masks.
  CHECK(verify_packed("ulysses") == 10);
}
TEST_CASE("packed verify: striped, allgather, rsa, tokenring, usp, double-ring") {
  // Causal MHA at P = 2 and 4: each of these accepts both (lengths divisible by 2P).
  for (const char* name : {"striped", "allgather", "rsa", "tokenring", "usp", "double-ring"}) {
    CAPTURE(name);
    CHECK(verify_packed(name, /*quick=*/true) == 2);
  }
}

TEST_CASE("packed verify: lengths a layout cannot split are refused, naming the length") {
  Workload w = packed_workload(true, 4);
  w.seq_lens = {100, 37, 5};
  StrategyOptions o;
  o.sp = 2;
  for (const char* name : {"ring", "zigzag", "ulysses"}) {
    CAPTURE(name);
    const auto why = find_strategy(name)->refuse(w, o);
    REQUIRE(why.has_value());
    CHECK(why->find("37") != std::string::npos);
    CHECK_THROWS_AS(verify_strategy(*find_strategy(name), w, o), InputError);
  }
  // A sequence shorter than P: refused (P > S), not split into empty chunks.
  w.seq_lens = {64, 2};
  o.sp = 4;
  const auto why = find_strategy("ring")->refuse(w, o);
  REQUIRE(why.has_value());
  CHECK(why->find("P > S") != std::string::npos);
}

}  // namespace
}  // namespace spsim
