// DP bucketing: optimal (equal to the plain O(k·m²) DP), exact with enough
// buckets, and better than equal-width buckets on Wikipedia-like lengths.
#include <doctest/doctest.h>

#include <random>

#include "planner/bucketing.h"
#include "planner/length_distribution.h"

namespace spsim {
namespace {

double members(const Bucketing& b) {
  double n = 0;
  for (const auto& x : b.buckets) n += static_cast<double>(x.count);
  return n;
}

TEST_CASE("bucket_lengths: a hand-sized example") {
  // Lengths 1, 2, 10, 11, 100 in two buckets: {1, 2, 10, 11} + {100} costs
  // (11−1)+(11−2)+(11−10) = 20; {1, 2} + {10, 11, 100} costs 1 + 90 + 89 = 180;
  // the DP picks the first.
  const std::vector<std::int64_t> lengths{100, 1, 11, 2, 10};
  const Bucketing b = bucket_lengths(lengths, 2);
  REQUIRE(b.buckets.size() == 2);
  CHECK(b.buckets[0].max_tokens == 11);
  CHECK(b.buckets[1].max_tokens == 100);
  CHECK(token_estimation_error(b.buckets) == 20);
  CHECK(b.bucket_of == std::vector<std::uint32_t>{1, 0, 0, 0, 0});
  CHECK(b.buckets[0].sum_sq_tokens == 1 + 121 + 4 + 100);
}

TEST_CASE("bucket_lengths equals the quadratic DP and keeps every sequence") {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 60; ++trial) {
    std::vector<std::int64_t> lengths;
    const int n = 1 + static_cast<int>(rng() % 120);
    for (int i = 0; i < n; ++i) lengths.push_back(1 + static_cast<std::int64_t>(rng() % (trial % 2 ? 50 : 5000)));
    const std::size_t k = 1 + rng() % 20;
    const Bucketing b = bucket_lengths(lengths, k);
    CAPTURE(trial);
    CHECK(b.buckets.size() <= k);
    CHECK(members(b) == n);
    CHECK(token_estimation_error(b.buckets) == doctest::Approx(optimal_bucketing_error_quadratic(lengths, k)));
    for (std::size_t i = 0; i < lengths.size(); ++i) {
      CHECK(lengths[i] <= b.buckets[b.bucket_of[i]].max_tokens);
      CHECK(lengths[i] >= b.buckets[b.bucket_of[i]].min_tokens);
    }
  }
}

TEST_CASE("bucket_lengths: one bucket per distinct length is exact") {
  const std::vector<std::int64_t> lengths{5, 3, 5, 9, 3, 3};
  const Bucketing b = bucket_lengths(lengths, 16);
  CHECK(b.buckets.size() == 3);
  CHECK(token_estimation_error(b.buckets) == 0);
}

TEST_CASE("DP bucketing beats equal-width buckets on Wikipedia-like lengths") {
  const LengthDistribution& w = find_length_distribution("wikipedia");
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    LengthSampler sampler(w.shape, seed);
    std::vector<std::int64_t> lengths;
    for (int i = 0; i < 512; ++i) lengths.push_back(std::min<std::int64_t>(sampler.next(), 393216));
    double total = 0;
    for (auto s : lengths) total += static_cast<double>(s);
    const double dp = token_estimation_error(bucket_lengths(lengths, 16).buckets);
    const double equal = token_estimation_error(bucket_lengths_equal_width(lengths, 16).buckets);
    MESSAGE("seed " << seed << ": 512 sequences, " << total << " tokens; 16 buckets: DP error " << dp << " tokens ("
                    << 100 * dp / total << "%), equal-width error " << equal << " tokens (" << 100 * equal / total
                    << "%)");
    CHECK(dp < equal);
  }
}

}  // namespace
}  // namespace spsim
