// The cost model's work count (Op::work, unmasked (q, k) pairs per head) on
// packed sequences: attention never crosses sequences, so the pairs of a
// packed layout are the sum over its sequences — never (Σs)² or Σs·(Σs+1)/2.
#include <doctest/doctest.h>

#include "program/token_layout.h"
#include "strategies/lower_attention.h"
#include "strategies/registry.h"

namespace spsim {
namespace {

const std::vector<std::int64_t> kPacked{96, 40, 16, 8};

// Σ_i s_i(s_i+1)/2 (causal: query at position p sees p+1 keys) or Σ_i s_i²
// (full mask), the pairs of one head over the packed batch.
std::int64_t expected_pairs(bool causal) {
  std::int64_t n = 0;
  for (auto s : kPacked) n += causal ? s * (s + 1) / 2 : s * s;
  return n;
}

TEST_CASE("unmasked_pairs of a packed layout is the sum over its sequences") {
  // The whole packed buffer against itself: 96·97/2 + 40·41/2 + 16·17/2 + 8·9/2
  // = 4656 + 820 + 136 + 36 = 5648 causal, 9216 + 1600 + 256 + 64 = 11136 full.
  const TokenLayout all = contiguous_shard(kPacked, 1, 0);
  CHECK(unmasked_pairs(all, all, true) == 5648);
  CHECK(unmasked_pairs(all, all, false) == 11136);
  CHECK(expected_pairs(true) == 5648);
  CHECK(expected_pairs(false) == 11136);
  // Split into P shards of every sequence: the P x P blocks partition the pairs.
  for (std::uint32_t P : {2u, 4u}) {
    for (bool causal : {false, true}) {
      std::int64_t contiguous = 0, zigzag = 0;
      for (std::uint32_t i = 0; i < P; ++i)
        for (std::uint32_t j = 0; j < P; ++j) {
          contiguous += unmasked_pairs(contiguous_shard(kPacked, P, i), contiguous_shard(kPacked, P, j), causal);
          zigzag += unmasked_pairs(zigzag_shard(kPacked, P, i), zigzag_shard(kPacked, P, j), causal);
        }
      CAPTURE(P);
      CAPTURE(causal);
      CHECK(contiguous == expected_pairs(causal));
      CHECK(zigzag == expected_pairs(causal));
    }
  }
}

// Σ Op::work over a Program's forward attention blocks.
std::int64_t forward_pairs(const Program& p) {
  std::int64_t n = 0;
  for (std::size_t i = 0; i < p.num_ops(); ++i)
    if (p.op(op_id(i)).kind == OpKind::kAttnFwd) n += p.op(op_id(i)).work;
  return n;
}

TEST_CASE("Op::work of a packed layer: ring and zigzag count each pair once, ulysses once per head shard") {
  for (bool causal : {false, true}) {
    Workload w;
    w.seq_lens = kPacked;
    w.heads = 4;
    w.kv_heads = 4;
    w.head_dim = 8;
    w.causal = causal;
    const std::uint32_t P = 4;
    CAPTURE(causal);
    // Ring / zigzag: the P² blocks (each rank's q against every k shard)
    // cover every visible pair of every sequence once; pairs are per head.
    for (const char* name : {"ring", "zigzag"}) {
      CAPTURE(name);
      CHECK(forward_pairs(lower_attention(*find_strategy(name), w, StrategyOptions{P})) == expected_pairs(causal));
    }
    // Ulysses: each of the P members attends the whole packed batch for its
    // H/P heads, so every member's block has all the pairs: P · Σ pairs.
    CHECK(forward_pairs(lower_attention(*find_strategy("ulysses"), w, StrategyOptions{P})) ==
          P * expected_pairs(causal));
  }
}

}  // namespace
}  // namespace spsim
