#include "stream/stream_sim.h"

#include <algorithm>
#include <map>

#include "stream/latency.h"

namespace spsim {

SentenceRun run_sentence(Policy policy, std::uint32_t n, const PolicyOptions& options, double interval_s,
                         PassCosts& costs, const PassTick& tick) {
  constexpr std::size_t kTickEvery = 4096;
  SentenceRun r;
  r.src_len = n;
  r.tgt_len = target_length(n, options.tgt_ratio);
  const std::vector<ScheduledPass> schedule = policy_schedule(policy, n, options);
  r.passes.reserve(schedule.size());
  double free_at = 0;
  // g(i) and d(i) of the final translation's tokens, filled as passes show them.
  std::vector<std::uint32_t> g;
  std::vector<double> d;
  double final_shown_s = 0;
  for (const ScheduledPass& sp : schedule) {
    const PassCost& cost = costs.cost(sp.pass);
    const double start = std::max(free_at, sp.after_src * interval_s);
    const double end = start + cost.seconds;
    free_at = end;
    r.compute_s += cost.seconds;
    r.passes.push_back({sp, start, end, &cost});
    if (tick && r.passes.size() % kTickEvery == 0) tick(kTickEvery);
    if (sp.shows == 0) continue;
    final_shown_s = end;
    for (std::uint32_t i = static_cast<std::uint32_t>(g.size()); i < std::min(sp.shows, r.tgt_len); ++i) {
      g.push_back(sp.after_src);
      d.push_back(end);
    }
  }
  if (tick) tick(r.passes.size() % kTickEvery);
  r.final_lag_s = final_shown_s - n * interval_s;
  const std::size_t tau = lagging_cutoff(g, n);
  const double per_token = static_cast<double>(n) / r.tgt_len;  // 1 / r
  std::vector<double> g_real(g.begin(), g.end());
  r.al_tokens = average_lagging(g_real, per_token, tau);
  r.al_s = average_lagging(d, per_token * interval_s, tau);
  return r;
}

std::uint64_t PolicySummary::decoder_passes() const {
  return passes[static_cast<std::size_t>(PassKind::kDecodeStep)] + passes[static_cast<std::size_t>(PassKind::kDecodeAll)];
}
std::uint64_t PolicySummary::encoder_passes() const {
  return passes[static_cast<std::size_t>(PassKind::kEncode)] + passes[static_cast<std::size_t>(PassKind::kEncodeStep)];
}

PolicySummary run_policy(Policy policy, std::span<const std::uint32_t> src_lens, const PolicyOptions& options,
                         double interval_s, PassCosts& costs, const PassTick& tick) {
  PolicySummary s;
  s.policy = policy;
  // Sentences of one length run alike: each length is run once, counted as often as it occurs.
  std::map<std::uint32_t, std::uint64_t> count;
  for (std::uint32_t n : src_lens) ++count[n];
  for (const auto& [n, times] : count) {
    SentenceRun r = run_sentence(policy, n, options, interval_s, costs, tick);
    const double w = static_cast<double>(times);
    s.sentences += times;
    s.source_tokens += times * r.src_len;
    s.target_tokens += times * r.tgt_len;
    s.compute_s += w * r.compute_s;
    s.final_lag_s += w * r.final_lag_s;
    s.al_tokens += w * r.al_tokens;
    s.al_s += w * r.al_s;
    for (const PassRun& p : r.passes) {
      const PassCost& c = *p.cost;
      s.passes[static_cast<std::size_t>(p.scheduled.pass.kind)] += times;
      s.kernels += times * c.kernels;
      s.launch_s += w * c.launch_s;
      s.memory_bound_s += w * c.memory_bound_s;
      s.compute_bound_s += w * c.compute_bound_s;
      s.flops += w * c.flops;
      s.bytes += w * c.bytes;
    }
    if (n == src_lens.front()) s.first = std::move(r);
  }
  if (s.sentences > 0) {
    const double k = static_cast<double>(s.sentences);
    s.final_lag_s /= k;
    s.al_tokens /= k;
    s.al_s /= k;
  }
  return s;
}

}  // namespace spsim
