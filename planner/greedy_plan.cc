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

  // Moves single items off the slowest group, or doubles it with free
  // devices, while that lowers the maximum.
  void improve(std::vector<ItemGroup>& groups) const {
    for (int round = 0; round < 4 * static_cast<int>(items_.size()) + 16; ++round) {
      std::size_t worst = 0;
      for (std::size_t g = 1; g < groups.size(); ++g)
        if (group_seconds(groups[g], options_) > group_seconds(groups[worst], options_)) worst = g;
      const double t_worst = group_seconds(groups[worst], options_);
      const std::uint32_t free = devices_ - used_devices(groups, options_);
      // Candidate 1: the slowest group on the next larger size.
      double best_new = t_worst * (1 - 1e-9);
      enum class Move { kNone, kGrow, kMove } move = Move::kNone;
      std::size_t move_item = 0, move_to = 0;
      const std::uint32_t k = groups[worst].option;
      if (k + 1 < options_.size() && options_[k + 1].size - options_[k].size <= free) {
        const double t = options_[k + 1].time.seconds(groups[worst].tokens, groups[worst].sq_tokens);
        if (t < best_new) {
          best_new = t;
          move = Move::kGrow;
        }
      }
      // Candidate 2: one item to another group.
      for (std::size_t pos = 0; pos < groups[worst].items.size(); ++pos) {
        const PlanItem& it = items_[groups[worst].items[pos]];
        const double t_left = options_[k].time.seconds(groups[worst].tokens - it.tokens,
                                                      groups[worst].sq_tokens - it.sq_tokens);
        for (std::size_t h = 0; h < groups.size(); ++h) {
          if (h == worst) continue;
          const GroupSizeOption& o = options_[groups[h].option];
          if (groups[h].memory_tokens + it.memory_tokens > o.capacity_tokens) continue;
          const double t_to = o.time.seconds(groups[h].tokens + it.tokens, groups[h].sq_tokens + it.sq_tokens);
          const double t_new = std::max(t_left, t_to);
          if (t_new < best_new) {
            best_new = t_new;
            move = Move::kMove;
            move_item = pos;
            move_to = h;
          }
        }
      }
      if (move == Move::kNone) return;
      if (move == Move::kGrow) {
        groups[worst].option = k + 1;
        continue;
      }
      const std::size_t i = groups[worst].items[move_item];
      ItemGroup& from = groups[worst];
      from.items.erase(from.items.begin() + static_cast<std::ptrdiff_t>(move_item));
      from.memory_tokens -= items_[i].memory_tokens;
      from.tokens -= items_[i].tokens;
      from.sq_tokens -= items_[i].sq_tokens;
      groups[move_to].add(i, items_[i]);
      if (from.items.empty()) groups.erase(groups.begin() + static_cast<std::ptrdiff_t>(worst));
    }
  }

 private:
  std::span<const PlanItem> items_;
  const std::vector<GroupSizeOption>& options_;
  std::uint32_t devices_;
  std::vector<std::size_t> order_;
};

}  // namespace

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

std::optional<std::vector<ItemGroup>> greedy_plan(std::span<const PlanItem> items,
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

}  // namespace spsim
