// The step planner: chunking into micro-batches, the greedy fallback, the
// baselines' order, and a whole `spsim plan` run as JSON.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <numeric>

#include "planner/plan_run.h"
#include "planner/step_planner.h"
#include "program/input_error.h"

namespace spsim {
namespace {

// FlexSP-shaped options on 16 devices, 1000 tokens per device.
StepProblem small_problem() {
  StepProblem p;
  p.devices = 16;
  for (std::uint32_t d = 1; d <= 16; d *= 2) {
    GroupSizeOption o;
    o.size = d;
    o.capacity_tokens = 1000.0 * d;
    o.time = GroupTimeCoefficients{4e-7 / d, 1e-3 / d + (d > 1 ? 2e-4 / d : 0), 0.05 + (d > 1 ? 0.02 : 0), 0};
    p.options.push_back(o);
  }
  return p;
}

TEST_CASE("chunking: every sequence once, each micro-batch within the cluster's memory") {
  const StepProblem p = small_problem();
  std::vector<std::int64_t> lengths;
  for (int i = 0; i < 60; ++i) lengths.push_back(100 + (i * 7919) % 1900);
  const double total = std::accumulate(lengths.begin(), lengths.end(), 0.0);
  const auto m0 = static_cast<std::size_t>(std::ceil(total / 16000));
  REQUIRE(m0 >= 2);
  const auto chunks = chunk_micro_batches(lengths, p, m0 + 1);
  REQUIRE(chunks.has_value());
  std::vector<int> seen(lengths.size(), 0);
  for (const auto& c : *chunks) {
    double tokens = 0;
    for (auto i : c) {
      ++seen[i];
      tokens += static_cast<double>(lengths[i]);
    }
    CHECK(tokens <= 16000);
  }
  CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
  // Fewer micro-batches than the tokens need: no chunking.
  CHECK(!chunk_micro_batches(lengths, p, m0 - 1).has_value());
}

TEST_CASE("a MILP that finds nothing in time falls back to the greedy plan, and says so") {
  const StepProblem p = small_problem();
  std::vector<std::int64_t> lengths;
  for (int i = 0; i < 40; ++i) lengths.push_back(50 + (i * 104729) % 600);  // ~14K tokens: one micro-batch
  MicroBatchOptions o;
  o.always_milp = true;
  o.warm_start = false;
  o.milp.time_limit_s = 1e-9;
  const auto plan = plan_micro_batch(lengths, p.options, p.devices, o);
  REQUIRE(plan.has_value());
  CHECK(plan->solve.method == SolveMethod::kGreedyFallback);
  CHECK(!plan->solve.proven_optimal);
  CHECK(plan->solve.time_limit_hit);
  CHECK(plan->seconds > 0);
}

TEST_CASE("static SP is the smallest size holding the longest sequence; the plan is no slower than the baselines") {
  const StepProblem p = small_problem();
  std::vector<std::int64_t> lengths{3500, 900, 800, 700, 600, 500, 400, 300, 200, 100, 90, 80};
  StepOptions opt;
  opt.micro.milp.relative_gap = 0.02;
  const StepPlan flexible = plan_step(lengths, p, PlanPolicy::kFlexible, opt);
  const StepPlan uniform = plan_step(lengths, p, PlanPolicy::kBestUniform, opt);
  const StepPlan fixed = plan_step(lengths, p, PlanPolicy::kStatic, opt);
  // 3500 tokens need 4 devices of 1000.
  CHECK(fixed.static_size == 4);
  // Each result is within the solver's 2% gap of its policy's optimum, and the
  // flexible optimum is at most the uniform one, which is at most the static one.
  CHECK(flexible.seconds <= uniform.seconds * 1.02);
  CHECK(uniform.seconds <= fixed.seconds * 1.02);
  CHECK_THROWS_AS(plan_step(std::vector<std::int64_t>{20000}, p, PlanPolicy::kFlexible, opt), InputError);
}

TEST_CASE("spsim plan as JSON: the plan, both baselines, speedups and the simulation") {
  // (The fit to spsim with --simulate has its own golden test; here a profile keeps it quick.)
  PlanRequest r;
  r.topology = "a100-sxm8";
  r.nodes = 2;
  r.lengths_file = std::string(SPSIM_SOURCE_DIR) + "/tests/cli/plan_lengths.txt";
  r.profile_file = std::string(SPSIM_SOURCE_DIR) + "/tests/cli/flexsp_profile.json";
  r.max_context = 65536;
  r.network = "analytical";
  r.simulate = true;
  const PlanRun run = run_plan(r);
  const auto j = nlohmann::json::parse(plan_run_json(run, false));
  CHECK(j["devices"] == 16);
  CHECK(j["batch"]["lengths"].size() == 36);
  CHECK(j["plan"]["policy"] == "flexible");
  CHECK(j["baselines"]["static"]["policy"] == "static");
  CHECK(j["speedup"]["over_static"].get<double>() ==
        doctest::Approx(run.static_sp.seconds / run.plan.seconds));
  CHECK(j["simulation"]["simulated_s"].get<double>() > 0);
  // Every sequence of the batch appears exactly once across the plan's groups.
  std::vector<int> seen(36, 0);
  for (const auto& mb : j["plan"]["micro_batches"])
    for (const auto& g : mb["groups"])
      for (const auto& i : g["sequences"]) ++seen[i.get<std::size_t>()];
  CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
  CHECK(!j["plan"]["micro_batches"][0]["solver"].contains("wall_s"));  // deterministic without timing
}

}  // namespace
}  // namespace spsim
