#include "planner/micro_batch_planner.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "planner/aggregate_bound.h"
#include "planner/greedy_plan.h"

namespace spsim {
namespace {

const GroupSizeOption& option_of_size(const std::vector<GroupSizeOption>& options, std::uint32_t size) {
  return *std::find_if(options.begin(), options.end(), [&](const GroupSizeOption& o) { return o.size == size; });
}

void fill_group(PlannedGroup& g, std::span<const std::int64_t> lengths, const GroupSizeOption& o) {
  g.tokens = 0;
  g.sum_sq_tokens = 0;
  for (std::size_t i : g.sequences) {
    const double s = static_cast<double>(lengths[i]);
    g.tokens += lengths[i];
    g.sum_sq_tokens += s * s;
  }
  g.seconds = o.time.seconds(static_cast<double>(g.tokens), g.sum_sq_tokens);
}

}  // namespace

void place_groups(std::vector<PlannedGroup>& groups, std::span<const std::int64_t> lengths,
                  const std::vector<GroupSizeOption>& options) {
  for (auto& g : groups) {
    fill_group(g, lengths, option_of_size(options, g.size));
    std::stable_sort(g.sequences.begin(), g.sequences.end(),
                     [&](std::size_t a, std::size_t b) { return lengths[a] > lengths[b]; });
  }
  std::stable_sort(groups.begin(), groups.end(), [](const PlannedGroup& a, const PlannedGroup& b) {
    if (a.size != b.size) return a.size > b.size;
    return a.seconds > b.seconds;
  });
  std::uint32_t next = 0;
  for (auto& g : groups) {
    g.first_device = next;
    next += g.size;
  }
}

namespace {

std::vector<PlannedGroup> to_planned(const std::vector<ItemGroup>& groups, const std::vector<GroupSizeOption>& options) {
  std::vector<PlannedGroup> out;
  for (const ItemGroup& g : groups) {
    PlannedGroup pg;
    pg.size = options[g.option].size;
    pg.sequences = g.items;
    out.push_back(std::move(pg));
  }
  return out;
}

// The MILP's bucket counts as real sequences: within each bucket, longest
// first, to the group with a share of that bucket left whose real time is
// lowest so far.
std::vector<ItemGroup> decode(const std::vector<BucketGroup>& milp_groups, const Bucketing& bucketing,
                              std::span<const std::int64_t> lengths, std::span<const PlanItem> real,
                              const std::vector<GroupSizeOption>& options) {
  const std::size_t nb = bucketing.buckets.size();
  std::vector<std::vector<std::size_t>> members(nb);
  for (std::size_t i = 0; i < lengths.size(); ++i) members[bucketing.bucket_of[i]].push_back(i);
  std::vector<ItemGroup> groups(milp_groups.size());
  std::vector<std::vector<std::int64_t>> left(groups.size());
  for (std::size_t g = 0; g < groups.size(); ++g) {
    groups[g].option = milp_groups[g].option;
    left[g] = milp_groups[g].count;
  }
  for (std::size_t b = nb; b-- > 0;) {
    auto& list = members[b];
    std::stable_sort(list.begin(), list.end(), [&](std::size_t x, std::size_t y) { return lengths[x] > lengths[y]; });
    for (std::size_t i : list) {
      std::optional<std::size_t> best;
      double best_t = 0;
      for (std::size_t g = 0; g < groups.size(); ++g) {
        if (left[g][b] == 0) continue;
        const double t = options[groups[g].option].time.seconds(groups[g].tokens + real[i].tokens,
                                                                groups[g].sq_tokens + real[i].sq_tokens);
        if (!best || t < best_t) {
          best = g;
          best_t = t;
        }
      }
      --left[*best][b];
      groups[*best].add(i, real[i]);
    }
  }
  return groups;
}

}  // namespace

std::optional<MicroBatchPlan> plan_micro_batch(std::span<const std::int64_t> lengths,
                                               const std::vector<GroupSizeOption>& options, std::uint32_t devices,
                                               const MicroBatchOptions& opt) {
  const auto start = std::chrono::steady_clock::now();
  auto lap = [last = start]() mutable {
    const auto now = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(now - last).count();
    last = now;
    return s;
  };
  MicroBatchPlan plan;
  plan.lengths.assign(lengths.begin(), lengths.end());
  SolveReport& report = plan.solve;
  std::vector<PlanItem> real(lengths.size());
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    const double s = static_cast<double>(lengths[i]);
    real[i] = PlanItem{s, s, s * s};
  }
  AggregateBoundOptions bound_opt;
  bound_opt.target_gap = opt.milp.relative_gap;
  bound_opt.relative_tolerance = std::max(opt.milp.relative_gap / 8, 1e-4);
  bound_opt.check_limit_s = std::min(1.0, opt.milp.time_limit_s);
  bound_opt.total_limit_s = opt.milp.time_limit_s / 2;

  // 1. The greedy plan on the real lengths and the bound on the real lengths
  //    (not with always_milp: the greedy plan then only competes at the end).
  std::optional<std::vector<ItemGroup>> best = greedy_plan(real, options, devices);
  report.greedy_wall_s = lap();
  if (best) report.real_greedy_s = plan_seconds(*best, options);
  auto within_gap = [&] {
    return report.real_greedy_s - report.real_bound_s <= opt.milp.relative_gap * report.real_greedy_s;
  };
  if (best && !opt.always_milp) {
    // Relaxed counts first (fast), then integer counts (tighter) if that did not prove the gap.
    AggregateBoundOptions relaxed = bound_opt;
    relaxed.integer_counts = false;
    AggregateBound b = real_lengths_lower_bound(lengths, options, devices, opt.bound_buckets, 0,
                                                report.real_greedy_s, relaxed);
    if (report.real_greedy_s - b.lower_s > opt.milp.relative_gap * report.real_greedy_s)
      b = real_lengths_lower_bound(lengths, options, devices, opt.bound_buckets, b.lower_s, report.real_greedy_s,
                                   bound_opt);
    report.real_bound_s = b.lower_s;
    report.bound_time_limited = b.limited;
  }
  report.bound_wall_s = lap();
  const bool certified = best && !opt.always_milp && within_gap();

  if (certified) {
    report.method = SolveMethod::kGreedyCertified;
  } else {
    // 2. FlexSP's way: buckets, their greedy plan and aggregated bound, the slot MILP.
    const Bucketing bucketing = bucket_lengths(lengths, opt.buckets);
    const auto& buckets = bucketing.buckets;
    report.buckets = buckets.size();
    std::vector<PlanItem> items(lengths.size());
    for (std::size_t i = 0; i < lengths.size(); ++i) {
      const Bucket& b = buckets[bucketing.bucket_of[i]];
      const double n = static_cast<double>(b.count);
      items[i] = PlanItem{static_cast<double>(b.max_tokens), b.sum_tokens / n, b.sum_sq_tokens / n};
    }
    const auto greedy = greedy_plan(items, options, devices);
    std::optional<std::vector<BucketGroup>> warm;
    double known_lower = 0;
    if (greedy) {
      report.greedy_s = plan_seconds(*greedy, options);
      std::vector<BucketGroup> groups;
      for (const ItemGroup& g : *greedy) {
        BucketGroup bg{g.option, std::vector<std::int64_t>(buckets.size(), 0)};
        for (std::size_t i : g.items) ++bg.count[bucketing.bucket_of[i]];
        groups.push_back(std::move(bg));
      }
      if (opt.warm_start) warm = std::move(groups);
      // A hair below the bound for CBC, so solver tolerances never cut off the optimum.
      report.aggregate_bound_s =
          aggregate_lower_bound(buckets, options, devices, item_lower_bound(items, options), report.greedy_s, bound_opt)
              .lower_s;
      known_lower = report.aggregate_bound_s * (1 - 1e-6);
    }
    report.bound_wall_s += lap();
    const MilpOutcome milp = solve_plan_milp(buckets, options, devices, warm, opt.milp, known_lower);
    report.milp_wall_s = lap();
    report.milp_ran = true;
    report.milp_columns = milp.columns;
    report.milp_rows = milp.rows;
    report.time_limit_hit = milp.time_limit_hit;
    report.bound_s = milp.bound_s;
    if (milp.groups) {
      report.method = SolveMethod::kMilp;
      report.proven_optimal = milp.proven_optimal;
      report.objective_s = milp.objective_s;
      report.gap = milp.objective_s > 0 ? (milp.objective_s - milp.bound_s) / milp.objective_s : 0;
      std::vector<ItemGroup> decoded = decode(*milp.groups, bucketing, lengths, real, options);
      refine_plan(decoded, real, options, devices);
      if (!best || plan_seconds(decoded, options) <= plan_seconds(*best, options)) {
        best = std::move(decoded);
      } else {
        report.real_greedy_won = true;
      }
    } else {
      report.method = SolveMethod::kGreedyFallback;
      if (greedy) {
        // The bucket greedy's groups, refined on the real lengths, compete with the real greedy.
        std::vector<ItemGroup> from_buckets;
        for (const ItemGroup& g : *greedy) {
          ItemGroup ig;
          ig.option = g.option;
          for (std::size_t i : g.items) ig.add(i, real[i]);
          from_buckets.push_back(std::move(ig));
        }
        refine_plan(from_buckets, real, options, devices);
        if (!best || plan_seconds(from_buckets, options) < plan_seconds(*best, options)) best = std::move(from_buckets);
      }
    }
  }
  if (!best) return std::nullopt;
  plan.groups = to_planned(*best, options);
  place_groups(plan.groups, lengths, options);
  for (const auto& g : plan.groups) plan.seconds = std::max(plan.seconds, g.seconds);
  // The bound on the real lengths holds for any plan; when step 1 found no
  // greedy plan it was not computed: the longest sequence alone bounds it.
  if (report.real_bound_s == 0) report.real_bound_s = item_lower_bound(real, options);
  report.real_bound_s = std::min(report.real_bound_s, plan.seconds);
  report.real_gap = plan.seconds > 0 ? (plan.seconds - report.real_bound_s) / plan.seconds : 0;
  report.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return plan;
}

}  // namespace spsim
