#include "planner/group_time_fit.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace spsim {
namespace {

std::int64_t round_up(std::int64_t x, std::int64_t g) { return (x + g - 1) / g * g; }

// Solves the k x k system A x = y in place (Gaussian elimination, partial
// pivoting); false when singular.
bool solve_small(std::array<std::array<double, 3>, 3>& a, std::array<double, 3>& y, std::size_t k) {
  for (std::size_t c = 0; c < k; ++c) {
    std::size_t p = c;
    for (std::size_t r = c + 1; r < k; ++r)
      if (std::abs(a[r][c]) > std::abs(a[p][c])) p = r;
    if (std::abs(a[p][c]) < 1e-300) return false;
    std::swap(a[p], a[c]);
    std::swap(y[p], y[c]);
    for (std::size_t r = 0; r < k; ++r) {
      if (r == c) continue;
      const double f = a[r][c] / a[c][c];
      for (std::size_t j = c; j < k; ++j) a[r][j] -= f * a[c][j];
      y[r] -= f * y[c];
    }
  }
  for (std::size_t c = 0; c < k; ++c) y[c] /= a[c][c];
  return true;
}

}  // namespace

std::vector<std::vector<std::int64_t>> probe_workloads(std::uint32_t size, std::int64_t granule,
                                                       std::int64_t max_group_tokens, std::int64_t max_sequence) {
  std::vector<std::vector<std::int64_t>> out;
  const std::int64_t lo = round_up(std::max<std::int64_t>(granule, 256), granule);
  const std::int64_t hi = std::max(lo, std::min(max_group_tokens, max_sequence) / granule * granule);
  constexpr int kSingles = 6;
  for (int i = 0; i < kSingles; ++i) {
    const double x = std::exp(std::log(static_cast<double>(lo)) +
                              (std::log(static_cast<double>(hi)) - std::log(static_cast<double>(lo))) * i / (kSingles - 1));
    const std::int64_t s = std::min(hi, round_up(static_cast<std::int64_t>(x), granule));
    if (out.empty() || out.back().front() != s) out.push_back({s});
  }
  // Packs of at most clamp(512/d, 4, 32) sequences, each at least 1K
  // tokens: costing an attention block takes time quadratic in its runs
  // (program/token_layout.h, costmodel/attention_tiles.h), and a group's
  // gathered packed layout has d runs per sequence.
  const std::int64_t most = std::clamp<std::int64_t>(512 / std::int64_t{size}, 4, 32);
  for (std::int64_t share : {8, 2, 1}) {
    const std::int64_t total = max_group_tokens / share;
    const std::int64_t len = round_up(std::max<std::int64_t>(1024, total / most), granule);
    const std::int64_t n = total / len;
    if (n >= 2) out.emplace_back(static_cast<std::size_t>(n), len);
  }
  return out;
}

namespace {

// Non-negative weighted least squares of the linear part alone.
GroupTimeCoefficients fit_linear(std::span<const ProbePoint> points) {
  // Columns x2 = Σs², x1 = Σs, x0 = 1, scaled to unit max for conditioning;
  // rows weighted by 1/t (relative residuals).
  std::array<double, 3> scale{0, 0, 1};
  for (const auto& p : points) {
    scale[0] = std::max(scale[0], p.sum_sq_tokens);
    scale[1] = std::max(scale[1], p.sum_tokens);
  }
  for (double& s : scale) s = s > 0 ? s : 1;
  auto column = [&](const ProbePoint& p, std::size_t j) {
    const double v = j == 0 ? p.sum_sq_tokens : j == 1 ? p.sum_tokens : 1.0;
    return v / scale[j] / p.seconds;
  };
  double best_err = std::numeric_limits<double>::infinity();
  std::array<double, 3> best{0, 0, 0};
  for (unsigned mask = 1; mask < 8; ++mask) {
    std::array<std::size_t, 3> cols{};
    std::size_t k = 0;
    for (std::size_t j = 0; j < 3; ++j)
      if (mask & (1u << j)) cols[k++] = j;
    std::array<std::array<double, 3>, 3> a{};
    std::array<double, 3> y{};
    for (const auto& p : points)
      for (std::size_t r = 0; r < k; ++r) {
        for (std::size_t c = 0; c < k; ++c) a[r][c] += column(p, cols[r]) * column(p, cols[c]);
        y[r] += column(p, cols[r]) * 1.0;  // target t/t = 1
      }
    if (!solve_small(a, y, k)) continue;
    std::array<double, 3> x{0, 0, 0};
    bool feasible = true;
    for (std::size_t r = 0; r < k; ++r) {
      x[cols[r]] = y[r];
      feasible &= y[r] >= 0;
    }
    if (!feasible) continue;
    double err = 0;
    for (const auto& p : points) {
      double pred = 0;
      for (std::size_t j = 0; j < 3; ++j) pred += x[j] * column(p, j);
      err += (pred - 1) * (pred - 1);
    }
    if (err < best_err) {
      best_err = err;
      best = x;
    }
  }
  return GroupTimeCoefficients{best[0] / scale[0], best[1] / scale[1], best[2] / scale[2], 0};
}

double relative_sse(const GroupTimeCoefficients& c, std::span<const ProbePoint> points) {
  double e = 0;
  for (const auto& p : points) {
    const double r = c.seconds(p.sum_tokens, p.sum_sq_tokens) / p.seconds - 1;
    e += r * r;
  }
  return e;
}

}  // namespace

GroupTimeCoefficients fit_group_time(std::span<const ProbePoint> points) {
  std::vector<ProbePoint> sorted(points.begin(), points.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const ProbePoint& a, const ProbePoint& b) { return a.sum_tokens < b.sum_tokens; });
  GroupTimeCoefficients best = fit_linear(sorted);
  double best_err = relative_sse(best, sorted);
  // The k smallest probes on the floor f (its relative least-squares value
  // Σ(1/t) / Σ(1/t²)), the rest on the linear part; the best k wins.
  for (std::size_t k = 1; k + 2 <= sorted.size(); ++k) {
    double inv = 0, inv_sq = 0;
    for (std::size_t i = 0; i < k; ++i) {
      inv += 1 / sorted[i].seconds;
      inv_sq += 1 / (sorted[i].seconds * sorted[i].seconds);
    }
    GroupTimeCoefficients c = fit_linear(std::span<const ProbePoint>(sorted).subspan(k));
    c.min_s = inv / inv_sq;
    const double err = relative_sse(c, sorted);
    if (err < best_err) {
      best_err = err;
      best = c;
    }
  }
  // A floor below the linear part at every probe binds nowhere the data
  // reaches: drop it rather than extrapolate it.
  bool binds = false;
  for (const auto& p : sorted) {
    GroupTimeCoefficients linear = best;
    linear.min_s = 0;
    binds |= best.min_s > linear.seconds(p.sum_tokens, p.sum_sq_tokens);
  }
  if (!binds) best.min_s = 0;
  return best;
}

SizeFit fit_group_size(const GroupPredictor& predict, std::span<const DeviceId> devices, std::int64_t granule,
                       std::int64_t max_group_tokens, std::int64_t max_sequence) {
  SizeFit fit;
  fit.size = static_cast<std::uint32_t>(devices.size());
  for (const auto& lens : probe_workloads(fit.size, granule, max_group_tokens, max_sequence)) {
    ProbePoint p;
    for (auto s : lens) {
      p.sum_tokens += static_cast<double>(s);
      p.sum_sq_tokens += static_cast<double>(s) * static_cast<double>(s);
    }
    p.seconds = predict(devices, lens);
    fit.probes.push_back(p);
  }
  fit.coefficients = fit_group_time(fit.probes);
  for (const auto& p : fit.probes) {
    const double r = std::abs(fit.coefficients.seconds(p.sum_tokens, p.sum_sq_tokens) - p.seconds) / p.seconds;
    fit.max_relative_residual = std::max(fit.max_relative_residual, r);
    if (p.seconds >= 2 * fit.coefficients.min_s)
      fit.max_relative_residual_linear = std::max(fit.max_relative_residual_linear, r);
  }
  return fit;
}

}  // namespace spsim
