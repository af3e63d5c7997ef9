#include "costmodel/efficiency_fit.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <Eigen/Dense>

#include "program/input_error.h"

namespace spsim {
namespace {

constexpr double kTera = 1e12;

struct Params {
  double eff_max;    // a
  double log_half;   // θ = ln L½ (keeps L½ > 0)
};

// Relative residuals and the Jacobian d r / d (a, θ) at p.
void evaluate(std::span<const ThroughputPoint> pts, double peak, const Params& p,
              Eigen::VectorXd& r, Eigen::MatrixXd* jac) {
  const double half = std::exp(p.log_half);
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const double L = pts[i].length, R = pts[i].tflop_per_s * kTera;
    const double g = L / (L + half);
    r[static_cast<Eigen::Index>(i)] = (peak * p.eff_max * g - R) / R;
    if (jac) {
      (*jac)(static_cast<Eigen::Index>(i), 0) = peak * g / R;
      (*jac)(static_cast<Eigen::Index>(i), 1) = -peak * p.eff_max * L * half / ((L + half) * (L + half)) / R;
    }
  }
}

// Linearized start: 1/R = c0 + c1 / L with c0 = 1/(peak a), c1 = L½/(peak a).
Params initial_guess(std::span<const ThroughputPoint> pts, double peak) {
  const auto n = static_cast<Eigen::Index>(pts.size());
  Eigen::MatrixXd A(n, 2);
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto& pt = pts[static_cast<std::size_t>(i)];
    A(i, 0) = 1.0;
    A(i, 1) = 1.0 / pt.length;
    y(i) = 1.0 / (pt.tflop_per_s * kTera);
  }
  const Eigen::Vector2d c = A.colPivHouseholderQr().solve(y);
  if (c(0) > 0 && c(1) > 0) return {1.0 / (peak * c(0)), std::log(c(1) / c(0))};
  // Data that does not rise with L: start flat at the best point.
  double best = 0, shortest = pts[0].length;
  for (const auto& pt : pts) {
    best = std::max(best, pt.tflop_per_s * kTera);
    shortest = std::min(shortest, pt.length);
  }
  return {best / peak, std::log(shortest)};
}

}  // namespace

CurveFit fit_saturation_curve(std::span<const ThroughputPoint> points, double peak_flop_per_s) {
  const std::string where = "efficiency fit";
  if (!(peak_flop_per_s > 0)) throw InputError(where, "a peak FLOP/s > 0");
  if (points.size() < 2) throw InputError(where, "at least two (length, TFLOP/s) points");
  bool distinct = false;
  for (const auto& pt : points) {
    if (!(pt.length > 0) || !(pt.tflop_per_s > 0))
      throw InputError(where, "every point with length > 0 and TFLOP/s > 0");
    if (pt.length != points[0].length) distinct = true;
  }
  if (!distinct) throw InputError(where, "points at two or more distinct lengths");

  const auto n = static_cast<Eigen::Index>(points.size());
  Params p = initial_guess(points, peak_flop_per_s);
  Eigen::VectorXd r(n), r_try(n);
  Eigen::MatrixXd J(n, 2);
  evaluate(points, peak_flop_per_s, p, r, &J);
  double cost = r.squaredNorm();
  double lambda = 1e-3;
  // Levenberg–Marquardt with Marquardt's diagonal scaling. 2 parameters: a
  // few dozen iterations at most; the cap only guards against pathologies.
  for (int iter = 0; iter < 500 && cost > 0; ++iter) {
    const Eigen::Matrix2d JtJ = J.transpose() * J;
    const Eigen::Vector2d g = J.transpose() * r;
    Eigen::Matrix2d M = JtJ;
    M.diagonal() += lambda * JtJ.diagonal().cwiseMax(1e-300);
    const Eigen::Vector2d step = M.ldlt().solve(-g);
    const Params trial{p.eff_max + step(0), p.log_half + step(1)};
    if (!(trial.eff_max > 0) || !std::isfinite(trial.log_half)) {
      lambda *= 4;
      continue;
    }
    evaluate(points, peak_flop_per_s, trial, r_try, nullptr);
    const double trial_cost = r_try.squaredNorm();
    if (trial_cost < cost) {
      const double gain = cost - trial_cost;
      p = trial;
      evaluate(points, peak_flop_per_s, p, r, &J);
      cost = trial_cost;
      lambda = std::max(lambda / 3, 1e-12);
      if (gain <= 1e-15 * cost || step.norm() <= 1e-14 * (1 + std::abs(p.log_half))) break;
    } else {
      lambda *= 4;
      if (lambda > 1e12) break;
    }
  }

  CurveFit fit;
  fit.curve.eff_max = p.eff_max;
  fit.curve.half_length = std::exp(p.log_half);
  fit.relative_residuals.resize(points.size());
  double sum_sq = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const double R = points[i].tflop_per_s * kTera;
    const double rel = (peak_flop_per_s * fit.curve.efficiency(points[i].length) - R) / R;
    fit.relative_residuals[i] = rel;
    sum_sq += rel * rel;
    fit.max_relative_error = std::max(fit.max_relative_error, std::abs(rel));
  }
  fit.rms_relative_error = std::sqrt(sum_sq / static_cast<double>(points.size()));
  return fit;
}

}  // namespace spsim
