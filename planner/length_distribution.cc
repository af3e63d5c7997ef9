#include "planner/length_distribution.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>

#include "program/input_error.h"

namespace spsim {
namespace {

// Acklam's rational approximation of the normal quantile (three regions).
double acklam_quantile(double p) {
  constexpr std::array<double, 6> a{-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                    1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  constexpr std::array<double, 5> b{-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                    6.680131188771972e+01,  -1.328068155288572e+01};
  constexpr std::array<double, 6> c{-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                    -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  constexpr std::array<double, 4> d{7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                    3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  auto tail = [&](double q) {
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  };
  if (p < kLow) return tail(std::sqrt(-2 * std::log(p)));
  if (p > 1 - kLow) return -tail(std::sqrt(-2 * std::log1p(-p)));
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// Nelder–Mead on f over R^4 (standard coefficients: reflect 1, expand 2,
// contract 1/2, shrink 1/2), until the simplex's values agree to 1e-14 or
// after 20000 iterations. Deterministic.
template <class F>
std::array<double, 4> nelder_mead(F f, std::array<double, 4> start, double step) {
  constexpr int n = 4;
  std::array<std::array<double, 4>, n + 1> pts{};
  std::array<double, n + 1> val{};
  for (int i = 0; i <= n; ++i) {
    pts[i] = start;
    if (i > 0) pts[i][i - 1] += step;
    val[i] = f(pts[i]);
  }
  auto blend = [](const std::array<double, 4>& x, const std::array<double, 4>& y, double t) {
    std::array<double, 4> out{};
    for (int j = 0; j < n; ++j) out[j] = x[j] + t * (y[j] - x[j]);
    return out;
  };
  for (int iter = 0; iter < 20000; ++iter) {
    std::array<int, n + 1> order{};
    for (int i = 0; i <= n; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return val[x] < val[y]; });
    auto p2 = pts;
    auto v2 = val;
    for (int i = 0; i <= n; ++i) {
      pts[i] = p2[order[i]];
      val[i] = v2[order[i]];
    }
    if (val[n] - val[0] <= 1e-14 * (1 + std::abs(val[0]))) break;
    std::array<double, 4> centroid{};
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) centroid[j] += pts[i][j] / n;
    const auto reflected = blend(centroid, pts[n], -1);
    const double fr = f(reflected);
    if (fr < val[0]) {
      const auto expanded = blend(centroid, pts[n], -2);
      const double fe = f(expanded);
      if (fe < fr) {
        pts[n] = expanded;
        val[n] = fe;
      } else {
        pts[n] = reflected;
        val[n] = fr;
      }
    } else if (fr < val[n - 1]) {
      pts[n] = reflected;
      val[n] = fr;
    } else {
      const auto contracted = blend(centroid, pts[n], 0.5);
      const double fc = f(contracted);
      if (fc < val[n]) {
        pts[n] = contracted;
        val[n] = fc;
      } else {
        for (int i = 1; i <= n; ++i) {
          pts[i] = blend(pts[0], pts[i], 0.5);
          val[i] = f(pts[i]);
        }
      }
    }
  }
  return pts[std::min_element(val.begin(), val.end()) - val.begin()];
}

SplicedLogNormal from_params(const std::array<double, 4>& x) { return {x[0], x[1], x[2], x[3]}; }

}  // namespace

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double normal_quantile(double p) {
  const double x = acklam_quantile(p);
  // One Halley step on Φ(x) − p.
  const double e = normal_cdf(x) - p;
  const double u = e * std::sqrt(2 * std::numbers::pi) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

double SplicedLogNormal::quantile(double p) const {
  const double z = normal_quantile(p);
  return std::exp(mu + sigma_body * std::min(z, z_splice) + sigma_tail * std::max(0.0, z - z_splice));
}

double SplicedLogNormal::cdf(double tokens) const {
  const double y = std::log(tokens), y_splice = mu + sigma_body * z_splice;
  const double z = y <= y_splice ? (y - mu) / sigma_body : z_splice + (y - y_splice) / sigma_tail;
  return normal_cdf(z);
}

double SplicedLogNormal::mean() const {
  const double sb = sigma_body, st = sigma_tail, zs = z_splice;
  return std::exp(mu + sb * sb / 2) * normal_cdf(zs - sb) +
         std::exp(mu + (sb - st) * zs + st * st / 2) * (1 - normal_cdf(zs - st));
}

SplicedLogNormal fit_spliced_lognormal(const LengthSummary& s) {
  auto objective = [&](const std::array<double, 4>& x) {
    if (x[1] <= 0.01 || x[2] <= 0.01) return std::numeric_limits<double>::infinity();
    const SplicedLogNormal d = from_params(x);
    double sum = 0;
    for (const auto& t : s.percentiles) {
      const double e = std::log(d.quantile(t.fraction)) - std::log(t.tokens);
      sum += e * e;
    }
    const double e = std::log(d.mean()) - std::log(s.mean_tokens);
    return sum + e * e;
  };
  // Start: the single log-normal through the median and the next percentile
  // (or sigma 1 when only one is given), spliced at z = 1.
  double median = s.mean_tokens, sigma = 1;
  for (const auto& t : s.percentiles)
    if (t.fraction == 0.5) median = t.tokens;
  for (const auto& t : s.percentiles)
    if (t.fraction > 0.5) {
      sigma = (std::log(t.tokens) - std::log(median)) / normal_quantile(t.fraction);
      break;
    }
  std::array<double, 4> x{std::log(median), sigma, sigma, 1.0};
  // Two restarts from the previous optimum guard against a collapsed simplex.
  for (int round = 0; round < 3; ++round) x = nelder_mead(objective, x, round == 0 ? 0.3 : 0.05);
  return from_params(x);
}

std::vector<double> fit_relative_errors(const SplicedLogNormal& d, const LengthSummary& s) {
  std::vector<double> out;
  for (const auto& t : s.percentiles) out.push_back(d.quantile(t.fraction) / t.tokens - 1);
  out.push_back(d.mean() / s.mean_tokens - 1);
  return out;
}

LengthSummary wikipedia_length_summary() {
  return {{{0.5, 347}, {0.9, 2112}, {0.99, 10919}, {0.999, 37353}},
          1014,
          "FlexSP, arXiv 2412.01523: Wikipedia, 1M sequences (../shared/reference/strategies.md)"};
}

const LengthDistribution& find_length_distribution(std::string_view name) {
  static const LengthDistribution wikipedia = [] {
    LengthDistribution d;
    d.name = "wikipedia";
    d.summary = wikipedia_length_summary();
    d.shape = fit_spliced_lognormal(d.summary);
    return d;
  }();
  if (name == wikipedia.name) return wikipedia;
  throw InputError("--dist", "unknown length distribution '" + std::string(name) +
                                 "'; expected one of: " + length_distribution_names());
}

std::string length_distribution_names() { return "wikipedia"; }

LengthSampler::LengthSampler(const SplicedLogNormal& shape, std::uint64_t seed) : shape_(shape), rng_(seed) {}

std::int64_t LengthSampler::next() {
  // u = (k + 0.5) / 2^53 with k the top 53 bits: strictly inside (0, 1).
  const double u = (static_cast<double>(rng_() >> 11) + 0.5) * 0x1.0p-53;
  return std::max<std::int64_t>(1, std::llround(shape_.quantile(u)));
}

}  // namespace spsim
