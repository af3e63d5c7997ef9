#include "planner/milp_plan.h"
#include "planner/cbc_model.h"

#include <coin/Cbc_C_Interface.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

namespace spsim {
namespace {

// Seconds one sequence of bucket b adds to a group of option o (without c).
double work_s(const Bucket& b, const GroupSizeOption& o) {
  return o.time.seconds_per_token_sq * b.mean_sq_tokens() + o.time.seconds_per_token * b.mean_tokens();
}

// Seconds of one sequence of bucket b alone in a group of option o.
double alone_s(const Bucket& b, const GroupSizeOption& o) { return o.time.seconds(b.mean_tokens(), b.mean_sq_tokens()); }

// Rows and columns, collected before they go to CBC.
class MilpProgram {
 public:
  int column(double lb, double ub, double obj, bool integer) {
    lb_.push_back(lb);
    ub_.push_back(ub);
    obj_.push_back(obj);
    integer_.push_back(integer ? 1 : 0);
    return static_cast<int>(lb_.size()) - 1;
  }
  void row(std::vector<int> cols, std::vector<double> coefs, char sense, double rhs) {
    rows_.push_back({std::move(cols), std::move(coefs), sense, rhs});
  }
  std::size_t columns() const { return lb_.size(); }
  std::size_t rows() const { return rows_.size(); }

  CbcModelPtr build() const {
    CbcModelPtr m = new_cbc_model();
    for (std::size_t c = 0; c < lb_.size(); ++c) {
      const std::string name = "x" + std::to_string(c);
      Cbc_addCol(m.get(), name.c_str(), lb_[c], ub_[c], obj_[c], integer_[c], 0, nullptr, nullptr);
    }
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      const std::string name = "r" + std::to_string(r);
      const Row& row = rows_[r];
      Cbc_addRow(m.get(), name.c_str(), static_cast<int>(row.cols.size()), row.cols.data(), row.coefs.data(),
                 row.sense, row.rhs);
    }
    return m;
  }

 private:
  struct Row {
    std::vector<int> cols;
    std::vector<double> coefs;
    char sense;
    double rhs;
  };
  std::vector<double> lb_, ub_, obj_;
  std::vector<char> integer_;
  std::vector<Row> rows_;
};

}  // namespace

double bucket_group_seconds(const BucketGroup& g, std::span<const Bucket> buckets,
                            const std::vector<GroupSizeOption>& options) {
  double tokens = 0, sq = 0;
  for (std::size_t b = 0; b < buckets.size(); ++b) {
    tokens += static_cast<double>(g.count[b]) * buckets[b].mean_tokens();
    sq += static_cast<double>(g.count[b]) * buckets[b].mean_sq_tokens();
  }
  return options[g.option].time.seconds(tokens, sq);
}

MilpOutcome solve_plan_milp(std::span<const Bucket> buckets, const std::vector<GroupSizeOption>& options,
                            std::uint32_t devices, const std::optional<std::vector<BucketGroup>>& warm_start,
                            const MilpOptions& milp, double known_lower_s) {
  MilpOutcome out;
  const std::size_t nb = buckets.size();
  // Bounds on C.
  double lower = 0;
  for (const auto& b : buckets) {
    double best = std::numeric_limits<double>::infinity();
    for (const auto& o : options)
      if (static_cast<double>(b.max_tokens) <= o.capacity_tokens) best = std::min(best, alone_s(b, o));
    if (best == std::numeric_limits<double>::infinity()) return out;  // a bucket fits no group size: infeasible
    lower = std::max(lower, best);
  }
  lower = std::max(lower, known_lower_s);
  double upper = 0;
  if (warm_start) {
    for (const auto& g : *warm_start) upper = std::max(upper, bucket_group_seconds(g, buckets, options));
  } else {
    // Any group holds a subset of the micro-batch, so no group can take
    // longer than the whole micro-batch in the slowest option.
    double tokens = 0, sq = 0;
    for (const auto& b : buckets) {
      tokens += b.sum_tokens;
      sq += b.sum_sq_tokens;
    }
    for (const auto& o : options) upper = std::max(upper, o.time.seconds(tokens, sq));
  }
  upper = std::max(upper, lower);
  const double eligible_limit = upper * (1 + 1e-9);

  MilpProgram p;
  const int c_col = p.column(lower, upper, 1.0, false);
  struct Slot {
    std::uint32_t option;
    int u, z;
    std::vector<int> y;  // per bucket, -1 when ineligible
  };
  std::vector<Slot> slots;
  std::vector<std::vector<int>> bucket_cols(nb);
  double max_mean = 0;
  for (const auto& b : buckets) max_mean = std::max(max_mean, b.mean_tokens());
  for (std::uint32_t k = 0; k < options.size(); ++k) {
    const GroupSizeOption& o = options[k];
    std::vector<double> ub(nb, 0);
    std::int64_t holdable = 0;
    for (std::size_t b = 0; b < nb; ++b) {
      const double m = static_cast<double>(buckets[b].max_tokens);
      if (m > o.capacity_tokens || alone_s(buckets[b], o) > eligible_limit) continue;
      ub[b] = std::min<double>(static_cast<double>(buckets[b].count), std::floor(o.capacity_tokens / m));
      holdable += buckets[b].count;
    }
    const std::int64_t count = std::min<std::int64_t>(devices / o.size, holdable);
    std::optional<std::size_t> previous;
    for (std::int64_t s = 0; s < count; ++s) {
      Slot slot{k, p.column(0, 1, 0, true), p.column(0, upper, 0, false), std::vector<int>(nb, -1)};
      for (std::size_t b = 0; b < nb; ++b)
        if (ub[b] > 0) {
          slot.y[b] = p.column(0, ub[b], 0, true);
          bucket_cols[b].push_back(slot.y[b]);
        }
      std::vector<int> mem_cols, time_cols, any_cols;
      std::vector<double> mem_coefs, time_coefs, any_coefs;
      for (std::size_t b = 0; b < nb; ++b) {
        if (slot.y[b] < 0) continue;
        p.row({slot.y[b], slot.u}, {1.0, -ub[b]}, 'L', 0);
        mem_cols.push_back(slot.y[b]);
        mem_coefs.push_back(static_cast<double>(buckets[b].max_tokens) / o.capacity_tokens);
        time_cols.push_back(slot.y[b]);
        time_coefs.push_back(work_s(buckets[b], o));
        any_cols.push_back(slot.y[b]);
        any_coefs.push_back(1.0);
      }
      mem_cols.push_back(slot.u);
      mem_coefs.push_back(-1.0);
      p.row(mem_cols, mem_coefs, 'L', 0);
      time_cols.push_back(slot.u);
      time_coefs.push_back(o.time.fixed_s);
      time_cols.push_back(slot.z);
      time_coefs.push_back(-1.0);
      p.row(time_cols, time_coefs, 'L', 0);
      if (o.time.min_s > 0) p.row({slot.u, slot.z}, {o.time.min_s, -1.0}, 'L', 0);
      any_cols.push_back(slot.u);
      any_coefs.push_back(-1.0);
      p.row(any_cols, any_coefs, 'G', 0);
      p.row({slot.z, c_col}, {1.0, -1.0}, 'L', 0);
      p.row({slot.z, slot.u}, {1.0, -upper}, 'L', 0);
      p.row({slot.z, c_col, slot.u}, {1.0, -1.0, -upper}, 'G', -upper);
      if (milp.symmetry_breaking && previous) {
        const Slot& prev = slots[*previous];
        p.row({prev.u, slot.u}, {1.0, -1.0}, 'G', 0);
        std::vector<int> cols;
        std::vector<double> coefs;
        for (std::size_t b = 0; b < nb; ++b) {
          if (slot.y[b] < 0) continue;  // eligibility is per option: same pattern in both
          cols.push_back(prev.y[b]);
          coefs.push_back(buckets[b].mean_tokens() / max_mean);
          cols.push_back(slot.y[b]);
          coefs.push_back(-buckets[b].mean_tokens() / max_mean);
        }
        p.row(cols, coefs, 'G', 0);
      }
      previous = slots.size();
      slots.push_back(std::move(slot));
    }
  }
  for (std::size_t b = 0; b < nb; ++b) {
    if (bucket_cols[b].empty()) return out;  // no slot can take bucket b within U: infeasible
    p.row(bucket_cols[b], std::vector<double>(bucket_cols[b].size(), 1.0), 'E',
          static_cast<double>(buckets[b].count));
  }
  {
    std::vector<int> u_cols, z_cols;
    std::vector<double> u_coefs, z_coefs;
    for (const Slot& s : slots) {
      const double d = options[s.option].size;
      u_cols.push_back(s.u);
      u_coefs.push_back(d);
      z_cols.push_back(s.z);
      z_coefs.push_back(d);
    }
    p.row(u_cols, u_coefs, 'L', devices);
    z_cols.push_back(c_col);
    z_coefs.push_back(-static_cast<double>(devices));
    p.row(z_cols, z_coefs, 'L', 0);
  }
  out.columns = p.columns();
  out.rows = p.rows();

  auto model = p.build();
  Cbc_setLogLevel(model.get(), 0);
  Cbc_setMaximumSeconds(model.get(), milp.time_limit_s);
  Cbc_setAllowableFractionGap(model.get(), milp.relative_gap);
  Cbc_setParameter(model.get(), "preprocess", "off");
  Cbc_setParameter(model.get(), "cuts", "off");
  if (warm_start) {
    // Slots of one option in the order the symmetry rows want: tokens descending.
    std::vector<int> idx;
    std::vector<double> val;
    std::vector<std::vector<const BucketGroup*>> groups_of(options.size());
    for (const auto& g : *warm_start) groups_of[g.option].push_back(&g);
    for (auto& list : groups_of)
      std::stable_sort(list.begin(), list.end(), [&](const BucketGroup* a, const BucketGroup* b) {
        double ta = 0, tb = 0;
        for (std::size_t i = 0; i < nb; ++i) {
          ta += static_cast<double>(a->count[i]) * buckets[i].mean_tokens();
          tb += static_cast<double>(b->count[i]) * buckets[i].mean_tokens();
        }
        return ta > tb;
      });
    std::vector<std::size_t> next(options.size(), 0);
    for (const Slot& s : slots) {
      auto& list = groups_of[s.option];
      if (next[s.option] >= list.size()) continue;
      const BucketGroup& g = *list[next[s.option]++];
      idx.push_back(s.u);
      val.push_back(1.0);
      for (std::size_t b = 0; b < nb; ++b)
        if (g.count[b] > 0) {
          idx.push_back(s.y[b]);
          val.push_back(static_cast<double>(g.count[b]));
        }
    }
    Cbc_setMIPStartI(model.get(), static_cast<int>(idx.size()), idx.data(), val.data());
  }
  Cbc_solve(model.get());
  out.time_limit_hit = Cbc_isSecondsLimitReached(model.get()) != 0;
  const double* x = Cbc_bestSolution(model.get());
  out.bound_s = std::max(lower, Cbc_getBestPossibleObjValue(model.get()));
  if (!x) return out;
  std::vector<BucketGroup> groups;
  for (const Slot& s : slots) {
    if (x[s.u] < 0.5) continue;
    BucketGroup g{s.option, std::vector<std::int64_t>(nb, 0)};
    std::int64_t total = 0;
    for (std::size_t b = 0; b < nb; ++b)
      if (s.y[b] >= 0) total += g.count[b] = std::llround(x[s.y[b]]);
    if (total > 0) groups.push_back(std::move(g));
  }
  out.objective_s = 0;
  for (const auto& g : groups) out.objective_s = std::max(out.objective_s, bucket_group_seconds(g, buckets, options));
  out.bound_s = std::min(out.bound_s, out.objective_s);
  out.proven_optimal = !out.time_limit_hit && Cbc_status(model.get()) == 0;
  out.groups = std::move(groups);
  return out;
}

}  // namespace spsim
