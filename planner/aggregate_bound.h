#pragma once
// A lower bound on a micro-batch's best plan from an aggregated MILP, which
// counts groups per size instead of placing sequences into each group.
//
// For a target time C, the aggregated program asks for n_d groups of each
// size d and Y_bd sequences of bucket b in size-d groups:
//   Σ_d Y_bd = n_b                                     every sequence somewhere
//   Σ_b (a_d·s̄²_b + b_d·s̄_b)·Y_bd <= n_d·(C − c_d)     the size class's time, pooled
//   Σ_b m_b·Y_bd <= n_d·K_d                            the size class's memory, pooled
//   Σ_d d·n_d <= N,  n_d, Y_bd integer >= 0
//   Y_bd = 0 where one sequence of b alone exceeds C or K_d in size d; n_d = 0 where f_d > C.
// Any plan of time <= C satisfies it (pool its groups by size), so when the
// program is infeasible for C, every plan takes longer than C. Feasibility
// is monotone in C, so a bisection between a known infeasible and a known
// feasible C brackets the bound; each step is a small MILP for CBC
// ((buckets + 1) x sizes integer variables, no symmetric slots).
//
// The bisection stops when the bracket is within `relative_tolerance` of
// its upper end. The bound is the largest C proven infeasible (or the lower
// end it started from); a feasibility program CBC cannot settle within
// `check_limit_s` counts as feasible, so the bound stays valid.
//
// With the buckets' means the bound is the bucketed MILP's (FlexSP's model).
// real_lengths_lower_bound() instead represents every bucket by its
// shortest member for time and memory — never more than any member needs —
// which makes the program a relaxation of the plan on the real lengths: its
// bound holds for the real plan. With many buckets (128) it is tight.

#include <cstdint>
#include <span>
#include <vector>

#include "planner/bucketing.h"
#include "planner/plan_types.h"

namespace spsim {

struct AggregateBound {
  double lower_s = 0;      // every plan takes longer than this (or equal: the starting lower end)
  int milps = 0;           // feasibility programs solved
};

// Bisects C in [lower_s, upper_s] (upper_s: the time of a known plan, so
// feasible). Options must ascend in size.
AggregateBound aggregate_lower_bound(std::span<const Bucket> buckets, const std::vector<GroupSizeOption>& options,
                                     std::uint32_t devices, double lower_s, double upper_s,
                                     double relative_tolerance, double check_limit_s = 0.1);

// A lower bound on every plan of these real lengths (the shortest-member
// buckets above, `buckets` of them by bucket_lengths()); upper_s: the time
// of a known plan.
AggregateBound real_lengths_lower_bound(std::span<const std::int64_t> lengths,
                                        const std::vector<GroupSizeOption>& options, std::uint32_t devices,
                                        std::size_t buckets, double upper_s, double relative_tolerance,
                                        double check_limit_s = 1.0);

}  // namespace spsim
