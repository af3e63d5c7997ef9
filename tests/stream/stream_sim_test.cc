// Policies simulated on one device (stream/stream_sim.h, pass_costs.h,
// latency.h), against closed forms: a launch-only device makes every pass
// cost its kernel count, a free device leaves only the source's own pace.
#include <doctest/doctest.h>

#include <cmath>

#include "costmodel/op_cost.h"
#include "stream/latency.h"
#include "stream/stream_sim.h"

using namespace spsim;

namespace {

// A device where every kernel takes exactly `launch_s`: rates so high that
// the roofline's body vanishes next to it.
DeviceProfile launch_only(double launch_s) {
  DeviceProfile d = device_profile_preset("a10");
  d.name = "launch-only";
  d.peak_bf16_flop_per_s = d.peak_fp32_flop_per_s = 1e30;
  d.hbm_bytes_per_s = 1e30;
  d.launch_s = launch_s;
  return d;
}

bool near(double a, double b, double rel = 1e-9) { return std::abs(a - b) <= rel * std::max(std::abs(a), std::abs(b)); }

}  // namespace

TEST_CASE("average lagging: wait-k lags k tokens, offline n, the hand-computed ratio-2 case") {
  const ModelSpec& m = find_model("transformer-base");
  const DeviceProfile free_device = launch_only(0);
  PassCosts costs(m, free_device, DType::kBF16, KernelStyle::kFused);
  for (std::uint32_t k : {1u, 3u, 7u}) {
    CAPTURE(k);
    // Ratio 1: g(i) = k + i - 1 up to tau = n - k + 1, so AL = k exactly.
    const SentenceRun r = run_sentence(Policy::kWaitk, 20, PolicyOptions{.k = k}, 0.25, costs);
    CHECK(r.al_tokens == doctest::Approx(k).epsilon(1e-12));
    // With no computation the time form is the token form times the interval.
    CHECK(r.al_s == doctest::Approx(0.25 * k).epsilon(1e-9));
    CHECK(std::abs(r.final_lag_s) < 1e-12);  // the last step right after the last token
  }
  const SentenceRun off = run_sentence(Policy::kOffline, 20, {}, 0.25, costs);
  CHECK(off.al_tokens == doctest::Approx(20));  // tau = 1, g(1) = n
  const SentenceRun reta = run_sentence(Policy::kReta, 20, {}, 0.25, costs);
  CHECK(reta.al_tokens == doctest::Approx(1));  // token i first shown after source token i
  // n = 4, k = 2, ratio 2 (m = 8): g = 2, 3, 4, ...; tau = 3; steps of n/m = 0.5:
  // AL = ((2 - 0) + (3 - 0.5) + (4 - 1)) / 3 = 2.5.
  const SentenceRun r2 = run_sentence(Policy::kWaitk, 4, PolicyOptions{.tgt_ratio = 2, .k = 2}, 1.0, costs);
  CHECK(r2.tgt_len == 8);
  CHECK(r2.al_tokens == doctest::Approx(2.5).epsilon(1e-12));
  const std::uint32_t g[] = {2, 3, 4, 4};
  CHECK(lagging_cutoff(g, 4) == 3);
  const std::uint32_t never[] = {1, 2};
  CHECK(lagging_cutoff(never, 4) == 2);  // never the whole source: every token counts
}

TEST_CASE("launch-only device: a pass costs its kernels, policies' ratios follow from the pass counts") {
  const ModelSpec& m = find_model("transformer-base");
  const double launch = 1e-3;
  const DeviceProfile d = launch_only(launch);
  PassCosts costs(m, d, DType::kBF16, KernelStyle::kFused);
  for (const StreamPass& p : {encode_pass(30), decode_step_pass(30, 29), decode_all_pass(30, 30), length_pass(30),
                              cross_keys_pass(30, 30), encode_step_pass(30)}) {
    CAPTURE(describe_pass(p));
    const PassCost& c = costs.cost(p);
    CHECK(c.kernels == pass_kernels(m, p.kind, KernelStyle::kFused));
    CHECK(near(c.seconds, c.kernels * launch));
    CHECK(near(c.launch_s, c.seconds));
  }
  // Kernels per pass (passes.h): encode 73, cross keys 12, length 2, step 117, parallel pass 105.
  // n = 30, ratio 1: reta = 30 (73 + 12) + 465 · 117 = 56,955 kernels;
  // fretna (1 iteration) = 30 (73 + 12 + 2) + 30 · 105 = 5,760;
  // waitk k=3 (bidirectional) = 28 (73 + 12) + 30 · 117 = 5,890; offline = 85 + 30 · 117 = 3,595.
  const std::uint32_t lens[] = {30};
  const struct {
    Policy p;
    double kernels;
  } expected[] = {{Policy::kReta, 56955}, {Policy::kFretna, 5760}, {Policy::kWaitk, 5890}, {Policy::kOffline, 3595}};
  for (const auto& e : expected) {
    CAPTURE(policy_name(e.p));
    const PolicySummary s = run_policy(e.p, lens, {}, 0, costs);
    CHECK(s.kernels == static_cast<std::uint64_t>(e.kernels));
    CHECK(near(s.compute_s, e.kernels * launch));
    CHECK(near(s.compute_s / run_policy(Policy::kFretna, lens, {}, 0, costs).compute_s, e.kernels / 5760));
  }
  // Eager kernels (encode 85, step 141, parallel pass 129): reta 30 (85 + 12) + 465 · 141 = 68,475,
  // fretna 30 (85 + 12 + 2) + 30 · 129 = 6,840.
  PassCosts eager(m, d, DType::kBF16, KernelStyle::kEager);
  CHECK(near(run_policy(Policy::kReta, lens, {}, 0, eager).compute_s, 68475 * launch));
  CHECK(near(run_policy(Policy::kFretna, lens, {}, 0, eager).compute_s, 6840 * launch));
}

TEST_CASE("timing: all at once the lag is the whole computation; a slow source leaves the last re-translation") {
  const ModelSpec& m = find_model("transformer-base");
  const DeviceProfile d = launch_only(1e-3);
  PassCosts costs(m, d, DType::kBF16, KernelStyle::kFused);
  const SentenceRun now = run_sentence(Policy::kReta, 30, {}, 0, costs);
  CHECK(near(now.final_lag_s, now.compute_s));
  // Each re-translation (at most 85 + 30·117 ms) ends before the next token (10 s later):
  // only the last one, 73 + 12 + 30·117 = 3,595 kernels, follows the last token.
  const SentenceRun slow = run_sentence(Policy::kReta, 30, {}, 10.0, costs);
  CHECK(near(slow.final_lag_s, 3595e-3, 1e-6));
  CHECK(near(slow.compute_s, now.compute_s));
  // Passes never overlap and never start before their token.
  double free_at = 0;
  for (const PassRun& r : slow.passes) {
    CHECK(r.start_s >= free_at - 1e-12);
    CHECK(r.start_s >= r.scheduled.after_src * 10.0 - 1e-9);
    free_at = r.end_s;
  }
}

TEST_CASE("run_policy: a length distribution counts each length as often as it occurs") {
  const ModelSpec& m = find_model("transformer-base");
  PassCosts costs(m, device_profile_preset("a10"), DType::kBF16, KernelStyle::kFused);
  const std::uint32_t lens[] = {10, 20, 10};
  const PolicySummary s = run_policy(Policy::kWaitk, lens, {}, 0.1, costs);
  const SentenceRun a = run_sentence(Policy::kWaitk, 10, {}, 0.1, costs);
  const SentenceRun b = run_sentence(Policy::kWaitk, 20, {}, 0.1, costs);
  CHECK(s.sentences == 3);
  CHECK(s.source_tokens == 40);
  CHECK(near(s.compute_s, 2 * a.compute_s + b.compute_s));
  CHECK(near(s.al_s, (2 * a.al_s + b.al_s) / 3));
  CHECK(near(s.final_lag_s, (2 * a.final_lag_s + b.final_lag_s) / 3));
  CHECK(s.decoder_passes() == 40);
  CHECK(s.first.src_len == 10);
}

TEST_CASE("pass costs on an A10: the engine's time is the kernels' sum; decoder steps are launch- and memory-bound") {
  const ModelSpec& m = find_model("transformer-base");
  const DeviceProfile& a10 = device_profile_preset("a10");
  PassCosts costs(m, a10, DType::kBF16, KernelStyle::kFused);
  const StreamPass step = decode_step_pass(30, 29);
  const PassCost& c = costs.cost(step);
  // One in-order stream: the makespan is the sum of the kernels' own times.
  const Program p = lower_pass(m, step, DType::kBF16, KernelStyle::kFused);
  double sum = 0;
  for (std::size_t i = 0; i < p.num_ops(); ++i) sum += compute_op_cost(p, op_id(i), a10).seconds;
  CHECK(near(c.seconds, sum, 1e-9));
  CHECK(near(c.launch_s + c.memory_bound_s + c.compute_bound_s, c.seconds, 1e-9));
  // A one-row step: every GEMM reads its weights for one row (memory-bound), and
  // 117 launches of 3.5 us are most of its time.
  CHECK(c.compute_bound_s < 0.01 * c.seconds);
  CHECK(c.launch_s > 0.5 * c.seconds);
  // An encoder pass over 1024 tokens does enough work per kernel to be compute-bound in part.
  const PassCost& e = costs.cost(encode_pass(1024));
  CHECK(e.compute_bound_s / e.seconds > 10 * c.compute_bound_s / c.seconds);
  CHECK(e.compute_bound_s > 0.2 * e.seconds);
  CHECK(costs.simulated() == 2);
}
