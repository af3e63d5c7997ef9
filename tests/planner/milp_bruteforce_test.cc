// The MILP's optimum equals the best plan found by enumerating every plan on
// small instances (8 devices, up to 7 sequences): every partition of the
// sequences into groups, every power-of-two size for each group, keeping
// those whose sizes sum to at most 8 and whose memory holds their tokens.
// With at least as many buckets as distinct lengths, bucketing is exact, so
// the MILP's model and the brute force's agree sequence by sequence.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

#include "planner/greedy_plan.h"
#include "planner/micro_batch_planner.h"

namespace spsim {
namespace {

// Options for sizes 1, 2, 4, 8 of a FlexSP-shaped model with random constants:
//   a = α1/d, b = α2/d + α3/(d·v_d) (d > 1), c = β1 + β2·[d > 1],
// and `capacity` tokens per device.
// Every other call, a floor m on group times (the weight-read bound of tiny groups).
std::vector<GroupSizeOption> random_options(std::mt19937_64& rng, double capacity) {
  std::uniform_real_distribution<double> u(0.5, 2.0);
  const bool floor = rng() % 2 == 0;
  const double alpha1 = 4e-7 * u(rng), alpha2 = 1e-3 * u(rng), alpha3 = 2e-4 * u(rng);
  const double beta1 = 0.05 * u(rng), beta2 = 0.02 * u(rng);
  const double v[] = {0, 1.0, 0.9 * u(rng), 0.8 * u(rng)};  // relative all-to-all bandwidth at d = 2, 4, 8
  std::vector<GroupSizeOption> out;
  for (std::uint32_t k = 0, d = 1; d <= 8; ++k, d *= 2) {
    GroupSizeOption o;
    o.size = d;
    o.capacity_tokens = capacity * d;
    o.time.seconds_per_token_sq = alpha1 / d;
    o.time.seconds_per_token = alpha2 / d + (d > 1 ? alpha3 / (d * v[k]) : 0);
    o.time.fixed_s = beta1 + (d > 1 ? beta2 : 0);
    if (floor) o.time.min_s = 0.3 * u(rng);
    out.push_back(o);
  }
  return out;
}

// The best plan's time over all partitions x size choices (infinity if none).
double brute_force(const std::vector<std::int64_t>& lengths, const std::vector<GroupSizeOption>& options,
                   std::uint32_t devices) {
  const std::size_t n = lengths.size();
  double best = std::numeric_limits<double>::infinity();
  std::vector<std::size_t> block(n, 0);  // restricted growth string: block of each sequence
  std::function<void(std::size_t, std::size_t)> partitions = [&](std::size_t i, std::size_t blocks) {
    if (i == n) {
      std::vector<double> tokens(blocks, 0), sq(blocks, 0);
      for (std::size_t j = 0; j < n; ++j) {
        tokens[block[j]] += static_cast<double>(lengths[j]);
        sq[block[j]] += static_cast<double>(lengths[j]) * static_cast<double>(lengths[j]);
      }
      // Every size choice per block.
      std::function<void(std::size_t, std::uint32_t, double)> sizes = [&](std::size_t b, std::uint32_t used,
                                                                           double worst) {
        if (worst >= best) return;
        if (b == blocks) {
          best = worst;
          return;
        }
        for (const auto& o : options) {
          if (used + o.size > devices || tokens[b] > o.capacity_tokens) continue;
          sizes(b + 1, used + o.size, std::max(worst, o.time.seconds(tokens[b], sq[b])));
        }
      };
      sizes(0, 0, 0);
      return;
    }
    for (std::size_t b = 0; b <= blocks; ++b) {
      block[i] = b;
      partitions(i + 1, std::max(blocks, b + 1));
    }
  };
  partitions(0, 0);
  return best;
}

// always_milp: the slot MILP itself, even when the aggregated bound already
// certifies the greedy plan.
MicroBatchOptions exact_options(bool warm_start, bool always_milp = true) {
  MicroBatchOptions o;
  o.buckets = 16;  // >= 7 sequences: every distinct length its own bucket
  o.milp.relative_gap = 1e-9;
  o.milp.time_limit_s = 60;
  o.warm_start = warm_start;
  o.always_milp = always_milp;
  return o;
}

TEST_CASE("milp optimum equals brute force on 8 devices and up to 7 sequences") {
  std::mt19937_64 rng(2024);
  int compared = 0, greedy_suboptimal = 0;
  for (int trial = 0; trial < 24; ++trial) {
    const double capacity = 1000;  // tokens per device
    const auto options = random_options(rng, capacity);
    const std::size_t n = 2 + trial % 6;  // 2..7 sequences
    std::vector<std::int64_t> lengths;
    std::uniform_real_distribution<double> log_len(std::log(50.0), std::log(7500.0));
    for (std::size_t i = 0; i < n; ++i) lengths.push_back(std::llround(std::exp(log_len(rng))));
    const double expected = brute_force(lengths, options, 8);
    CAPTURE(trial);
    CAPTURE(n);
    for (int run = 0; run < 3; ++run) {
      // Slot MILP with and without the greedy warm start, then the default path.
      const bool warm = run != 1, always = run != 2;
      CAPTURE(warm);
      CAPTURE(always);
      const auto plan = plan_micro_batch(lengths, options, 8, exact_options(warm, always));
      if (!std::isfinite(expected)) {
        CHECK(!plan.has_value());
        continue;
      }
      REQUIRE(plan.has_value());
      if (always) CHECK(plan->solve.method == SolveMethod::kMilp);
      CHECK(plan->solve.method != SolveMethod::kGreedyFallback);
      CHECK((plan->solve.method == SolveMethod::kGreedyCertified || plan->solve.proven_optimal));
      CHECK(plan->seconds == doctest::Approx(expected).epsilon(1e-9));
      // Every sequence exactly once, memory held, devices within N.
      std::vector<int> seen(n, 0);
      std::uint32_t used = 0;
      for (const auto& g : plan->groups) {
        used += g.size;
        for (auto i : g.sequences) ++seen[i];
        CHECK(static_cast<double>(g.tokens) <= capacity * g.size);
      }
      CHECK(used <= 8);
      CHECK(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }));
      ++compared;
      if (run == 0 && plan->solve.real_greedy_s > expected * (1 + 1e-9)) ++greedy_suboptimal;
    }
  }
  MESSAGE("instances compared: " << compared << ", where the greedy warm start was not optimal: "
                                 << greedy_suboptimal);
  CHECK(compared >= 36);  // 24 trials x 3 runs, less those whose sequences fit no plan at all
  // (Run 1 gives CBC no warm start: there the slot MILP finds each optimum on its own.)
}

TEST_CASE("milp optimum equals brute force with one group size (the uniform baselines)") {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 12; ++trial) {
    const auto all = random_options(rng, 1000);
    const std::vector<GroupSizeOption> one{all[trial % 4]};
    std::vector<std::int64_t> lengths;
    std::uniform_int_distribution<std::int64_t> len(50, 1500);
    for (std::size_t i = 0; i < 7; ++i) lengths.push_back(len(rng));
    const double expected = brute_force(lengths, one, 8);
    const auto plan = plan_micro_batch(lengths, one, 8, exact_options(false));
    CAPTURE(trial);
    if (!std::isfinite(expected)) {
      CHECK(!plan.has_value());
      continue;
    }
    REQUIRE(plan.has_value());
    CHECK(plan->seconds == doctest::Approx(expected).epsilon(1e-9));
  }
}

}  // namespace
}  // namespace spsim
