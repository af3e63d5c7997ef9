#include "planner/aggregate_bound.h"
#include "planner/cbc_model.h"

#include <coin/Cbc_C_Interface.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

namespace spsim {
namespace {

// False only when CBC proves the aggregated program of the file comment
// infeasible for C within opt.check_limit_s; sets *limited when CBC stopped
// at the limit without an answer.
bool maybe_feasible(std::span<const Bucket> buckets, const std::vector<GroupSizeOption>& options,
                    std::uint32_t devices, double c, const AggregateBoundOptions& opt, bool* limited) {
  CbcModelPtr m = new_cbc_model();
  Cbc_setLogLevel(m.get(), 0);
  Cbc_setMaximumSeconds(m.get(), opt.check_limit_s);
  const std::size_t nb = buckets.size(), nk = options.size();
  int next = 0;
  auto add_col = [&](double ub, bool integer) {
    const std::string name = "x" + std::to_string(next);
    Cbc_addCol(m.get(), name.c_str(), 0, ub, 0, integer ? 1 : 0, 0, nullptr, nullptr);
    return next++;
  };
  std::vector<int> n(nk, -1);
  std::vector<std::vector<int>> y(nb, std::vector<int>(nk, -1));
  for (std::size_t k = 0; k < nk; ++k) {
    const GroupSizeOption& o = options[k];
    if (o.time.min_s > c || o.time.fixed_s >= c) continue;
    n[k] = add_col(devices / o.size, true);
    for (std::size_t b = 0; b < nb; ++b) {
      const Bucket& bk = buckets[b];
      if (static_cast<double>(bk.max_tokens) > o.capacity_tokens ||
          o.time.seconds(bk.mean_tokens(), bk.mean_sq_tokens()) > c)
        continue;
      y[b][k] = add_col(static_cast<double>(bk.count), opt.integer_counts);
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
      t_coefs.push_back(o.time.seconds_per_token_sq * buckets[b].mean_sq_tokens() +
                        o.time.seconds_per_token * buckets[b].mean_tokens());
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
  if (Cbc_bestSolution(m.get()) != nullptr) return true;
  if (Cbc_isProvenInfeasible(m.get()) != 0) return false;
  *limited = true;
  return true;
}

}  // namespace

AggregateBound aggregate_lower_bound(std::span<const Bucket> buckets, const std::vector<GroupSizeOption>& options,
                                     std::uint32_t devices, double lower_s, double upper_s,
                                     const AggregateBoundOptions& opt) {
  AggregateBound out;
  double lo = lower_s, hi = upper_s;
  bool first = true;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed_s = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  while (hi - lo > opt.relative_tolerance * hi && out.programs < opt.max_programs && elapsed_s() < opt.total_limit_s) {
    const double mid = first ? std::max(0.5 * (lo + hi), upper_s * (1 - opt.target_gap)) : 0.5 * (lo + hi);
    first = false;
    ++out.programs;
    if (maybe_feasible(buckets, options, devices, mid, opt, &out.limited))
      hi = mid;
    else
      lo = mid;
  }
  if (hi - lo > opt.relative_tolerance * hi && out.programs < opt.max_programs) out.limited = true;  // out of time
  out.lower_s = lo;
  return out;
}

AggregateBound real_lengths_lower_bound(std::span<const std::int64_t> lengths,
                                        const std::vector<GroupSizeOption>& options, std::uint32_t devices,
                                        std::size_t buckets, double start_s, double upper_s,
                                        const AggregateBoundOptions& opt) {
  // Buckets from below: the DP on (longest + 1 − s) minimizes Σ(s − bucket min).
  const std::int64_t longest = *std::max_element(lengths.begin(), lengths.end());
  std::vector<std::int64_t> mirrored;
  for (auto s : lengths) mirrored.push_back(longest + 1 - s);
  Bucketing b = bucket_lengths(mirrored, buckets);
  for (auto& x : b.buckets) {
    const double s = static_cast<double>(longest + 1 - x.max_tokens);  // the bucket's shortest real length
    x.min_tokens = x.max_tokens = longest + 1 - x.max_tokens;
    x.sum_tokens = static_cast<double>(x.count) * s;
    x.sum_sq_tokens = static_cast<double>(x.count) * s * s;
  }
  // Every plan holds the longest sequence somewhere: alone in its best size is a bound too.
  const double l = static_cast<double>(longest);
  double lower = upper_s;  // (no size holds it: no plan at all)
  for (const auto& o : options)
    if (l <= o.capacity_tokens) lower = std::min(lower, o.time.seconds(l, l * l));
  return aggregate_lower_bound(b.buckets, options, devices, std::max(lower, start_s), upper_s, opt);
}

}  // namespace spsim
