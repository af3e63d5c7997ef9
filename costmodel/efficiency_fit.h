#pragma once
// Least-squares fit of a SaturationCurve to measured (length, TFLOP/s)
// points, e.g. the FlashAttention benchmark figures quoted in
// ../shared/reference/hardware.md.
//
// The fit minimizes the sum of squared *relative* residuals
//   r_i = (peak · eff(L_i) − R_i) / R_i
// (every point counts by its percentage error, whatever its size) over
// eff_max > 0 and L½ > 0, with a Levenberg–Marquardt iteration (Eigen)
// started from the linearized fit 1/R = 1/(peak·eff_max) + (L½/(peak·eff_max))·(1/L).
// It is deterministic: same points, same result, bit for bit.

#include <span>
#include <vector>

#include "costmodel/saturation_curve.h"

namespace spsim {

struct ThroughputPoint {
  double length = 0;       // L, rows (> 0)
  double tflop_per_s = 0;  // measured throughput, 1e12 FLOP/s (> 0)
};

struct CurveFit {
  SaturationCurve curve;
  // Per point, in input order: (fitted − measured) / measured.
  std::vector<double> relative_residuals;
  double rms_relative_error = 0;  // sqrt(mean of squared relative residuals)
  double max_relative_error = 0;  // max |relative residual|
};

// Fits eff(L) = eff_max · L/(L + L½) to points / peak. Requires at least two
// points with distinct lengths, every length and throughput > 0, and
// peak_flop_per_s > 0; throws InputError("efficiency fit", ...) otherwise.
CurveFit fit_saturation_curve(std::span<const ThroughputPoint> points, double peak_flop_per_s);

}  // namespace spsim
