// Pass counts of each policy against their closed forms (stream/policy.h).
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include "stream/policy.h"

using namespace spsim;

namespace {

struct Counts {
  std::uint64_t by_kind[kNumPassKinds] = {};
  std::uint64_t of(PassKind k) const { return by_kind[static_cast<std::size_t>(k)]; }
  std::uint64_t decoder() const { return of(PassKind::kDecodeStep) + of(PassKind::kDecodeAll); }
};

Counts count(const std::vector<ScheduledPass>& s) {
  Counts c;
  for (const ScheduledPass& p : s) ++c.by_kind[static_cast<std::size_t>(p.pass.kind)];
  return c;
}

// The passes run in order of their source tokens, each released no earlier than the previous.
void check_ordered(const std::vector<ScheduledPass>& s, std::uint32_t n) {
  std::uint32_t last = 1;
  for (const ScheduledPass& p : s) {
    CHECK(p.after_src >= last);
    CHECK(p.after_src <= n);
    CHECK(p.pass.src <= p.after_src);  // a pass never sees a token that has not arrived
    last = p.after_src;
  }
}

// The listener's final translation is the last shown, with m(n) tokens.
std::uint32_t last_shown(const std::vector<ScheduledPass>& s) {
  std::uint32_t shown = 0;
  for (const ScheduledPass& p : s)
    if (p.shows > 0) shown = p.shows;
  return shown;
}

}  // namespace

TEST_CASE("target_length: m(j) = max(1, round(ratio j))") {
  CHECK(target_length(30, 1.0) == 30);
  CHECK(target_length(30, 1.2) == 36);
  CHECK(target_length(1, 0.2) == 1);
  CHECK(target_length(10, 0.25) == 3);  // round(2.5) away from zero
}

TEST_CASE("reta: every arrival re-decodes its whole target, sum_j m(j) decoder steps") {
  for (std::uint32_t n : {1u, 7u, 30u}) {
    for (double r : {1.0, 0.5, 1.7}) {
      CAPTURE(n);
      CAPTURE(r);
      const PolicyOptions o{.tgt_ratio = r};
      const auto s = policy_schedule(Policy::kReta, n, o);
      std::uint64_t sum = 0;
      for (std::uint32_t j = 1; j <= n; ++j) sum += target_length(j, r);
      const Counts c = count(s);
      CHECK(c.of(PassKind::kDecodeStep) == sum);
      CHECK(c.of(PassKind::kEncode) == n);
      CHECK(c.of(PassKind::kCrossKeys) == n);
      CHECK(c.of(PassKind::kDecodeAll) == 0);
      CHECK(s.size() == 2 * n + sum);
      CHECK(last_shown(s) == target_length(n, r));
      check_ordered(s, n);
    }
  }
  // Ratio 1: n (n + 1) / 2 steps (465 for the 30-token sentence of the issue).
  CHECK(count(policy_schedule(Policy::kReta, 30, {})).decoder() == 465);
}

TEST_CASE("fretna: n re-translations of `iterations` parallel passes each") {
  for (std::uint32_t it : {1u, 4u}) {
    CAPTURE(it);
    const PolicyOptions o{.iterations = it};
    const auto s = policy_schedule(Policy::kFretna, 30, o);
    const Counts c = count(s);
    CHECK(c.of(PassKind::kDecodeAll) == 30 * it);
    CHECK(c.of(PassKind::kDecodeStep) == 0);
    CHECK(c.of(PassKind::kLength) == 30);
    CHECK(c.of(PassKind::kEncode) == 30);
    // Each re-translation's passes cover its prefix's target length; only the last shows it.
    std::uint32_t shown = 0;
    for (const ScheduledPass& p : s)
      if (p.pass.kind == PassKind::kDecodeAll) {
        CHECK(p.pass.tgt == target_length(p.after_src, 1.0));
        CHECK((p.shows == 0 || p.shows == p.pass.tgt));
        shown += p.shows > 0 ? 1 : 0;
      }
    CHECK(shown == 30);
    check_ordered(s, 30);
  }
}

TEST_CASE("waitk: each target token decoded once, after min(k + i - 1, n) source tokens") {
  for (std::uint32_t k : {1u, 3u, 9u}) {
    CAPTURE(k);
    const std::uint32_t n = 20;
    const PolicyOptions bi{.k = k};
    const auto s = policy_schedule(Policy::kWaitk, n, bi);
    const Counts c = count(s);
    CHECK(c.of(PassKind::kDecodeStep) == n);  // ratio 1: m = n tokens, once each
    // Bidirectional: the prefix is re-encoded for each step that sees a longer one:
    // prefixes k..n (the last n - (n - k + 1) tokens all see the whole source).
    CHECK(c.of(PassKind::kEncode) == n - k + 1);
    std::uint32_t i = 0;
    for (const ScheduledPass& p : s) {
      if (p.pass.kind != PassKind::kDecodeStep) continue;
      CHECK(p.pass.tgt == i);  // position i = target token i + 1
      CHECK(p.after_src == std::min(k + i, n));
      CHECK(p.pass.src == p.after_src);
      CHECK(p.shows == i + 1);
      ++i;
    }
    check_ordered(s, n);

    PolicyOptions uni = bi;
    uni.waitk_encoder = EncoderKind::kUnidirectional;
    const auto su = policy_schedule(Policy::kWaitk, n, uni);
    const Counts cu = count(su);
    CHECK(cu.of(PassKind::kEncodeStep) == n);  // every token encoded once
    CHECK(cu.of(PassKind::kEncode) == 0);
    CHECK(cu.of(PassKind::kCrossKeys) == n);
    for (const ScheduledPass& p : su)
      if (p.pass.kind == PassKind::kCrossKeys) CHECK(p.pass.rows == 1);
    CHECK(cu.of(PassKind::kDecodeStep) == n);
    check_ordered(su, n);
  }
  // k beyond the sentence: all steps after the whole source, like offline but incremental.
  const auto late = policy_schedule(Policy::kWaitk, 5, PolicyOptions{.k = 9});
  CHECK(count(late).of(PassKind::kEncode) == 1);
  CHECK(count(late).of(PassKind::kDecodeStep) == 5);
}

TEST_CASE("offline: one encoder pass and m(n) steps, after the last token") {
  const auto s = policy_schedule(Policy::kOffline, 30, PolicyOptions{.tgt_ratio = 1.2});
  const Counts c = count(s);
  CHECK(c.of(PassKind::kEncode) == 1);
  CHECK(c.of(PassKind::kDecodeStep) == 36);
  for (const ScheduledPass& p : s) CHECK(p.after_src == 30);
  CHECK(last_shown(s) == 36);
}

TEST_CASE("policy_schedule_size: the closed forms equal the schedules' sizes") {
  for (Policy p : kAllPolicies)
    for (std::uint32_t n : {1u, 2u, 5u, 17u})
      for (double r : {0.3, 1.0, 2.2})
        for (std::uint32_t k : {1u, 4u, 30u})
          for (EncoderKind e : {EncoderKind::kBidirectional, EncoderKind::kUnidirectional}) {
            const PolicyOptions o{.tgt_ratio = r, .k = k, .iterations = 3, .waitk_encoder = e};
            const std::string what = std::string(policy_name(p)) + " n " + std::to_string(n) + " r " +
                                     std::to_string(r) + " k " + std::to_string(k);
            CAPTURE(what);
            CHECK(policy_schedule_size(p, n, o) == policy_schedule(p, n, o).size());
          }
}

TEST_CASE("policy_schedule: out-of-range options are refused") {
  CHECK_THROWS_AS(policy_schedule(Policy::kReta, 0, {}), std::invalid_argument);
  CHECK_THROWS_AS(policy_schedule(Policy::kWaitk, 5, PolicyOptions{.k = 0}), std::invalid_argument);
  CHECK_THROWS_AS(policy_schedule(Policy::kFretna, 5, PolicyOptions{.iterations = 0}), std::invalid_argument);
  CHECK_THROWS_AS(policy_schedule(Policy::kReta, 5, PolicyOptions{.tgt_ratio = 0}), std::invalid_argument);
  CHECK_THROWS_AS(policy_schedule(Policy::kReta, 5, PolicyOptions{.tgt_ratio = std::nan("")}), std::invalid_argument);
  CHECK(parse_policy("waitk") == Policy::kWaitk);
  CHECK_FALSE(parse_policy("wait-k"));
}
