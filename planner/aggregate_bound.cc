#include "planner/aggregate_bound.h"

#include <coin/Cbc_C_Interface.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

namespace spsim {
namespace {

double mean_tokens(const Bucket& b) { return b.sum_tokens / static_cast<double>(b.count); }
double mean_sq_tokens(const Bucket& b) { return b.sum_sq_tokens / static_cast<double>(b.count); }

struct CbcDeleter {
  void operator()(Cbc_Model* m) const { Cbc_deleteModel(m); }
};

// False only when CBC proves the aggregated program of the file comment
// infeasible for C within limit_s.
bool maybe_feasible(std::span<const Bucket> buckets, const std::vector<GroupSizeOption>& options,
                    std::uint32_t devices, double c, double limit_s) {
  std::unique_ptr<Cbc_Model, CbcDeleter> m(Cbc_newModel());
  Cbc_setLogLevel(m.get(), 0);
  Cbc_setMaximumSeconds(m.get(), limit_s);
  const std::size_t nb = buckets.size(), nk = options.size();
  int next = 0;
  auto add_col = [&](double ub, bool integer = true) {
    const std::string name = "x" + std::to_string(next);
    Cbc_addCol(m.get(), name.c_str(), 0, ub, 0, integer ? 1 : 0, 0, nullptr, nullptr);
    return next++;
  };
  std::vector<int> n(nk, -1);
  std::vector<std::vector<int>> y(nb, std::vector<int>(nk, -1));
  for (std::size_t k = 0; k < nk; ++k) {
    const GroupSizeOption& o = options[k];
    if (o.time.min_s > c || o.time.fixed_s >= c) continue;
    n[k] = add_col(devices / o.size);
    for (std::size_t b = 0; b < nb; ++b) {
      const Bucket& bk = buckets[b];
      if (static_cast<double>(bk.max_tokens) > o.capacity_tokens ||
          o.time.seconds(mean_tokens(bk), mean_sq_tokens(bk)) > c)
        continue;
      y[b][k] = add_col(static_cast<double>(bk.count));
    }
  }
  int row = 0;
  auto add_row = [&](const std::vector<int>& cols, const std::vector<double>& coefs, char sense, double rhs) {
    const std::string name = "r" + std::to_string(row++);
    Cbc_addRow(m.get(), name.c_str(), static_cast<int>(cols.size()), cols.data(), coefs.data(), sense, rhs);
  };
  for (std::size_t b = 0; b < nb; ++b) {
    std::vector<int> cols;
    for (std::size_t k = 0; k < nk; ++k)
      if (y[b][k] >= 0) cols.push_back(y[b][k]);
    if (cols.empty()) return false;
    add_row(cols, std::vector<double>(cols.size(), 1.0), 'E', static_cast<double>(buckets[b].count));
  }
  std::vector<int> dev_cols;
  std::vector<double> dev_coefs;
  for (std::size_t k = 0; k < nk; ++k) {
    if (n[k] < 0) continue;
    const GroupSizeOption& o = options[k];
    std::vector<int> t_cols, m_cols;
    std::vector<double> t_coefs, m_coefs;
    for (std::size_t b = 0; b < nb; ++b) {
      if (y[b][k] < 0) continue;
      t_cols.push_back(y[b][k]);
      t_coefs.push_back(o.time.seconds_per_token_sq * mean_sq_tokens(buckets[b]) +
                        o.time.seconds_per_token * mean_tokens(buckets[b]));
      m_cols.push_back(y[b][k]);
      m_coefs.push_back(static_cast<double>(buckets[b].max_tokens) / o.capacity_tokens);
    }
    if (t_cols.empty()) continue;
    t_cols.push_back(n[k]);
    t_coefs.push_back(-(c - o.time.fixed_s));
    add_row(t_cols, t_coefs, 'L', 0);
    m_cols.push_back(n[k]);
    m_coefs.push_back(-1.0);
    add_row(m_cols, m_coefs, 'L', 0);
    dev_cols.push_back(n[k]);
    dev_coefs.push_back(o.size);
  }
  add_row(dev_cols, dev_coefs, 'L', devices);
  Cbc_solve(m.get());
  return Cbc_bestSolution(m.get()) != nullptr || Cbc_isProvenInfeasible(m.get()) == 0;
}

}  // namespace

AggregateBound aggregate_lower_bound(std::span<const Bucket> buckets, const std::vector<GroupSizeOption>& options,
                                     std::uint32_t devices, double lower_s, double upper_s,
                                     double relative_tolerance, double check_limit_s) {
  AggregateBound out;
  double lo = lower_s, hi = upper_s;
  // The lower end itself may already be feasible for the aggregate: then it is the bound.
  while (hi - lo > relative_tolerance * hi && out.milps < 60) {
    const double mid = 0.5 * (lo + hi);
    ++out.milps;
    if (maybe_feasible(buckets, options, devices, mid, check_limit_s))
      hi = mid;
    else
      lo = mid;
  }
  out.lower_s = lo;
  return out;
}

AggregateBound real_lengths_lower_bound(std::span<const std::int64_t> lengths,
                                        const std::vector<GroupSizeOption>& options, std::uint32_t devices,
                                        std::size_t buckets, double upper_s, double relative_tolerance,
                                        double check_limit_s) {
  Bucketing b = bucket_lengths(lengths, buckets);
  double lower = 0;
  for (auto& x : b.buckets) {
    const double s = static_cast<double>(x.min_tokens);
    x.sum_tokens = static_cast<double>(x.count) * s;
    x.sum_sq_tokens = static_cast<double>(x.count) * s * s;
    x.max_tokens = x.min_tokens;
  }
  // Every plan holds the longest sequence somewhere: its best size alone is a bound too.
  const double longest = static_cast<double>(*std::max_element(lengths.begin(), lengths.end()));
  double alone = std::numeric_limits<double>::infinity();
  for (const auto& o : options)
    if (longest <= o.capacity_tokens) alone = std::min(alone, o.time.seconds(longest, longest * longest));
  if (alone < std::numeric_limits<double>::infinity()) lower = alone;
  return aggregate_lower_bound(b.buckets, options, devices, std::min(lower, upper_s), upper_s, relative_tolerance,
                               check_limit_s);
}

}  // namespace spsim
