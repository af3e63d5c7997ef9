// The group time model: FlexSP's form from a profile, its JSON, the
// non-negative least-squares fit, and the memory budget's closed form.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "planner/group_time_fit.h"
#include "planner/group_time_model.h"
#include "planner/memory_budget.h"
#include "program/input_error.h"
#include "strategies/model.h"
#include "tests/support/test_files.h"

namespace spsim {
namespace {

const char* kProfile = R"({
  "alpha1_s_per_token_sq": 2e-11, "alpha2_s_per_token": 4e-5, "beta1_s": 0.05,
  "alpha3_bytes_per_token": 1e6, "beta2_s": 0.01,
  "alltoall_gb_per_s": {"2": 119.5, "4": 104.1, "8": 96.5, "16": 10.3, "32": 5.9, "64": 4.9},
  "source": "strategies.md bandwidths"})";

TEST_CASE("FlexSP profile: coefficients by the paper's form") {
  const FlexSpProfileModel m(read_flexsp_profile(test::write_temp("spsim_group_time_test_ok.json", kProfile)));
  const std::vector<DeviceId> one{0}, sixteen(16, 0);
  // d = 1: a = α1, b = α2, c = β1 (no all-to-all).
  const auto c1 = m.coefficients(one);
  CHECK(c1.seconds_per_token_sq == 2e-11);
  CHECK(c1.seconds_per_token == 4e-5);
  CHECK(c1.fixed_s == 0.05);
  // d = 16: a = α1/16, b = α2/16 + α3/(16·v16) = 2.5e-6 + 1e6/(16·10.3e9), c = β1 + β2.
  const auto c16 = m.coefficients(sixteen);
  CHECK(c16.seconds_per_token_sq == doctest::Approx(2e-11 / 16));
  CHECK(c16.seconds_per_token == doctest::Approx(4e-5 / 16 + 1e6 / (16 * 10.3e9)));
  CHECK(c16.fixed_s == doctest::Approx(0.06));
  // A group of 1000 + 3000 tokens at d = 16: a·(1e6 + 9e6) + b·4000 + c.
  CHECK(c16.seconds(4000, 1e7) == doctest::Approx(c16.seconds_per_token_sq * 1e7 + c16.seconds_per_token * 4000 + 0.06));
  CHECK(c16.seconds(0, 0) == 0);
  const std::vector<DeviceId> x128(128, 0);
  CHECK_THROWS_AS(m.coefficients(x128), InputError);
}

TEST_CASE("FlexSP profile JSON: errors name the file and key") {
  const auto unknown = test::write_temp("spsim_group_time_test_unknown.json", R"({"alpha1": 1})");
  CHECK_THROWS_WITH_AS(read_flexsp_profile(unknown), (unknown + ": key 'alpha1': unknown key").c_str(), InputError);
  const auto missing = test::write_temp("spsim_group_time_test_missing.json", R"({"alpha1_s_per_token_sq": 1})");
  CHECK_THROWS_WITH_AS(read_flexsp_profile(missing), (missing + ": key 'alpha2_s_per_token': missing").c_str(), InputError);
  const auto bad_size = test::write_temp("spsim_group_time_test_size.json", R"({"alpha1_s_per_token_sq": 1, "alpha2_s_per_token": 1, "beta1_s": 0,
      "alpha3_bytes_per_token": 1, "beta2_s": 0, "alltoall_gb_per_s": {"3": 10}})");
  CHECK_THROWS_WITH_AS(read_flexsp_profile(bad_size),
                       (bad_size + ": key 'alltoall_gb_per_s': group sizes must be powers of two in 2..65536, got '3'").c_str(),
                       InputError);
  CHECK_THROWS_AS(read_flexsp_profile(test::write_temp("spsim_group_time_test_neg.json", R"({"alpha1_s_per_token_sq": -1})")), InputError);
  CHECK_THROWS_AS(read_flexsp_profile("/nonexistent/profile.json"), InputError);
}

TEST_CASE("fit_group_time recovers a linear model exactly, and stays non-negative") {
  const GroupTimeCoefficients truth{3e-11, 2e-5, 0.04};
  std::vector<ProbePoint> points;
  for (const auto& lens : probe_workloads(4, 8, 200000, 393216)) {
    ProbePoint p;
    for (auto s : lens) {
      CHECK(s % 8 == 0);
      p.sum_tokens += static_cast<double>(s);
      p.sum_sq_tokens += static_cast<double>(s) * static_cast<double>(s);
    }
    p.seconds = truth.seconds(p.sum_tokens, p.sum_sq_tokens);
    points.push_back(p);
  }
  CHECK(points.size() >= 8);
  const auto fit = fit_group_time(points);
  CHECK(fit.seconds_per_token_sq == doctest::Approx(truth.seconds_per_token_sq).epsilon(1e-6));
  CHECK(fit.seconds_per_token == doctest::Approx(truth.seconds_per_token).epsilon(1e-6));
  CHECK(fit.fixed_s == doctest::Approx(truth.fixed_s).epsilon(1e-6));
  // Data whose best unconstrained intercept is negative: the fit clamps it to 0.
  std::vector<ProbePoint> tilted;
  for (double s : {1000.0, 2000.0, 4000.0, 8000.0}) tilted.push_back({s, s * s, 1e-4 * s - 0.05});
  const auto nn = fit_group_time(tilted);
  CHECK(nn.fixed_s >= 0);
  CHECK(nn.seconds_per_token_sq >= 0);
  CHECK(nn.seconds_per_token >= 0);
}

TEST_CASE("activation bytes per token: 34h per GPT layer (Korthikanti et al.) plus 4 bytes per logit") {
  const ModelSpec& gpt = find_model("gpt-7b");  // H·D = h = 4096, Hkv = H, plain MLP f = 4h
  CHECK(gpt.ffn_hidden == 4 * gpt.hidden);
  CHECK(activation_bytes_per_token(gpt) == doctest::Approx(32.0 * 34 * 4096 + 4.0 * 50257));
  const MemoryBudget b = memory_budget(gpt, 80e9, 0.9, 64, ZeroStage::kParameters);
  // ZeRO-3 over 64 devices: (2 + 2 + 12)·Ψ/64 bytes of states.
  CHECK(b.static_bytes == doctest::Approx(16.0 * static_cast<double>(gpt.parameter_count()) / 64));
  CHECK(b.tokens_per_device() == doctest::Approx((72e9 - b.static_bytes) / b.activation_bytes_per_token));
}

}  // namespace
}  // namespace spsim
