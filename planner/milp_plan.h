#pragma once
// The micro-batch plan as a mixed-integer linear program, solved by COIN-OR
// CBC (FlexSP's formulation, strategies.md, over buckets of sequences).
//
// Data: buckets b with n_b sequences, longest length m_b, mean s̄_b and mean
// s̄²_b; group size options k with size d_k, capacity K_k tokens and time
// max(a_k·Σs² + b_k·Σs + c_k, f_k); N devices; an upper bound U on the
// optimum (the warm start's value, or a crude bound) and a lower bound L
// (every bucket alone in its best size).
// Slots: option k gets S_k = min(N/d_k, sequences it can hold) interchangeable
// slots g, each used or not.
// Variables: C (the makespan, L <= C <= U); u_g ∈ {0,1} (slot used);
// y_bg ∈ {0..min(n_b, floor(K_k/m_b))} integer (sequences of bucket b in
// slot g), present only where m_b <= K_k and bucket b alone in size k takes
// at most U; z_g ∈ [0, U] (= C·u_g).
// Minimize C subject to
//   Σ_g y_bg = n_b                                  every sequence once
//   y_bg <= ub_bg·u_g,  Σ_b y_bg >= u_g             only used slots hold sequences; used ones hold some
//   Σ_b m_b·y_bg <= K_k·u_g                         memory (bucket maxima: never under-counts)
//   Σ_b (a_k·s̄²_b + b_k·s̄_b)·y_bg + c_k·u_g <= z_g  slot time <= C when used
//   f_k·u_g <= z_g                                   the time's floor (when f_k > 0)
//   z_g <= C,  z_g <= U·u_g,  z_g >= C − U·(1 − u_g)  z_g = C·u_g (exact for binary u_g)
//   Σ_g d_g·u_g <= N                                 devices
//   Σ_g d_g·z_g <= N·C                               device-time: the LP bound becomes the
//                                                    fluid bound (total device-seconds / N)
//   u_g >= u_g+1,  Σ_b s̄_b·(y_bg − y_b,g+1) >= 0     symmetry breaking among slots of one size
// The z_g rows are what make the relaxation strong: without them a slot
// with a tiny fractional u_g holds fractional work for free and the LP bound
// collapses to total work / (number of slots).

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "planner/bucketing.h"
#include "planner/plan_types.h"

namespace spsim {

struct MilpOptions {
  double time_limit_s = 10;      // CBC's wall-clock limit
  double relative_gap = 1e-2;    // stop when (best − bound) / best <= this
  bool symmetry_breaking = true; // the last row family above
};

// A group of the MILP's answer: its option and how many sequences of each bucket it holds.
struct BucketGroup {
  std::uint32_t option = 0;
  std::vector<std::int64_t> count;  // per bucket
};

struct MilpOutcome {
  std::optional<std::vector<BucketGroup>> groups;  // nullopt: no feasible plan found
  bool proven_optimal = false;  // CBC closed the gap to MilpOptions::relative_gap
  bool time_limit_hit = false;
  double objective_s = 0;       // C of the answer
  double bound_s = 0;           // CBC's best bound (max with L)
  std::size_t columns = 0, rows = 0;
};

// Solves the program above. `warm_start` (optional) must be feasible: it
// becomes CBC's MIP start and sets U. `known_lower_s` is a lower bound
// proven elsewhere (aggregate_bound.h); L becomes the larger of the two.
// Options must ascend in size.
MilpOutcome solve_plan_milp(std::span<const Bucket> buckets, const std::vector<GroupSizeOption>& options,
                            std::uint32_t devices, const std::optional<std::vector<BucketGroup>>& warm_start,
                            const MilpOptions& milp, double known_lower_s = 0);

// The time of a bucket group with bucket representatives (means for time).
double bucket_group_seconds(const BucketGroup& g, std::span<const Bucket> buckets,
                            const std::vector<GroupSizeOption>& options);

}  // namespace spsim
