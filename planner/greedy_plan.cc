#include "planner/greedy_plan.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace spsim {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double alone_seconds(const PlanItem& item, const GroupSizeOption& o) {
  return o.time.seconds(item.tokens, item.sq_tokens);
}

std::uint32_t used_devices(std::span<const ItemGroup> groups, const std::vector<GroupSizeOption>& options) {
  std::uint32_t n = 0;
  for (const auto& g : groups) n += options[g.option].size;
  return n;
}

class Packer {
 public:
  Packer(std::span<const PlanItem> items, const std::vector<GroupSizeOption>& options, std::uint32_t devices)
      : items_(items), options_(options), devices_(devices), order_(items.size()) {
    std::iota(order_.begin(), order_.end(), std::size_t{0});
    std::stable_sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) {
      if (items[a].memory_tokens != items[b].memory_tokens) return items[a].memory_tokens > items[b].memory_tokens;
      return items[a].sq_tokens > items[b].sq_tokens;
    });
  }

  // Every item placed with every group time <= target, or nullopt.
  std::optional<std::vector<ItemGroup>> pack(double target) const {
    std::vector<ItemGroup> groups;
    std::uint32_t used = 0;
    for (std::size_t i : order_) {
      const PlanItem& it = items_[i];
      std::optional<std::size_t> best;
      std::uint32_t best_size = 0;
      double best_time = -1;
      for (std::size_t g = 0; g < groups.size(); ++g) {
        const GroupSizeOption& o = options_[groups[g].option];
        if (groups[g].memory_tokens + it.memory_tokens > o.capacity_tokens) continue;
        const double t = o.time.seconds(groups[g].tokens + it.tokens, groups[g].sq_tokens + it.sq_tokens);
        if (t > target) continue;
        if (!best || o.size < best_size || (o.size == best_size && t > best_time)) {
          best = g;
          best_size = o.size;
          best_time = t;
        }
      }
      if (!best) {
        for (std::uint32_t k = 0; k < options_.size(); ++k) {
          const GroupSizeOption& o = options_[k];
          if (o.size > devices_ - used) break;  // options ascend in size
          if (it.memory_tokens > o.capacity_tokens || alone_seconds(it, o) > target) continue;
          groups.push_back(ItemGroup{k, {}, 0, 0, 0});
          used += o.size;
          best = groups.size() - 1;
          break;
        }
        if (!best) return std::nullopt;
      }
      groups[*best].add(i, it);
    }
    return groups;
  }

  void improve(std::vector<ItemGroup>& groups) const { refine_plan(groups, items_, options_, devices_); }

 private:
  std::span<const PlanItem> items_;
  const std::vector<GroupSizeOption>& options_;
  std::uint32_t devices_;
  std::vector<std::size_t> order_;
};

}  // namespace

void refine_plan(std::vector<ItemGroup>& groups, std::span<const PlanItem> items,
                 const std::vector<GroupSizeOption>& options, std::uint32_t devices) {
  auto remove = [&](ItemGroup& g, std::size_t pos) {
    const PlanItem& it = items[g.items[pos]];
    g.items.erase(g.items.begin() + static_cast<std::ptrdiff_t>(pos));
    g.memory_tokens -= it.memory_tokens;
    g.tokens -= it.tokens;
    g.sq_tokens -= it.sq_tokens;
  };
  // The search looks at (item of the slowest group) x (item of another
  // group) per round: cubic in the items at worst. It stops after
  // kRefineBudget looks (a fraction of a second), so batches of hundreds of thousands
  // of short sequences stay bounded; the budget is counted, not timed, so the
  // plan is the same on every machine.
  constexpr std::uint64_t kRefineBudget = 50'000'000;
  std::uint64_t looks = 0;
  for (int round = 0; round < 8 * static_cast<int>(items.size()) + 64 && looks < kRefineBudget; ++round) {
    if (groups.empty()) return;
    looks += groups.size();
    std::size_t worst = 0;
    for (std::size_t g = 1; g < groups.size(); ++g)
      if (group_seconds(groups[g], options) > group_seconds(groups[worst], options)) worst = g;
    const ItemGroup& w = groups[worst];
    const GroupSizeOption& ow = options[w.option];
    const double t_worst = group_seconds(w, options);
    double best_new = t_worst * (1 - 1e-12);
    enum class Move { kNone, kGrow, kMove, kSwap } move = Move::kNone;
    std::size_t move_pos = 0, move_to = 0, swap_pos = 0;
    // Grow: the slowest group on the next larger size, with free devices.
    const std::uint32_t free = devices - used_devices(groups, options);
    if (w.option + 1 < options.size() && options[w.option + 1].size - ow.size <= free &&
        w.memory_tokens <= options[w.option + 1].capacity_tokens) {
      const double t = options[w.option + 1].time.seconds(w.tokens, w.sq_tokens);
      if (t < best_new) {
        best_new = t;
        move = Move::kGrow;
      }
    }
    for (std::size_t pos = 0; pos < w.items.size(); ++pos) {
      const PlanItem& it = items[w.items[pos]];
      const double left_tokens = w.tokens - it.tokens, left_sq = w.sq_tokens - it.sq_tokens;
      const double t_left = ow.time.seconds(left_tokens, left_sq);
      if (t_left >= best_new) continue;  // moving or swapping it cannot beat the best found
      for (std::size_t h = 0; h < groups.size(); ++h) {
        if (h == worst) continue;
        const ItemGroup& g = groups[h];
        const GroupSizeOption& o = options[g.option];
        // Move.
        if (g.memory_tokens + it.memory_tokens <= o.capacity_tokens) {
          const double t = std::max(t_left, o.time.seconds(g.tokens + it.tokens, g.sq_tokens + it.sq_tokens));
          if (t < best_new) {
            best_new = t;
            move = Move::kMove;
            move_pos = pos;
            move_to = h;
          }
        }
        // Swap with a shorter item of g.
        looks += 1 + g.items.size();
        for (std::size_t q = 0; q < g.items.size(); ++q) {
          const PlanItem& other = items[g.items[q]];
          if (other.sq_tokens >= it.sq_tokens) continue;
          if (w.memory_tokens - it.memory_tokens + other.memory_tokens > ow.capacity_tokens ||
              g.memory_tokens - other.memory_tokens + it.memory_tokens > o.capacity_tokens)
            continue;
          const double t = std::max(ow.time.seconds(left_tokens + other.tokens, left_sq + other.sq_tokens),
                                    o.time.seconds(g.tokens - other.tokens + it.tokens,
                                                   g.sq_tokens - other.sq_tokens + it.sq_tokens));
          if (t < best_new) {
            best_new = t;
            move = Move::kSwap;
            move_pos = pos;
            move_to = h;
            swap_pos = q;
          }
        }
      }
    }
    if (move == Move::kNone) return;
    if (move == Move::kGrow) {
      ++groups[worst].option;
      continue;
    }
    const std::size_t i = groups[worst].items[move_pos];
    remove(groups[worst], move_pos);
    if (move == Move::kSwap) {
      const std::size_t j = groups[move_to].items[swap_pos];
      remove(groups[move_to], swap_pos);
      groups[worst].add(j, items[j]);
    }
    groups[move_to].add(i, items[i]);
    if (groups[worst].items.empty()) groups.erase(groups.begin() + static_cast<std::ptrdiff_t>(worst));
  }
}

double plan_seconds(std::span<const ItemGroup> groups, const std::vector<GroupSizeOption>& options) {
  double t = 0;
  for (const auto& g : groups) t = std::max(t, group_seconds(g, options));
  return t;
}

double item_lower_bound(std::span<const PlanItem> items, const std::vector<GroupSizeOption>& options) {
  double lb = 0;
  for (const auto& it : items) {
    double best = kInf;
    for (const auto& o : options)
      if (it.memory_tokens <= o.capacity_tokens) best = std::min(best, alone_seconds(it, o));
    lb = std::max(lb, best);
  }
  return lb;
}

namespace {

std::optional<std::vector<ItemGroup>> greedy_plan_with(std::span<const PlanItem> items,
                                                       const std::vector<GroupSizeOption>& options,
                                                       std::uint32_t devices) {
  const Packer packer(items, options, devices);
  std::optional<std::vector<ItemGroup>> best = packer.pack(kInf);
  if (!best) return std::nullopt;
  double hi = plan_seconds(*best, options), lo = item_lower_bound(items, options);
  for (int iter = 0; iter < 60 && hi - lo > 1e-4 * hi; ++iter) {
    const double mid = 0.5 * (lo + hi);
    if (auto p = packer.pack(mid)) {
      hi = plan_seconds(*p, options);
      best = std::move(p);
    } else {
      lo = mid;
    }
  }
  packer.improve(*best);
  return best;
}

}  // namespace

std::optional<std::vector<ItemGroup>> greedy_plan(std::span<const PlanItem> items,
                                                  const std::vector<GroupSizeOption>& options,
                                                  std::uint32_t devices) {
  std::optional<std::vector<ItemGroup>> best = greedy_plan_with(items, options, devices);
  if (options.size() == 1) return best;
  // Every uniform plan is a plan too: the best one-size packing competes.
  for (std::uint32_t k = 0; k < options.size(); ++k) {
    auto uniform = greedy_plan_with(items, {options[k]}, devices);
    if (!uniform) continue;
    for (auto& g : *uniform) g.option = k;
    if (!best || plan_seconds(*uniform, options) < plan_seconds(*best, options)) best = std::move(uniform);
  }
  return best;
}

}  // namespace spsim
