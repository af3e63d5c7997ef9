#pragma once
// Fitting spsim's cost model to measured points (measured_points.h): what
// `spsim calibrate` runs. Every quantity is fitted by least squares on
// relative error (each point counts by its percentage error, whatever its
// size), and predicted through the same models a study uses, so the fitted
// numbers mean in a study exactly what they meant in the fit.
//
// - Links, per link class and traffic (collective / point-to-point): the
//   class's per-message (per algorithm step) overhead α and bandwidth
//   efficiency. A communication point belongs to the class of the link that
//   bounds it in the model. Its time is affine in α and in 1/efficiency,
//     t = c + a·α + b/eff,
//   (a: the algorithm's steps, b: its time at the line rate, c: the rest: link
//   latencies, other classes), with a, b, c read off the model by three
//   evaluations; the weighted linear least squares (Eigen) is solved under
//   α >= 0, eff <= 1. A bound that binds is reported: the data are faster
//   than spsim's algorithm at line rate (in-network reduction: SHARP, NVLS).
// - Kernels, per kind: attention forward and backward, a factor on both
//   efficiency curves' eff_max (the curves' shape, L½, stays the published
//   one: kernels of one shape cannot tell it apart); GEMMs, gemm_efficiency.
//   Fitted as one-parameter minimizations (a log grid, then golden section)
//   of the same relative-error sum through the roofline (op_cost.h).
// - The compute slowdown while communication runs (Kineto traces): for each
//   compute kernel name seen both alone (no communication kernel on its
//   device overlaps it) and overlapped (a communication kernel covers more
//   than half of it), at least 3 times each, the ratio of the median
//   durations; the slowdown is the median of those ratios, at least 1.
// - The launch overhead (Kineto traces, group "launch"): launch_s = the
//   median host duration of the traces' kernel launch calls
//   (KinetoTrace::launch_us), the leading fraction of them in file order.
// Not fitted, and said so in the profile: links from the NCCL kernels of profiler
// traces (a rank's NCCL kernel runs until its peers arrive: its duration is
// waiting plus transfer) — links are fitted from nccl-tests, and from a
// trace's NCCL kernels only when --fit names their group (with a caution).
//
// Which points are fitted: the groups selected (all when none are), and of
// each group the leading fitted_count(size, fraction) points in file order —
// the rest stay out of sample for `spsim compare`.

#include <string>
#include <vector>

#include "costmodel/calibration_profile.h"
#include "traces/measured_points.h"

namespace spsim {

struct CalibrateOptions {
  std::vector<std::string> groups;  // fit only these groups (empty: every group)
  double fraction = 1;              // the leading fraction of each group, in (0, 1]
  std::string network = "flow";
};

// What the fit starts from: the topology the points ran on, its link
// parameters before calibration, and the device profile (its device_type key).
struct CalibrationBase {
  const Topology& topology;
  LinkCalibration links;
  const DeviceProfile& device;
  std::string device_type;
};

// Errors of one fitted quantity over its points, before and after.
struct FitReport {
  CalibrationFit after;  // what the profile records
  double before_median_rel_error = 0, before_p90_rel_error = 0, before_max_rel_error = 0;
};

struct CalibrationOutcome {
  CalibrationProfile profile;  // created / spsim_version left for the caller
  std::vector<FitReport> reports;
};

// Points of a group of `size` fitted with `fraction`: ceil(fraction · size).
std::size_t fitted_count(std::size_t size, double fraction);

// Whether `p` (of a set whose group sizes are `group_size`) was fitted by `profile`.
bool point_was_fitted(const MeasuredPoint& p, std::size_t group_size, const CalibrationProfile& profile);

// Fits what the points can fit. Throws InputError("--fit", ...) when a
// selected group has no points, InputError("calibrate", ...) when nothing at
// all can be fitted.
CalibrationOutcome calibrate(const std::vector<PointSet>& sets, const CalibrationBase& base,
                             const CalibrateOptions& options);

// |predicted − measured| / measured statistics: median, P90 (the
// ceil(0.9 n)-th smallest), max. Zeros for no values.
struct ErrorStats {
  std::size_t n = 0;
  double median = 0, p90 = 0, max = 0;
};
ErrorStats error_stats(std::vector<double> relative_errors);

}  // namespace spsim
