#include "program/token_layout.h"

#include <doctest/doctest.h>

#include <random>

namespace spsim {
namespace {

// Counts visible pairs by enumerating every (query, key) pair.
std::int64_t brute_pairs(const TokenLayout& q, const TokenLayout& k, bool causal) {
  std::int64_t n = 0;
  for (auto a : expand_layout(q))
    for (auto b : expand_layout(k)) n += a.seq == b.seq && (!causal || b.pos <= a.pos);
  return n;
}

TEST_CASE("unmasked_pairs: closed forms of whole causal blocks") {
  const std::vector<std::int64_t> lens{64};
  // One full causal sequence of S tokens: S(S+1)/2 pairs.
  const TokenLayout all{{0, 0, 64, 1}};
  CHECK(unmasked_pairs(all, all, true) == 64 * 65 / 2);
  CHECK(unmasked_pairs(all, all, false) == 64 * 64);
  // Ring, P = 4, C = 16: the diagonal block has C(C+1)/2, earlier blocks C^2, later 0.
  const auto r1 = contiguous_shard(lens, 4, 1), r2 = contiguous_shard(lens, 4, 2);
  CHECK(unmasked_pairs(r2, r2, true) == 16 * 17 / 2);
  CHECK(unmasked_pairs(r2, r1, true) == 16 * 16);
  CHECK(unmasked_pairs(r1, r2, true) == 0);
  // Striped, P = 4, c = 16 per rank: c(c+1)/2 when the key rank <= query rank, else c(c-1)/2.
  const auto s1 = striped_shard(lens, 4, 1), s3 = striped_shard(lens, 4, 3);
  CHECK(unmasked_pairs(s3, s1, true) == 16 * 17 / 2);
  CHECK(unmasked_pairs(s1, s3, true) == 16 * 15 / 2);
  // Zigzag, P = 4, chunk c = 8: rank i's full Q against rank j<i's early half: 2c * c.
  const auto z3 = zigzag_shard(lens, 4, 3), z1 = zigzag_shard(lens, 4, 1);
  CHECK(unmasked_pairs(z3, slice_layout(z1, 0, 8), true) == 2 * 8 * 8);
}

TEST_CASE("unmasked_pairs agrees with enumeration on random run lists") {
  std::mt19937_64 rng(42);
  auto random_layout = [&]() {
    TokenLayout l;
    const int runs = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < runs; ++i)
      l.push_back(TokenRun{static_cast<std::uint32_t>(rng() % 2), static_cast<std::int64_t>(rng() % 40),
                           static_cast<std::int64_t>(rng() % 12), 1 + static_cast<std::int64_t>(rng() % 5)});
    return l;
  };
  for (int trial = 0; trial < 2000; ++trial) {
    const TokenLayout q = random_layout(), k = random_layout();
    CHECK(unmasked_pairs(q, k, true) == brute_pairs(q, k, true));
    CHECK(unmasked_pairs(q, k, false) == brute_pairs(q, k, false));
  }
}

TEST_CASE("unmasked_pairs on packed layouts of many sequences (the sorted pairing path)") {
  // 12 x 12 runs exceed the direct double loop: runs are paired by sequence id.
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    TokenLayout q, k;
    for (int i = 0; i < 12; ++i) {
      q.push_back(TokenRun{static_cast<std::uint32_t>(rng() % 5), static_cast<std::int64_t>(rng() % 30),
                           static_cast<std::int64_t>(rng() % 6), 1 + static_cast<std::int64_t>(rng() % 3)});
      k.push_back(TokenRun{static_cast<std::uint32_t>(rng() % 5), static_cast<std::int64_t>(rng() % 30),
                           static_cast<std::int64_t>(rng() % 6), 1 + static_cast<std::int64_t>(rng() % 3)});
    }
    CHECK(unmasked_pairs(q, k, true) == brute_pairs(q, k, true));
    CHECK(unmasked_pairs(q, k, false) == brute_pairs(q, k, false));
  }
}

TEST_CASE("canonical_layout fuses continuing runs and keeps positions") {
  const TokenLayout l{{0, 0, 4, 1}, {0, 4, 4, 1}, {0, 10, 1, 7}, {1, 0, 0, 3}, {0, 12, 1, 1}};
  const TokenLayout c = canonical_layout(l);
  CHECK(expand_layout(c) == expand_layout(l));
  CHECK(c.size() == 2);  // [0..7] and {10, 12}
}

TEST_CASE("slice_layout returns exactly the requested rows") {
  const std::vector<std::int64_t> lens{32, 48};
  const auto z = zigzag_shard(lens, 2, 1);
  const auto all = expand_layout(z);
  for (std::int64_t off = 0; off <= token_count(z); off += 5)
    for (std::int64_t n = 0; off + n <= token_count(z); n += 7) {
      const auto part = expand_layout(slice_layout(z, off, n));
      CHECK(part == std::vector<TokenPos>(all.begin() + off, all.begin() + off + n));
    }
}

TEST_CASE("zigzag shard: early chunks first, then late chunks, for every sequence") {
  const std::vector<std::int64_t> lens{16, 32};
  // P = 2: chunk sizes 4 and 8; rank 0 holds chunks 0 and 3.
  const auto z = expand_layout(zigzag_shard(lens, 2, 0));
  REQUIRE(z.size() == 24);
  CHECK(z[0] == TokenPos{0, 0});
  CHECK(z[4] == TokenPos{1, 0});
  CHECK(z[12] == TokenPos{0, 12});
  CHECK(z[16] == TokenPos{1, 24});
}

}  // namespace
}  // namespace spsim
