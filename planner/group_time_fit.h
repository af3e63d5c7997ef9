#pragma once
// Fitting the planner's linear group time (group_time_model.h) to
// predictions, per group size: a·Σs² + b·Σs + c by least squares over probe
// workloads the predictor times.
//
// Probes for a group of d devices whose sequences must be multiples of g
// tokens (the strategy's granule), holding at most K tokens, with sequences
// of at most Lmax tokens:
//   singles  one sequence of each of 6 lengths spaced geometrically from
//            max(g, 256) to min(K, Lmax)            (Σs² = s², spans attention)
//   packs    n <= clamp(512/d, 4, 32) equal sequences of >= 1K tokens filling
//            K/8, K/2 and K
//                                                  (large Σs, small Σs²: dense, all-to-all)
// all lengths rounded up to multiples of g. The fit minimizes the squared
// relative residuals Σ ((max(a·x2 + b·x1 + c, f) − t) / t)²: for each k, the
// k probes with the fewest tokens set the floor f (its least-squares value)
// and the others the linear part, subject to a, b, c >= 0 (exact
// non-negative least squares over three unknowns: every subset of active
// coefficients is solved and the best feasible kept); the best k wins (k = 0:
// no floor).

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "planner/group_time_model.h"

namespace spsim {

// A predictor: seconds of one micro-batch step of a group on `devices` with
// these packed sequence lengths.
using GroupPredictor = std::function<double(std::span<const DeviceId> devices, std::span<const std::int64_t> seq_lens)>;

struct ProbePoint {
  double sum_tokens = 0, sum_sq_tokens = 0, seconds = 0;
};

struct SizeFit {
  std::uint32_t size = 0;
  GroupTimeCoefficients coefficients;
  std::vector<ProbePoint> probes;
  double max_relative_residual = 0;  // max over probes of |fit − t| / t
  // The same over probes that take at least twice the floor: away from the
  // knee where the roofline bends (max() of two lines is sharp, the roofline
  // of many kernels is not).
  double max_relative_residual_linear = 0;
};

// Probe workloads (lists of packed lengths) for the design above.
std::vector<std::vector<std::int64_t>> probe_workloads(std::uint32_t size, std::int64_t granule,
                                                       std::int64_t max_group_tokens, std::int64_t max_sequence);

// The fit above on these points.
GroupTimeCoefficients fit_group_time(std::span<const ProbePoint> points);

// Times every probe of a group on `devices` with `predict` and fits.
SizeFit fit_group_size(const GroupPredictor& predict, std::span<const DeviceId> devices, std::int64_t granule,
                       std::int64_t max_group_tokens, std::int64_t max_sequence);

}  // namespace spsim
