#pragma once
// A lower bound on a micro-batch's best plan from an aggregated MILP, which
// counts groups per size instead of placing sequences into each group.
//
// For a target time C, the aggregated program asks for n_d groups of each
// size d and Y_bd sequences of bucket b in size-d groups:
//   Σ_d Y_bd = n_b                                     every sequence somewhere
//   Σ_b (a_d·s̄²_b + b_d·s̄_b)·Y_bd <= n_d·(C − c_d)     the size class's time, pooled
//   Σ_b m_b·Y_bd <= n_d·K_d                            the size class's memory, pooled
//   Σ_d d·n_d <= N,  n_d integer >= 0,  Y_bd >= 0 (integer, or relaxed)
//   Y_bd = 0 where one sequence of b alone exceeds C or K_d in size d; n_d = 0 where f_d > C.
// Any plan of time <= C satisfies it (pool its groups by size), so when the
// program is infeasible for C, every plan takes longer than C. Feasibility
// is monotone in C, so a bisection between a known infeasible and a known
// feasible C brackets the bound; each step is a small MILP for CBC (no
// symmetric slots). The first step tries C = upper·(1 − target_gap): when
// that is infeasible the plan of time `upper` is proven within the target
// gap by one program.
//
// The bound is the largest C proven infeasible (or the lower end it started
// from); a feasibility program CBC cannot settle within check_limit_s counts
// as feasible, so the bound stays valid.
//
// With the buckets' means (bucket_lengths) the bound is the bucketed MILP's
// (FlexSP's model), not a bound on the real plan. real_lengths_lower_bound()
// represents every bucket by its *shortest* member for time and memory —
// never more than any member needs — which makes the program a relaxation of
// the plan on the real lengths: its bound holds for the real plan. The
// buckets come from the DP of bucketing.h run from below (minimizing
// Σ(s − bucket min)); 128 of them bound the 512-sequence benchmark within
// about 0.1–0.7% (plan_bench).

#include <cstdint>
#include <span>
#include <vector>

#include "planner/bucketing.h"
#include "planner/plan_types.h"

namespace spsim {

struct AggregateBoundOptions {
  double target_gap = 0.01;          // first probe at upper·(1 − target_gap)
  double relative_tolerance = 0.0025;  // stop when the bracket is this narrow (relative to its upper end)
  double check_limit_s = 1.0;        // CBC limit per feasibility program
  double total_limit_s = 5.0;        // no further program starts after this long
  bool integer_counts = true;        // Y_bd integer (tighter) or continuous (faster)
  int max_programs = 40;
};

struct AggregateBound {
  double lower_s = 0;   // every plan takes at least this long
  int programs = 0;     // feasibility programs solved
  bool limited = false; // a program or the bisection stopped at its time limit (a machine-speed-dependent bound)
};

// Bisects C in [lower_s, upper_s] (upper_s: the time of a known plan, so
// feasible). Options must ascend in size.
AggregateBound aggregate_lower_bound(std::span<const Bucket> buckets, const std::vector<GroupSizeOption>& options,
                                     std::uint32_t devices, double lower_s, double upper_s,
                                     const AggregateBoundOptions& opt);

// A lower bound on every plan of these real lengths (shortest-member
// buckets, `buckets` of them); upper_s: the time of a known plan. The
// bisection starts from the larger of start_s (a bound already proven, or 0)
// and the longest sequence alone in its best size.
AggregateBound real_lengths_lower_bound(std::span<const std::int64_t> lengths,
                                        const std::vector<GroupSizeOption>& options, std::uint32_t devices,
                                        std::size_t buckets, double start_s, double upper_s,
                                        const AggregateBoundOptions& opt);

}  // namespace spsim
