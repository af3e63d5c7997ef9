#include "planner/micro_batch_planner.h"

#include <algorithm>
#include <chrono>
#include <numeric>

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

  const auto greedy = greedy_plan(items, options, devices);
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
  const MilpOutcome milp = solve_plan_milp(buckets, options, devices, warm, opt.milp);
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
    report.method = SolveMethod::kGreedyFallback;
    report.objective_s = report.greedy_s;
    report.bound_s = std::min(milp.bound_s > 0 ? milp.bound_s : item_lower_bound(items, options), report.greedy_s);
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
  place_groups(plan.groups, lengths, options);
  for (const auto& g : plan.groups) plan.seconds = std::max(plan.seconds, g.seconds);
  report.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return plan;
}

}  // namespace spsim
