// Packed variable-length input (cu_seqlens): several sequences of different
// lengths in one buffer. Every strategy that accepts the lengths must
// reproduce dense attention computed sequence by sequence (the reference
// never lets a query see another sequence's keys); lengths a strategy cannot
// split are padded to its multiple, the padding masked out.
#include <doctest/doctest.h>

#include "strategies/lower_attention.h"

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

TEST_CASE("packed verify: lengths a layout cannot split are padded, as TransformerEngine and Megatron pad") {
  // The strategy alone refuses 37 tokens on P = 2 (naming the length); the
  // lowering pads every sequence to the strategy's multiple instead (P for a
  // contiguous or striped ring, 2P for zigzag), verifies on the real tokens
  // and counts the padding. 100, 37, 5, 42 at P = 4:
  //   multiple 4: 100 + 40 + 8 + 44 = 192 tokens, 8 of them padding;
  //   multiple 8: 104 + 40 + 8 + 48 = 200 tokens, 16 of them padding.
  Workload w = packed_workload(true, 4);
  w.seq_lens = {100, 37, 5};
  StrategyOptions o;
  o.sp = 2;
  for (const char* name : {"ring", "zigzag", "ulysses"}) {
    CAPTURE(name);
    const auto why = find_strategy(name)->refuse(w, o);
    REQUIRE(why.has_value());
    CHECK(why->find("37") != std::string::npos);
  }
  w.seq_lens = {100, 37, 5, 42};
  o.sp = 4;
  const std::pair<const char*, std::int64_t> expected[] = {
      {"ring", 8}, {"striped", 8}, {"ulysses", 8}, {"rsa", 8}, {"zigzag", 16}, {"allgather", 16},
      {"tokenring", 16}, {"double-ring", 16}, {"usp", 16}};
  for (bool causal : {true, false}) {
    w.causal = causal;
    for (const auto& [name_binding, pad] : expected) {
      const char* name = name_binding;  // a plain variable: CAPTURE's lambda may not capture a binding (clang < 16)
      CAPTURE(name);
      CAPTURE(causal);
      const Strategy& s = *find_strategy(name);
      // allgather and tokenring need 2P only for their causal zigzag layout.
      const bool zigzag_only_when_causal = std::string_view(name) == "allgather" || std::string_view(name) == "tokenring";
      CHECK(padding_tokens(s, w, o) == (zigzag_only_when_causal && !causal ? 8 : pad));
      const VerifyReport r = verify_strategy(s, w, o);
      for (const auto& c : r.checks) {
        CAPTURE(tensor_name(c.tensor));
        CHECK(c.max_rel_error < 1e-9);
      }
      CHECK(r.passed);
    }
  }
}

TEST_CASE("padding: the mask hides padded tokens, the cost counts only real pairs") {
  // One sequence of 5 tokens padded to 6 on P = 2 (ring, full mask): member 0
  // holds positions 0..2, member 1 positions 3, 4 (real) and 5 (padding).
  // Visible pairs per head over the whole program: 5 x 5 = 25 (the padded
  // 6 x 6 = 36 would be wrong), as blocks (0,0) 9, (0,1) 6, (1,0) 6, (1,1) 4.
  Workload w = packed_workload(false, 2);
  w.seq_lens = {5};
  w.pass = Pass::kForward;
  StrategyOptions o;
  o.sp = 2;
  const Program p = lower_attention(*find_strategy("ring"), w, o);
  std::int64_t pairs = 0;
  for (std::size_t i = 0; i < p.num_ops(); ++i)
    if (p.op(op_id(i)).kind == OpKind::kAttnFwd) pairs += p.op(op_id(i)).work;
  CHECK(pairs == 25);
  CHECK(verify_strategy(*find_strategy("ring"), w, o).passed);
}

}  // namespace
}  // namespace spsim
