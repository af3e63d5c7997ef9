#pragma once
// Synthetic sequence-length distributions for planning studies, fitted to
// published summaries (percentiles and mean) of real corpora.
//
// The shape is a spliced log-normal: with Z standard normal,
//   ln X = mu + sigma_body·Z                                    for Z <= z_splice
//   ln X = mu + sigma_body·z_splice + sigma_tail·(Z − z_splice)  for Z >  z_splice
// i.e. a log-normal body whose log-quantile bends to a steeper slope above
// the splice point (continuous there). Real length distributions have a
// heavier tail than one log-normal: for Wikipedia (strategies.md, FlexSP) the
// log-quantile slope per unit of z is 1.41 from P50 to P90, 1.57 from P90 to
// P99 and 1.61 from P99 to P99.9, so a single log-normal through P50 and P90
// puts P99.9 at 27.0K instead of 37.4K.
//
// Mean (each piece is a truncated log-normal, E[e^(a+bZ); Z <= z] = e^(a+b²/2)·Φ(z−b)):
//   E[X] = e^(mu + sb²/2)·Φ(zs − sb) + e^(mu + (sb − st)·zs + st²/2)·(1 − Φ(zs − st)).
//
// The fit (fit_spliced_lognormal) minimizes, over (mu, sigma_body,
// sigma_tail, z_splice), the squared log-errors of every published
// percentile and of the mean: Σ_i (ln Q(p_i) − ln x_i)² + (ln E[X] − ln mean)²,
// by Nelder–Mead from the single log-normal through P50 and P90. Five
// targets, four parameters: a least-squares fit, not an interpolation.

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace spsim {

struct LengthPercentile {
  double fraction = 0;  // p in (0, 1), e.g. 0.99 for P99
  double tokens = 0;    // the published p-quantile
};

// What a paper publishes about a corpus's sequence lengths.
struct LengthSummary {
  std::vector<LengthPercentile> percentiles;
  double mean_tokens = 0;
  std::string source;
};

struct SplicedLogNormal {
  double mu = 0;
  double sigma_body = 1;
  double sigma_tail = 1;
  double z_splice = 0;

  // The p-quantile in tokens (real-valued), p in (0, 1).
  double quantile(double p) const;
  // P(X <= tokens), tokens > 0.
  double cdf(double tokens) const;
  // E[X] by the closed form in the file comment.
  double mean() const;
};

// The least-squares fit described in the file comment. Deterministic.
SplicedLogNormal fit_spliced_lognormal(const LengthSummary& summary);

// The fit's relative error against each target: (model − published) / published,
// one per percentile in order, then the mean.
std::vector<double> fit_relative_errors(const SplicedLogNormal& d, const LengthSummary& summary);

// A named distribution of the `--dist` flag.
struct LengthDistribution {
  std::string name;
  LengthSummary summary;   // what it was fitted to
  SplicedLogNormal shape;  // the fit
};

// FlexSP's Wikipedia summary (strategies.md, arXiv 2412.01523): mean 1014,
// median 347, P90 2112, P99 10919, P99.9 37353 tokens.
LengthSummary wikipedia_length_summary();

// The distribution called `name` ("wikipedia"); the fit runs once, on first
// use. Throws InputError("--dist", ...) listing the names for an unknown one.
const LengthDistribution& find_length_distribution(std::string_view name);
// "wikipedia" (comma separated when there are several).
std::string length_distribution_names();

// Draws lengths from a distribution: each draw is the quantile of a uniform
// u in (0, 1) taken from the top 53 bits of a 64-bit Mersenne Twister seeded
// with `seed` (the same lengths on every platform), rounded to the nearest
// integer and at least 1.
class LengthSampler {
 public:
  LengthSampler(const SplicedLogNormal& shape, std::uint64_t seed);
  std::int64_t next();

 private:
  SplicedLogNormal shape_;
  std::mt19937_64 rng_;
};

// Standard normal CDF Φ and its inverse (Acklam's rational approximation
// refined by one Halley step; |error| < 1e-13 over (1e-300, 1 − 1e-16)).
double normal_cdf(double z);
double normal_quantile(double p);

}  // namespace spsim
