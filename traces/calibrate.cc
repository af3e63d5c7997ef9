#include "traces/calibrate.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <optional>
#include <set>

#include "program/input_error.h"

namespace spsim {
namespace {

using GroupKey = std::pair<std::string, std::string>;  // (file, group)

std::map<GroupKey, std::size_t> group_sizes(const PointSet& set) {
  std::map<GroupKey, std::size_t> sizes;
  for (const auto& p : set.points) ++sizes[{p.file, p.group}];
  return sizes;
}

double relative_error(double predicted, double measured) { return std::abs(predicted - measured) / measured; }

CalibrationFit make_fit(std::string quantity, std::string value, const std::vector<double>& errors) {
  const ErrorStats s = error_stats(errors);
  CalibrationFit f;
  f.quantity = std::move(quantity);
  f.value = std::move(value);
  f.points = s.n;
  f.median_rel_error = s.median;
  f.p90_rel_error = s.p90;
  f.max_rel_error = s.max;
  return f;
}

FitReport make_report(CalibrationFit after, const std::vector<double>& before) {
  FitReport r;
  r.after = std::move(after);
  const ErrorStats b = error_stats(before);
  r.before_median_rel_error = b.median;
  r.before_p90_rel_error = b.p90;
  r.before_max_rel_error = b.max;
  return r;
}

// ---- links ----------------------------------------------------------------

// `c` with the class's overhead (unless nullopt: left as it is) and efficiency set.
LinkCalibration with_class(LinkCalibration c, LinkKind kind, Traffic traffic, std::optional<double> alpha_s,
                           double efficiency) {
  LinkClassOverride& o = c[kind];
  if (traffic == Traffic::kCollective) {
    if (alpha_s) o.message_overhead_s = *alpha_s;
    o.bandwidth_efficiency = efficiency;
  } else {
    if (alpha_s) o.p2p_overhead_s = *alpha_s;
    o.p2p_efficiency = efficiency;
  }
  return c;
}

struct LinkFit {
  double alpha_s = 0, efficiency = 1;
  bool alpha_bound = false, efficiency_bound = false;
  // False when no point's time depends on α (NVLS all-reduce: NCCL's fixed
  // latency, costmodel/nvls.h): α is then not fitted.
  bool alpha_identified = true;
};

// min Σ ((c + a·α + b·x − m)/m)² over α >= 0, x = 1/eff >= 1.
LinkFit solve_link_fit(const std::vector<double>& a, const std::vector<double>& b, const std::vector<double>& c,
                       const std::vector<double>& m) {
  const Eigen::Index n = static_cast<Eigen::Index>(m.size());
  Eigen::MatrixXd A(n, 2);
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    A(i, 0) = a[i] / m[i];
    A(i, 1) = b[i] / m[i];
    y(i) = (m[i] - c[i]) / m[i];
  }
  auto cost = [&](double alpha, double x) { return (A * Eigen::Vector2d(alpha, x) - y).squaredNorm(); };
  struct Candidate {
    double alpha, x;
  };
  std::vector<Candidate> candidates{{0, 1}};
  const double aa = A.col(0).squaredNorm(), bb = A.col(1).squaredNorm();
  // The unconstrained optimum (when both columns are there); a bound binds when it lies beyond it.
  const Eigen::Vector2d free = (aa > 0 && bb > 0) ? Eigen::Vector2d(A.colPivHouseholderQr().solve(y)) : Eigen::Vector2d(0, 1);
  if (aa > 0 && bb > 0) candidates.push_back({free(0), free(1)});
  if (bb > 0) candidates.push_back({0, A.col(1).dot(y) / bb});
  if (aa > 0) candidates.push_back({A.col(0).dot(y - A.col(1)) / aa, 1});
  LinkFit best;
  double best_cost = INFINITY;
  for (const auto& cand : candidates) {
    if (!(cand.alpha >= 0) || !(cand.x >= 1) || !std::isfinite(cand.alpha) || !std::isfinite(cand.x)) continue;
    const double v = cost(cand.alpha, cand.x);
    if (v < best_cost) {
      best_cost = v;
      best.alpha_s = cand.alpha;
      best.efficiency = 1 / cand.x;
    }
  }
  best.alpha_identified = aa > 0;
  best.alpha_bound = best.alpha_identified && best.alpha_s == 0 && free(0) < 0;
  best.efficiency_bound = best.efficiency == 1 && free(1) < 1;
  return best;
}

struct LinkGroup {
  LinkKind kind;
  Traffic traffic;
  std::vector<const MeasuredPoint*> points;
};

void fit_links(const std::vector<const MeasuredPoint*>& comm, const CalibrationBase& base, const CalibrateOptions& opt,
               LinkCalibration& fitted, std::vector<FitReport>& reports, std::vector<std::string>& not_fitted) {
  auto predict = [&](const LinkCalibration& lc, const MeasuredPoint& p) {
    const LinkModel lm(lc);
    const ModelContext ctx{base.topology, lm, opt.network, base.device};
    return predict_point(p, ctx);
  };
  std::map<std::pair<LinkKind, Traffic>, LinkGroup> groups;
  std::size_t no_link = 0;
  for (const MeasuredPoint* p : comm) {
    const Prediction before = predict(base.links, *p);
    if (!before.bottleneck) {
      ++no_link;
      continue;
    }
    const Traffic t = p->comm->collective ? Traffic::kCollective : Traffic::kPointToPoint;
    auto& g = groups[{*before.bottleneck, t}];
    g.kind = *before.bottleneck;
    g.traffic = t;
    g.points.push_back(p);
  }
  if (no_link > 0) not_fitted.push_back(fmt::format("{} communication points cross no link in the topology", no_link));
  constexpr double kAlphaProbe = 1e-5;  // s: any value > 0 (t is affine in α)
  for (const auto& [key, g] : groups) {
    std::vector<double> a, b, c, m, before;
    for (const MeasuredPoint* p : g.points) {
      const double t01 = predict(with_class(base.links, g.kind, g.traffic, 0, 1), *p).seconds;
      const double t11 = predict(with_class(base.links, g.kind, g.traffic, kAlphaProbe, 1), *p).seconds;
      const double t02 = predict(with_class(base.links, g.kind, g.traffic, 0, 0.5), *p).seconds;
      b.push_back(t02 - t01);
      c.push_back(t01 - b.back());
      a.push_back((t11 - t01) / kAlphaProbe);
      m.push_back(p->measured_s);
      before.push_back(relative_error(predict(base.links, *p).seconds, p->measured_s));
    }
    const LinkFit f = solve_link_fit(a, b, c, m);
    const std::optional<double> alpha = f.alpha_identified ? std::optional(f.alpha_s) : std::nullopt;
    fitted = with_class(fitted, g.kind, g.traffic, alpha, f.efficiency);
    std::vector<double> after;
    for (const MeasuredPoint* p : g.points)
      after.push_back(relative_error(predict(with_class(base.links, g.kind, g.traffic, alpha, f.efficiency), *p).seconds,
                                     p->measured_s));
    std::set<std::string> names;
    for (const MeasuredPoint* p : g.points) names.insert(p->group);
    std::string from;
    for (const auto& n : names) from += (from.empty() ? "" : ", ") + n;
    std::string value = f.alpha_identified
                            ? fmt::format("α {:.3f} µs, efficiency {:.4f}", f.alpha_s * 1e6, f.efficiency)
                            : fmt::format("efficiency {:.4f}; α not fitted (no point depends on it: NVLS all-reduce "
                                          "pays NCCL's fixed latency)",
                                          f.efficiency);
    if (f.efficiency_bound)
      value += " (capped at 1: measured faster than spsim's algorithm at the line rate, e.g. in-network reduction "
               "(SHARP) that spsim does not model)";
    if (f.alpha_bound) value += " (α at its bound 0)";
    reports.push_back(make_report(
        make_fit(fmt::format("{} {} {} (from {})", link_kind_name(g.kind),
                             g.traffic == Traffic::kCollective ? "collective" : "p2p",
                             f.alpha_identified ? "α and efficiency" : "efficiency", from),
                 value, after),
        before));
  }
}

// ---- kernels --------------------------------------------------------------

// Minimizes cost(s) over [lo, hi]: a log grid, then golden section around
// the best grid point. Deterministic.
template <class Cost>
double minimize_1d(Cost cost, double lo, double hi) {
  constexpr int kGrid = 121;
  std::vector<double> xs(kGrid), vs(kGrid);
  int best = 0;
  for (int i = 0; i < kGrid; ++i) {
    xs[i] = lo * std::pow(hi / lo, static_cast<double>(i) / (kGrid - 1));
    vs[i] = cost(xs[i]);
    if (vs[i] < vs[best]) best = i;
  }
  double a = xs[std::max(0, best - 1)], b = xs[std::min(kGrid - 1, best + 1)];
  const double g = (std::sqrt(5.0) - 1) / 2;
  double x1 = b - g * (b - a), x2 = a + g * (b - a), f1 = cost(x1), f2 = cost(x2);
  for (int it = 0; it < 60; ++it) {
    if (f1 <= f2) {
      b = x2, x2 = x1, f2 = f1, x1 = b - g * (b - a), f1 = cost(x1);
    } else {
      a = x1, x1 = x2, f1 = f2, x2 = a + g * (b - a), f2 = cost(x2);
    }
  }
  const double x = f1 <= f2 ? x1 : x2;
  return cost(x) <= vs[best] ? x : xs[best];
}

// A kernel kind's one fitted parameter: for attention, a factor on both of
// the kernel model's eff_max (at most what takes the larger to 1); for GEMMs,
// gemm_efficiency itself.
struct KernelFitSpec {
  PointKind kind;
  const char* name;
  AttentionKernelModel DeviceProfile::*attention;  // nullptr: the GEMM fit
};

const KernelFitSpec kKernelFits[] = {
    {PointKind::kAttentionFwd, "attention_fwd efficiency (factor on both curves' eff_max)", &DeviceProfile::attention_fwd},
    {PointKind::kAttentionBwd, "attention_bwd efficiency (factor on both curves' eff_max)", &DeviceProfile::attention_bwd},
    {PointKind::kGemm, "gemm_efficiency", nullptr},
};

void apply_fit(const KernelFitSpec& spec, DeviceProfile& d, double x) {
  if (!spec.attention) {
    d.gemm_efficiency = x;
    return;
  }
  AttentionKernelModel& m = d.*spec.attention;
  m.full.eff_max *= x;
  m.causal.eff_max *= x;
}

std::pair<double, double> fit_range(const KernelFitSpec& spec, const DeviceProfile& d) {
  if (!spec.attention) return {0.005, 1.0};
  const AttentionKernelModel& m = d.*spec.attention;
  return {0.02, 1 / std::max(m.full.eff_max, m.causal.eff_max)};
}

std::string describe_fit(const KernelFitSpec& spec, const DeviceProfile& d, double x) {
  if (!spec.attention) return fmt::format("{:.4f} of peak", x);
  const AttentionKernelModel& m = d.*spec.attention;
  return fmt::format("factor {:.4f}: eff_max full {:.4f}, causal {:.4f} (L½ kept)", x, m.full.eff_max * x,
                     m.causal.eff_max * x);
}

void fit_kernels(const std::vector<const MeasuredPoint*>& points, const CalibrationBase& base, DeviceProfile& device,
                 std::vector<FitReport>& reports) {
  const LinkModel links(base.links);
  for (const KernelFitSpec& spec : kKernelFits) {
    std::vector<const MeasuredPoint*> mine;
    for (const MeasuredPoint* p : points)
      if (p->kind == spec.kind) mine.push_back(p);
    if (mine.empty()) continue;
    auto errors = [&](const DeviceProfile& d) {
      const ModelContext ctx{base.topology, links, "analytical", d};
      std::vector<double> e;
      for (const MeasuredPoint* p : mine) e.push_back((predict_point(*p, ctx).seconds - p->measured_s) / p->measured_s);
      return e;
    };
    auto cost = [&](double s) {
      DeviceProfile d = device;
      apply_fit(spec, d, s);
      double sum = 0;
      for (double r : errors(d)) sum += r * r;
      return sum;
    };
    const auto [lo, hi] = fit_range(spec, device);
    const double s = minimize_1d(cost, lo, hi);
    std::vector<double> before, after;
    for (double r : errors(device)) before.push_back(std::abs(r));
    const std::string value = describe_fit(spec, device, s);
    apply_fit(spec, device, s);
    for (double r : errors(device)) after.push_back(std::abs(r));
    reports.push_back(make_report(make_fit(spec.name, value, after), before));
  }
}

// ---- compute slowdown under communication ---------------------------------

bool is_comm(KernelClass k) {
  return k == KernelClass::kCollective || k == KernelClass::kPointToPoint || k == KernelClass::kCommunication;
}
bool is_compute(KernelClass k) {
  return k == KernelClass::kAttentionFwd || k == KernelClass::kAttentionBwd || k == KernelClass::kGemm ||
         k == KernelClass::kOther;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Returns whether the data fitted it.
bool fit_slowdown(const std::vector<const KinetoTrace*>& traces, DeviceProfile& device, std::vector<FitReport>& reports,
                  std::vector<std::string>& not_fitted) {
  constexpr std::size_t kMinEach = 3;
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> by_name;  // alone, overlapped (µs)
  for (const KinetoTrace* t : traces) {
    std::map<std::int64_t, std::vector<std::pair<double, double>>> comm;  // device -> merged intervals
    for (const auto& k : t->kernels)
      if (is_comm(k.kind)) comm[k.device].emplace_back(k.start_us, k.start_us + k.duration_us);
    for (auto& [dev, iv] : comm) {
      std::sort(iv.begin(), iv.end());
      std::vector<std::pair<double, double>> merged;
      for (const auto& x : iv)
        if (!merged.empty() && x.first <= merged.back().second) merged.back().second = std::max(merged.back().second, x.second);
        else merged.push_back(x);
      iv = std::move(merged);
    }
    for (const auto& k : t->kernels) {
      if (!is_compute(k.kind) || k.duration_us <= 0) continue;
      double covered = 0;
      const auto it = comm.find(k.device);
      if (it != comm.end()) {
        const auto& iv = it->second;
        auto j = std::lower_bound(iv.begin(), iv.end(), std::make_pair(k.start_us, k.start_us),
                                  [](const auto& a, const auto& b) { return a.second < b.first; });
        for (; j != iv.end() && j->first < k.start_us + k.duration_us; ++j)
          covered += std::max(0.0, std::min(j->second, k.start_us + k.duration_us) - std::max(j->first, k.start_us));
      }
      auto& [alone, over] = by_name[k.name];
      if (covered == 0) alone.push_back(k.duration_us);
      else if (covered > 0.5 * k.duration_us) over.push_back(k.duration_us);
    }
  }
  std::vector<double> ratios;
  std::vector<std::pair<double, std::vector<double>>> used;  // median alone, overlapped durations
  for (const auto& [name, d] : by_name)
    if (d.first.size() >= kMinEach && d.second.size() >= kMinEach) {
      const double alone = median_of(d.first);
      ratios.push_back(median_of(d.second) / alone);
      used.emplace_back(alone, d.second);
    }
  if (ratios.empty()) {
    not_fitted.push_back(fmt::format(
        "compute slowdown under communication: no kernel name runs at least {} times both alone and overlapped by a "
        "communication kernel (kept at {})",
        kMinEach, device.comm_compute_slowdown));
    return false;
  }
  const double raw = median_of(ratios);
  const double slowdown = std::max(1.0, raw);
  std::vector<double> before, after;
  for (const auto& [alone, over] : used)
    for (double d : over) {
      before.push_back(relative_error(alone * device.comm_compute_slowdown, d));
      after.push_back(relative_error(alone * slowdown, d));
    }
  std::string value = fmt::format("{:.4f} (median over {} kernel names of overlapped / alone median durations)", slowdown,
                                  ratios.size());
  if (raw < 1) value += fmt::format(" (measured {:.4f} < 1: kept at 1)", raw);
  device.comm_compute_slowdown = slowdown;
  reports.push_back(make_report(make_fit("compute slowdown while communication runs", value, after), before));
  return true;
}

// launch_s from the traces' kernel launch API calls (KinetoTrace::launch_us):
// their median, the host's cost of one launch, which is what launch_s stands
// for (device_profile.h). The traces have launches.
void fit_launch(const std::vector<const KinetoTrace*>& traces, double fraction, DeviceProfile& device,
                std::vector<FitReport>& reports) {
  std::vector<double> us;  // the leading fraction of each trace's launches, as for every group
  for (const KinetoTrace* t : traces)
    us.insert(us.end(), t->launch_us.begin(),
              t->launch_us.begin() + static_cast<std::ptrdiff_t>(fitted_count(t->launch_us.size(), fraction)));
  if (us.empty()) return;
  const double launch_s = median_of(us) * 1e-6;
  std::vector<double> before, after;
  for (double d : us) {
    before.push_back(relative_error(device.launch_s, d * 1e-6));
    after.push_back(relative_error(launch_s, d * 1e-6));
  }
  device.launch_s = launch_s;
  reports.push_back(make_report(
      make_fit("launch overhead",
               fmt::format("{:.3f} µs (median of {} kernel launch calls' host durations)", launch_s * 1e6, us.size()),
               after),
      before));
}

}  // namespace

std::size_t fitted_count(std::size_t size, double fraction) {
  return std::min(size, static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(size) - 1e-9)));
}

bool point_was_fitted(const MeasuredPoint& p, std::size_t group_size, const CalibrationProfile& profile) {
  const CalibrationInput* in = profile.input(p.file);
  if (!in || std::find(in->groups.begin(), in->groups.end(), p.group) == in->groups.end()) return false;
  return p.index < fitted_count(group_size, in->fraction);
}

ErrorStats error_stats(std::vector<double> e) {
  ErrorStats s;
  s.n = e.size();
  if (e.empty()) return s;
  std::sort(e.begin(), e.end());
  s.median = median_of(e);
  s.p90 = e[static_cast<std::size_t>(std::ceil(0.9 * static_cast<double>(e.size()))) - 1];
  s.max = e.back();
  return s;
}

CalibrationOutcome calibrate(const std::vector<PointSet>& sets, const CalibrationBase& base,
                             const CalibrateOptions& options) {
  if (!(options.fraction > 0 && options.fraction <= 1)) throw InputError("--fit-fraction", "a fraction in (0, 1]");
  std::set<std::string> present;
  for (const auto& set : sets) {
    for (const auto& p : set.points) present.insert(p.group);
    if (set.trace) present.insert("overlap");
    if (set.trace && !set.trace->launch_us.empty()) present.insert("launch");
  }
  for (const auto& g : options.groups)
    if (!present.count(g)) {
      std::string have;
      for (const auto& x : present) have += (have.empty() ? "" : ", ") + x;
      throw InputError("--fit", fmt::format("group '{}' is in none of the inputs; they have: {}", g, have));
    }
  auto selected = [&](const std::string& g) {
    return options.groups.empty() || std::find(options.groups.begin(), options.groups.end(), g) != options.groups.end();
  };

  CalibrationOutcome out;
  CalibrationProfile& prof = out.profile;
  prof.device_type = base.device_type;
  std::vector<const MeasuredPoint*> comm, kernels;
  std::vector<const KinetoTrace*> traces, launch_traces;
  std::size_t profiler_comm = 0;
  for (const auto& set : sets) {
    const auto sizes = group_sizes(set);
    CalibrationInput in;
    in.file = set.file;
    in.fraction = options.fraction;
    std::set<std::string> groups;
    for (const auto& p : set.points) {
      if (!selected(p.group) || p.index >= fitted_count(sizes.at({p.file, p.group}), options.fraction)) continue;
      if (set.comm_includes_waiting && p.kind == PointKind::kCommunication) {
        ++profiler_comm;  // fitted only when asked for by name (see the header)
        if (options.groups.empty()) continue;
      }
      groups.insert(p.group);
      ++in.points;
      (p.kind == PointKind::kCommunication ? comm : kernels).push_back(&p);
    }
    if (set.trace && selected("overlap")) {
      traces.push_back(set.trace);
      groups.insert("overlap");
    }
    if (set.trace && !set.trace->launch_us.empty() && selected("launch")) {
      launch_traces.push_back(set.trace);
      groups.insert("launch");
      in.points += fitted_count(set.trace->launch_us.size(), options.fraction);  // launch calls fitted
    }
    in.groups.assign(groups.begin(), groups.end());
    if (prof.input(in.file))
      throw InputError(set.file, "given twice (inputs are told apart by their file names)");
    if (!in.groups.empty()) prof.inputs.push_back(std::move(in));
  }
  if (profiler_comm > 0 && !options.groups.empty())
    prof.not_fitted.push_back(fmt::format(
        "caution: the links were fitted to {} communication ops of profiler traces or replays, as --fit asked; a rank's "
        "op lasts until its peers arrive, so what was fitted is waiting plus transfer",
        profiler_comm));
  else if (profiler_comm > 0)
    prof.not_fitted.push_back(fmt::format(
        "links from {} communication ops of profiler traces or replays: a rank's op lasts until its peers arrive, so its "
        "duration is waiting plus transfer (links are fitted from nccl-tests; name the group in --fit to fit them "
        "anyway; compare predicts them)",
        profiler_comm));
  if (comm.empty() && kernels.empty() && traces.empty() && launch_traces.empty())
    throw InputError("calibrate", "nothing to fit: the inputs have no predictable points in the selected groups");

  prof.links = base.links;
  if (!comm.empty()) fit_links(comm, base, options, prof.links, out.reports, prof.not_fitted);
  DeviceProfile device = base.device;
  if (!kernels.empty()) fit_kernels(kernels, base, device, out.reports);
  if (!traces.empty()) {
    if (!fit_slowdown(traces, device, out.reports, prof.not_fitted)) {
      // "overlap" fitted nothing: the inputs do not name it.
      for (auto& in : prof.inputs) std::erase(in.groups, std::string("overlap"));
      std::erase_if(prof.inputs, [](const CalibrationInput& in) { return in.groups.empty(); });
    }
  }
  if (!launch_traces.empty()) fit_launch(launch_traces, options.fraction, device, out.reports);
  else if (!traces.empty())
    prof.not_fitted.push_back(fmt::format(
        "launch overhead: the traces record no kernel launch calls (kept at {:.2f} µs)", device.launch_s * 1e6));
  if (!kernels.empty() || !traces.empty() || !launch_traces.empty()) prof.device = device;
  for (const auto& r : out.reports) prof.fits.push_back(r.after);
  return out;
}

}  // namespace spsim
