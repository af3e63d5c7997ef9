#include "planner/bucketing.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <map>

namespace spsim {
namespace {

// Distinct values ascending with counts and prefix sums, so cost(a, b) is O(1).
struct Distinct {
  std::vector<std::int64_t> value;
  std::vector<double> count_prefix{0}, sum_prefix{0};  // over [0, i)

  explicit Distinct(std::span<const std::int64_t> lengths) {
    std::map<std::int64_t, std::int64_t> counts;
    for (auto s : lengths) ++counts[s];
    for (const auto& [v, c] : counts) {
      value.push_back(v);
      count_prefix.push_back(count_prefix.back() + static_cast<double>(c));
      sum_prefix.push_back(sum_prefix.back() + static_cast<double>(c) * static_cast<double>(v));
    }
  }
  std::size_t size() const { return value.size(); }
  // Error of one bucket holding distinct values [a, b] (0-based, inclusive).
  double cost(std::size_t a, std::size_t b) const {
    return static_cast<double>(value[b]) * (count_prefix[b + 1] - count_prefix[a]) -
           (sum_prefix[b + 1] - sum_prefix[a]);
  }
};

Bucketing make_bucketing(std::span<const std::int64_t> lengths, const std::vector<std::int64_t>& upper_bounds) {
  // upper_bounds: ascending bucket maxima; a length goes to the first bucket whose bound it does not exceed.
  Bucketing out;
  out.buckets.resize(upper_bounds.size());
  out.bucket_of.resize(lengths.size());
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    const auto it = std::lower_bound(upper_bounds.begin(), upper_bounds.end(), lengths[i]);
    assert(it != upper_bounds.end());
    out.bucket_of[i] = static_cast<std::uint32_t>(it - upper_bounds.begin());
  }
  for (auto& b : out.buckets) b.min_tokens = std::numeric_limits<std::int64_t>::max();
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    Bucket& b = out.buckets[out.bucket_of[i]];
    const double s = static_cast<double>(lengths[i]);
    b.min_tokens = std::min(b.min_tokens, lengths[i]);
    b.max_tokens = std::max(b.max_tokens, lengths[i]);
    ++b.count;
    b.sum_tokens += s;
    b.sum_sq_tokens += s * s;
  }
  // Drop empty buckets and renumber.
  std::vector<std::uint32_t> renumber(out.buckets.size());
  std::vector<Bucket> kept;
  for (std::size_t b = 0; b < out.buckets.size(); ++b) {
    renumber[b] = static_cast<std::uint32_t>(kept.size());
    if (out.buckets[b].count > 0) kept.push_back(out.buckets[b]);
  }
  for (auto& b : out.bucket_of) b = renumber[b];
  out.buckets = std::move(kept);
  return out;
}

}  // namespace

double token_estimation_error(std::span<const Bucket> buckets) {
  double e = 0;
  for (const auto& b : buckets) e += static_cast<double>(b.count) * static_cast<double>(b.max_tokens) - b.sum_tokens;
  return e;
}

Bucketing bucket_lengths(std::span<const std::int64_t> lengths, std::size_t max_buckets) {
  assert(!lengths.empty() && max_buckets >= 1);
  const Distinct d(lengths);
  const std::size_t m = d.size();
  const std::size_t k = std::min(max_buckets, m);
  constexpr double kInf = std::numeric_limits<double>::infinity();
  // Layer j: prev[i] / cur[i] is the best error covering distinct values
  // [0, i] (i >= j) with exactly j + 1 buckets (never worse than fewer:
  // splitting a bucket cannot add error); split[j][i] is where the last starts.
  std::vector<double> prev(m), cur(m);
  std::vector<std::vector<std::uint32_t>> split(k, std::vector<std::uint32_t>(m, 0));
  for (std::size_t i = 0; i < m; ++i) prev[i] = d.cost(0, i);
  for (std::size_t j = 1; j < k; ++j) {
    std::fill(cur.begin(), cur.end(), kInf);
    // Fill cur[lo..hi] knowing the best split lies in [opt_lo, opt_hi].
    auto solve = [&](auto&& self, std::size_t lo, std::size_t hi, std::size_t opt_lo, std::size_t opt_hi) -> void {
      if (lo > hi) return;
      const std::size_t mid = lo + (hi - lo) / 2;
      double best = kInf;
      std::size_t best_t = opt_lo;
      // The last bucket starts at t in [max(opt_lo, j), min(mid, opt_hi)]: the
      // values before it (at least j) fill exactly j buckets.
      for (std::size_t t = std::max(opt_lo, j); t <= std::min(mid, opt_hi); ++t) {
        const double v = prev[t - 1] + d.cost(t, mid);
        if (v < best) {
          best = v;
          best_t = t;
        }
      }
      cur[mid] = best;
      split[j][mid] = static_cast<std::uint32_t>(best_t);
      if (mid > lo) self(self, lo, mid - 1, opt_lo, best_t);
      self(self, mid + 1, hi, best_t, opt_hi);
    };
    solve(solve, j, m - 1, j, m - 1);
    std::swap(prev, cur);
  }
  // Walk the splits back from the last value with k buckets.
  std::vector<std::int64_t> upper;
  std::size_t end = m - 1;
  for (std::size_t j = k - 1; j > 0; --j) {
    upper.push_back(d.value[end]);
    end = split[j][end] - 1;
  }
  upper.push_back(d.value[end]);
  std::reverse(upper.begin(), upper.end());
  return make_bucketing(lengths, upper);
}

Bucketing bucket_lengths_equal_width(std::span<const std::int64_t> lengths, std::size_t buckets) {
  assert(!lengths.empty() && buckets >= 1);
  const auto [lo_it, hi_it] = std::minmax_element(lengths.begin(), lengths.end());
  const double lo = static_cast<double>(*lo_it), hi = static_cast<double>(*hi_it);
  // Interval b covers (lo + b·w, lo + (b+1)·w]; its bound is the largest length inside it.
  std::vector<std::int64_t> upper(buckets, 0);
  const double w = (hi - lo) / static_cast<double>(buckets);
  for (auto s : lengths) {
    std::size_t b = w > 0 ? static_cast<std::size_t>((static_cast<double>(s) - lo) / w) : 0;
    if (b > 0 && static_cast<double>(s) <= lo + static_cast<double>(b) * w) --b;  // right-closed intervals
    b = std::min(b, buckets - 1);
    upper[b] = std::max(upper[b], s);
  }
  std::vector<std::int64_t> bounds;
  for (auto u : upper)
    if (u > 0) bounds.push_back(u);
  return make_bucketing(lengths, bounds);
}

double optimal_bucketing_error_quadratic(std::span<const std::int64_t> lengths, std::size_t max_buckets) {
  const Distinct d(lengths);
  const std::size_t m = d.size(), k = std::min(max_buckets, m);
  std::vector<double> prev(m);
  for (std::size_t i = 0; i < m; ++i) prev[i] = d.cost(0, i);
  for (std::size_t j = 1; j < k; ++j) {
    std::vector<double> cur(m, std::numeric_limits<double>::infinity());
    for (std::size_t i = j; i < m; ++i)
      for (std::size_t t = j; t <= i; ++t) cur[i] = std::min(cur[i], prev[t - 1] + d.cost(t, i));
    prev = cur;
  }
  return prev[m - 1];
}

}  // namespace spsim
