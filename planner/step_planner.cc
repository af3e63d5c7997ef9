#include "planner/step_planner.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "program/input_error.h"

namespace spsim {
namespace {

double tokens_per_device(const StepProblem& p) { return p.options.front().capacity_tokens / p.options.front().size; }

// The smallest option holding `s` tokens, or nullopt.
std::optional<std::size_t> smallest_holding(const StepProblem& p, std::int64_t s) {
  for (std::size_t k = 0; k < p.options.size(); ++k)
    if (static_cast<double>(s) <= p.options[k].capacity_tokens) return k;
  return std::nullopt;
}

std::optional<MicroBatchPlan> plan_one(std::span<const std::int64_t> lengths, const StepProblem& problem,
                                       PlanPolicy policy, const std::vector<GroupSizeOption>& static_options,
                                       const StepOptions& opt) {
  if (policy == PlanPolicy::kFlexible) return plan_micro_batch(lengths, problem.options, problem.devices, opt.micro);
  if (policy == PlanPolicy::kStatic) return plan_micro_batch(lengths, static_options, problem.devices, opt.micro);
  std::optional<MicroBatchPlan> best;
  for (const GroupSizeOption& o : problem.options) {
    auto p = plan_micro_batch(lengths, {o}, problem.devices, opt.micro);
    if (p && (!best || p->seconds < best->seconds)) best = std::move(p);
  }
  return best;
}

}  // namespace

std::string_view plan_policy_name(PlanPolicy p) {
  switch (p) {
    case PlanPolicy::kFlexible: return "flexible";
    case PlanPolicy::kBestUniform: return "best-uniform";
    case PlanPolicy::kStatic: return "static";
  }
  return "?";
}

std::string_view solve_method_name(SolveMethod m) {
  switch (m) {
    case SolveMethod::kGreedyCertified: return "greedy certified";
    case SolveMethod::kMilp: return "milp";
    case SolveMethod::kGreedyFallback: return "greedy fallback";
  }
  return "?";
}

std::optional<std::vector<std::vector<std::size_t>>> chunk_micro_batches(std::span<const std::int64_t> lengths,
                                                                         const StepProblem& problem, std::size_t m) {
  const double capacity = tokens_per_device(problem) * problem.devices;
  std::vector<std::size_t> order(lengths.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return lengths[a] > lengths[b]; });
  std::vector<std::vector<std::size_t>> out(m);
  std::vector<double> work(m, 0), tokens(m, 0);
  for (std::size_t i : order) {
    const auto k = smallest_holding(problem, lengths[i]);
    if (!k) return std::nullopt;
    const GroupSizeOption& o = problem.options[*k];
    const double s = static_cast<double>(lengths[i]);
    const double device_s = o.size * o.time.seconds(s, s * s);
    std::optional<std::size_t> best;
    for (std::size_t j = 0; j < m; ++j)
      if (tokens[j] + s <= capacity && (!best || work[j] < work[*best])) best = j;
    if (!best) return std::nullopt;
    out[*best].push_back(i);
    work[*best] += device_s;
    tokens[*best] += s;
  }
  std::erase_if(out, [](const auto& v) { return v.empty(); });
  return out;
}

std::size_t max_micro_batch_solves(double total_tokens, double tokens_per_step, const StepOptions& opt) {
  const double m0 = std::max(1.0, std::ceil(total_tokens / tokens_per_step));
  const double tried = std::min<double>(opt.extra_micro_batches, 8);
  return static_cast<std::size_t>(std::min(1e18, (tried + 1) * m0 + tried * (tried + 1) / 2));
}

StepPlan plan_step(std::span<const std::int64_t> lengths, const StepProblem& problem, PlanPolicy policy,
                   const StepOptions& opt) {
  const std::int64_t longest = *std::max_element(lengths.begin(), lengths.end());
  const auto holder = smallest_holding(problem, longest);
  if (!holder)
    throw InputError("--max-context", "a sequence of " + std::to_string(longest) +
                                          " tokens does not fit the memory of the largest group (" +
                                          std::to_string(problem.options.back().size) + " devices hold " +
                                          std::to_string(static_cast<std::int64_t>(problem.options.back().capacity_tokens)) +
                                          " tokens)");
  const std::vector<GroupSizeOption> static_options{problem.options[*holder]};
  double total = 0;
  for (auto s : lengths) total += static_cast<double>(s);
  const auto m0 = static_cast<std::size_t>(std::ceil(total / (tokens_per_device(problem) * problem.devices)));
  std::optional<StepPlan> best;
  std::size_t last = m0 + opt.extra_micro_batches;
  for (std::size_t m = std::max<std::size_t>(m0, 1); m <= last && m <= m0 + 8; ++m) {
    const auto chunks = chunk_micro_batches(lengths, problem, m);
    if (!chunks) {
      if (!best) ++last;
      continue;
    }
    StepPlan step;
    step.policy = policy;
    if (policy == PlanPolicy::kStatic) step.static_size = static_options.front().size;
    bool ok = true;
    for (std::size_t k = 0; k < chunks->size(); ++k) {
      const auto& chunk = (*chunks)[k];
      if (opt.progress)
        opt.progress(std::string(plan_policy_name(policy)) + ", " + std::to_string(m) + " micro-batches: " +
                     std::to_string(k + 1) + " of " + std::to_string(m));
      std::vector<std::int64_t> mb_lengths;
      for (std::size_t i : chunk) mb_lengths.push_back(lengths[i]);
      auto plan = plan_one(mb_lengths, problem, policy, static_options, opt);
      if (!plan) {
        ok = false;
        break;
      }
      plan->batch_index = chunk;
      step.seconds += plan->seconds;
      step.micro_batches.push_back(std::move(*plan));
    }
    if (!ok) {
      if (!best) ++last;
      continue;
    }
    if (!best || step.seconds < best->seconds) best = std::move(step);
  }
  if (!best)
    throw InputError("plan", "no split into " + std::to_string(m0) + " to " + std::to_string(m0 + 8) +
                                 " micro-batches fits the devices' memory");
  return std::move(*best);
}

}  // namespace spsim
