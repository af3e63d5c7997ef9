#pragma once
// Sequence bucketing for the planner's MILP: sequences of similar length
// share one bucket and are counted, not placed one by one, so the MILP has
// (buckets x groups) integer variables instead of (sequences x groups).
//
// A bucket stands for its sequences by its longest length (memory must hold
// whatever is put in a group, so the planner sizes memory by the bucket's
// maximum). The token-estimation error of a bucketing is what that
// over-estimates: Σ_buckets Σ_members (max_b − s) = Σ_b (count_b·max_b − Σ s).
//
// bucket_lengths() minimizes that error over all partitions of the sorted
// lengths into at most k contiguous buckets (FlexSP buckets by DP, ~16
// buckets): a DP over distinct lengths v_1 < ... < v_m with counts c_i,
//   E[j][i] = min_{t < i} E[j−1][t] + cost(t+1, i),  cost(a, b) = Σ_{a<=x<=b} c_x·(v_b − v_x).
// cost is Monge (cost(a,d) + cost(b,c) − cost(a,c) − cost(b,d) =
// Σ_{a<=x<b} c_x·(v_d − v_c) >= 0 for a <= b <= c <= d), so the best split
// point is monotone in i and divide and conquer solves each layer in
// O(m log m): O(k·m·log m) in all.

#include <cstdint>
#include <span>
#include <vector>

namespace spsim {

struct Bucket {
  std::int64_t min_tokens = 0;  // shortest member
  std::int64_t max_tokens = 0;  // longest member: the bucket's representative length
  std::int64_t count = 0;       // members
  double sum_tokens = 0;        // Σ s over members
  double sum_sq_tokens = 0;     // Σ s² over members

  double mean_tokens() const { return sum_tokens / static_cast<double>(count); }
  double mean_sq_tokens() const { return sum_sq_tokens / static_cast<double>(count); }
};

struct Bucketing {
  std::vector<Bucket> buckets;            // ascending lengths, none empty
  std::vector<std::uint32_t> bucket_of;   // per input sequence (input order)
};

// Optimal contiguous bucketing into at most `max_buckets` (>= 1) buckets;
// with at least as many buckets as distinct lengths every length gets its own
// bucket (error 0). Requires non-empty input of positive lengths.
Bucketing bucket_lengths(std::span<const std::int64_t> lengths, std::size_t max_buckets);

// The baseline: [min, max] cut into `buckets` intervals of equal width
// (empty intervals dropped), each represented by its longest member.
Bucketing bucket_lengths_equal_width(std::span<const std::int64_t> lengths, std::size_t buckets);

// Σ_b (count_b·max_b − Σ s): tokens the representatives add.
double token_estimation_error(std::span<const Bucket> buckets);

// The O(k·m²) DP without the monotone-split speedup, for tests.
double optimal_bucketing_error_quadratic(std::span<const std::int64_t> lengths, std::size_t max_buckets);

}  // namespace spsim
