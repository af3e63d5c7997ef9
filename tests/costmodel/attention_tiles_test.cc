// Tile counts of attention blocks: hand-derived cases, and the closed-form
// counter against a brute-force enumeration of tiles and pairs.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "costmodel/attention_tiles.h"

namespace spsim {
namespace {

// Every tile, every pair: what the kernel computes, by definition.
AttentionTileCounts brute_force(const std::vector<TokenRun>& q, const std::vector<TokenRun>& k,
                                bool causal, std::int64_t tq, std::int64_t tk) {
  AttentionTileCounts c;
  for (const TokenRun& a : q) {
    for (const TokenRun& b : k) {
      if (a.seq != b.seq) continue;
      for (std::int64_t i0 = 0; i0 < a.count; i0 += tq) {
        const std::int64_t i1 = std::min(a.count, i0 + tq);
        for (std::int64_t j0 = 0; j0 < b.count; j0 += tk) {
          const std::int64_t j1 = std::min(b.count, j0 + tk);
          bool any = false, all = true;
          for (std::int64_t i = i0; i < i1; ++i) {
            for (std::int64_t j = j0; j < j1; ++j) {
              const bool visible = !causal || b.start + b.stride * j <= a.start + a.stride * i;
              any = any || visible;
              all = all && visible;
            }
          }
          const std::int64_t area = (i1 - i0) * (j1 - j0);
          if (any) c.computed_pairs += area;
          if (any && !all) c.partial_pairs += area;
        }
      }
    }
  }
  return c;
}

AttentionTileCounts counts(const std::vector<TokenRun>& q, const std::vector<TokenRun>& k, bool causal,
                           std::uint32_t tq, std::uint32_t tk) {
  return attention_tile_counts(q, k, causal, tq, tk);
}

TEST_CASE("causal square: query tile row t computes t+1 key tiles, one of them cut") {
  // S = 512, 128x128 tiles, T = 4: C = 128²·T(T+1)/2 = 163840; the T diagonal
  // tiles are cut: 4·128² = 65536.
  const std::vector<TokenRun> s = {{0, 0, 512, 1}};
  CHECK(counts(s, s, true, 128, 128) == AttentionTileCounts{163840, 65536});
  // 128x64: query tile t computes key tiles 0..2t+1 (128(t+1) keys) and cuts
  // 2t and 2t+1 (128 keys): the same totals. 64x128 likewise.
  CHECK(counts(s, s, true, 128, 64) == AttentionTileCounts{163840, 65536});
  CHECK(counts(s, s, true, 64, 128) == AttentionTileCounts{163840, 65536});
  // Visible pairs are only S(S+1)/2 = 131328 < 163840: tiles cost extra.
  CHECK(unmasked_pairs(s, s, true) == 131328);
}

TEST_CASE("non-causal, fully visible and fully masked blocks") {
  const std::vector<TokenRun> q = {{0, 0, 300, 1}}, k = {{0, 0, 200, 1}};
  CHECK(counts(q, k, false, 128, 128) == AttentionTileCounts{60000, 0});
  // A ring step with a past key block: every pair visible, no cut tile.
  const std::vector<TokenRun> late = {{0, 1000, 512, 1}}, early = {{0, 0, 512, 1}};
  CHECK(counts(late, early, true, 128, 128) == AttentionTileCounts{512 * 512, 0});
  // A future key block: nothing computed.
  CHECK(counts(early, late, true, 128, 128) == AttentionTileCounts{0, 0});
  // Different sequences never meet.
  const std::vector<TokenRun> other = {{1, 0, 512, 1}};
  CHECK(counts(early, other, false, 128, 128) == AttentionTileCounts{0, 0});
}

TEST_CASE("striped block is causal in row space") {
  // Stride 4; query offset 1, key offset 2: key row j visible to query row i
  // iff 2 + 4j <= 1 + 4i, i.e. j < i. With 256 rows and 128x128 tiles:
  // (q0,k0) cut, (q0,k1) skipped, (q1,k0) full, (q1,k1) cut:
  // computed 3·128², cut 2·128².
  const std::vector<TokenRun> q = {{0, 1, 256, 4}}, k = {{0, 2, 256, 4}};
  CHECK(counts(q, k, true, 128, 128) == AttentionTileCounts{3 * 128 * 128, 2 * 128 * 128});
}

TEST_CASE("causal_partial_band: one band of max(tile_q, tile_k) keys per row") {
  CHECK(causal_partial_band(128, 128) == 128);
  CHECK(causal_partial_band(128, 64) == 128);
  CHECK(causal_partial_band(64, 128) == 128);
  CHECK(causal_partial_band(2, 2) == 2);
  // A 1x1 tile is never cut (a diagonal pair is visible): no band at all.
  CHECK(causal_partial_band(1, 1) == 0);
}

TEST_CASE("closed-form tile counts equal brute force on random layouts") {
  std::mt19937 rng(12345);
  auto uniform = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  const std::uint32_t tiles[] = {1, 3, 7, 16, 32, 64};
  for (int trial = 0; trial < 300; ++trial) {
    auto random_layout = [&] {
      std::vector<TokenRun> runs;
      const auto nruns = uniform(1, 3);
      for (int r = 0; r < nruns; ++r)
        runs.push_back({static_cast<std::uint32_t>(uniform(0, 1)), uniform(0, 300), uniform(1, 110), uniform(1, 4)});
      return runs;
    };
    const auto q = random_layout(), k = random_layout();
    const std::uint32_t tq = tiles[uniform(0, 5)], tk = tiles[uniform(0, 5)];
    const bool causal = uniform(0, 3) != 0;
    const AttentionTileCounts expect = brute_force(q, k, causal, tq, tk);
    const AttentionTileCounts got = counts(q, k, causal, tq, tk);
    INFO("trial " << trial << " tiles " << tq << "x" << tk << " causal " << causal);
    REQUIRE(got == expect);
  }
}

}  // namespace
}  // namespace spsim
