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

std::optional<MicroBatchPlan> plan_micro_batch(std::span<const std::int64_t> lengths,
                                               const std::vector<GroupSizeOption>& options, std::uint32_t devices,
                                               const MicroBatchOptions& opt) {
  const auto start = std::chrono::steady_clock::now();
  const Bucketing bucketing = bucket_lengths(lengths, opt.buckets);
  const auto& buckets = bucketing.buckets;
  std::vector<PlanItem> items(lengths.size());
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    const Bucket& b = buckets[bucketing.bucket_of[i]];
    const double n = static_cast<double>(b.count);
    items[i] = PlanItem{static_cast<double>(b.max_tokens), b.sum_tokens / n, b.sum_sq_tokens / n};
  }

  MicroBatchPlan plan;
  plan.lengths.assign(lengths.begin(), lengths.end());
  SolveReport& report = plan.solve;
  report.buckets = buckets.size();

  auto lap = [last = start]() mutable {
    const auto now = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(now - last).count();
    last = now;
    return s;
  };
  lap();
  const auto greedy = greedy_plan(items, options, devices);
  report.greedy_wall_s = lap();
  std::optional<std::vector<BucketGroup>> warm;
  if (greedy) {
    report.greedy_s = plan_seconds(*greedy, options);
    std::vector<BucketGroup> groups;
    for (const ItemGroup& g : *greedy) {
      BucketGroup bg{g.option, std::vector<std::int64_t>(buckets.size(), 0)};
      for (std::size_t i : g.items) ++bg.count[bucketing.bucket_of[i]];
      groups.push_back(std::move(bg));
    }
    if (opt.warm_start) warm = std::move(groups);
  }
  double known_lower = 0;
  if (greedy) {
    // Bisect the aggregated program between the item bound and the greedy
    // plan to a quarter of the gap asked for; a hair below it for CBC, so
    // solver tolerances can never cut off the optimum.
    const AggregateBound bound = aggregate_lower_bound(buckets, options, devices, item_lower_bound(items, options),
                                                       report.greedy_s, std::max(opt.milp.relative_gap / 4, 1e-5));
    report.aggregate_bound_s = bound.lower_s;
    report.aggregate_milps = bound.milps;
    known_lower = bound.lower_s * (1 - 1e-6);
  }
  report.bound_wall_s = lap();
  const bool certified = greedy && !opt.always_milp &&
                         report.greedy_s - report.aggregate_bound_s <= opt.milp.relative_gap * report.greedy_s;
  const MilpOutcome milp =
      certified ? MilpOutcome{} : solve_plan_milp(buckets, options, devices, warm, opt.milp, known_lower);
  report.milp_wall_s = lap();
  report.milp_columns = milp.columns;
  report.milp_rows = milp.rows;
  report.time_limit_hit = milp.time_limit_hit;

  if (milp.groups) {
    report.method = SolveMethod::kMilp;
    report.proven_optimal = milp.proven_optimal;
    report.objective_s = milp.objective_s;
    report.bound_s = milp.bound_s;
    // Decode: real sequences of each bucket, longest first, to the group
    // with a share of that bucket left whose real time is lowest so far.
    std::vector<std::vector<std::size_t>> members(buckets.size());
    for (std::size_t i = 0; i < lengths.size(); ++i) members[bucketing.bucket_of[i]].push_back(i);
    std::vector<PlannedGroup> groups(milp.groups->size());
    std::vector<double> tokens(groups.size(), 0), sq(groups.size(), 0);
    std::vector<std::vector<std::int64_t>> left(groups.size());
    for (std::size_t g = 0; g < groups.size(); ++g) {
      groups[g].size = options[(*milp.groups)[g].option].size;
      left[g] = (*milp.groups)[g].count;
    }
    for (std::size_t b = buckets.size(); b-- > 0;) {
      auto& list = members[b];
      std::stable_sort(list.begin(), list.end(), [&](std::size_t x, std::size_t y) { return lengths[x] > lengths[y]; });
      for (std::size_t i : list) {
        const double s = static_cast<double>(lengths[i]);
        std::optional<std::size_t> best;
        double best_t = 0;
        for (std::size_t g = 0; g < groups.size(); ++g) {
          if (left[g][b] == 0) continue;
          const double t = option_of_size(options, groups[g].size).time.seconds(tokens[g] + s, sq[g] + s * s);
          if (!best || t < best_t) {
            best = g;
            best_t = t;
          }
        }
        --left[*best][b];
        tokens[*best] += s;
        sq[*best] += s * s;
        groups[*best].sequences.push_back(i);
      }
    }
    plan.groups = std::move(groups);
  } else if (greedy) {
    report.method = certified ? SolveMethod::kBoundCertified : SolveMethod::kGreedyFallback;
    report.proven_optimal = certified;
    report.objective_s = report.greedy_s;
    report.bound_s = std::min(std::max(milp.bound_s, report.aggregate_bound_s), report.greedy_s);
    for (const ItemGroup& g : *greedy) {
      PlannedGroup pg;
      pg.size = options[g.option].size;
      pg.sequences = g.items;
      plan.groups.push_back(std::move(pg));
    }
  } else {
    return std::nullopt;
  }
  report.gap = report.objective_s > 0 ? (report.objective_s - report.bound_s) / report.objective_s : 0;
  // Local search on the real lengths (memory now by real lengths too).
  std::vector<PlanItem> real(lengths.size());
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    const double s = static_cast<double>(lengths[i]);
    real[i] = PlanItem{s, s, s * s};
  }
  std::vector<ItemGroup> refined;
  for (const PlannedGroup& g : plan.groups) {
    ItemGroup ig;
    ig.option = static_cast<std::uint32_t>(
        std::find_if(options.begin(), options.end(), [&](const GroupSizeOption& o) { return o.size == g.size; }) -
        options.begin());
    for (std::size_t i : g.sequences) ig.add(i, real[i]);
    refined.push_back(std::move(ig));
  }
  refine_plan(refined, real, options, devices);
  // The greedy on the real lengths competes: bucket means can hide how a
  // bucket's longest members load a group.
  if (auto direct = greedy_plan(real, options, devices);
      direct && plan_seconds(*direct, options) < plan_seconds(refined, options)) {
    refined = std::move(*direct);
    report.real_greedy_won = true;
  }
  plan.groups.clear();
  for (const ItemGroup& ig : refined) {
    PlannedGroup pg;
    pg.size = options[ig.option].size;
    pg.sequences = ig.items;
    plan.groups.push_back(std::move(pg));
  }
  place_groups(plan.groups, lengths, options);
  for (const auto& g : plan.groups) plan.seconds = std::max(plan.seconds, g.seconds);
  report.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return plan;
}

}  // namespace spsim
