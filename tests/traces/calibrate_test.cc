// The calibration fits recover parameters they are given: points made by the
// model itself with known parameters (α, efficiency, gemm efficiency) are
// fitted back to those parameters; the statistics and the profile file
// against hand-derived values.

#include "traces/calibrate.h"

#include <doctest/doctest.h>

#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "program/input_error.h"
#include "topology/cluster.h"

namespace spsim {
namespace {

MeasuredPoint comm_point(std::string group, std::size_t index, std::optional<CollectiveKind> kind, double bytes) {
  MeasuredPoint p;
  p.file = "synthetic.txt";
  p.group = std::move(group);
  p.index = index;
  p.label = p.group;
  p.kind = PointKind::kCommunication;
  p.comm = CommShape{kind, !kind, 8, bytes};
  return p;
}

// Points the model makes on h100-sxm8 with the links `truth`: for each group
// (name, collective; nullopt: send/recv), messages of 64 KiB .. 1 GiB by 4x.
PointSet synthetic_points(const LinkCalibration& truth,
                          const std::vector<std::pair<std::string, std::optional<CollectiveKind>>>& groups) {
  const Topology topo = make_preset_topology("h100-sxm8", 1);
  const LinkModel truth_links(truth);
  const ModelContext truth_ctx{topo, truth_links, "flow", device_profile_preset("h100-sxm5")};
  PointSet set;
  set.file = "synthetic.txt";
  std::vector<std::size_t> next(groups.size(), 0);
  for (double bytes = 1 << 16; bytes <= double(1 << 30); bytes *= 4)
    for (std::size_t g = 0; g < groups.size(); ++g) {
      MeasuredPoint p = comm_point(groups[g].first, next[g]++, groups[g].second, bytes);
      p.measured_s = predict_point(p, truth_ctx).seconds;
      set.points.push_back(p);
    }
  return set;
}

TEST_CASE("calibrate: link α and efficiency are recovered from points the model made with them") {
  const Topology topo = make_preset_topology("h100-sxm8", 1);
  // The "measurement": NVLink collectives with α = 7 µs per step and 70% of
  // the line rate, p2p with α = 12 µs and 80%.
  LinkCalibration truth;
  truth[LinkKind::kNvlink].message_overhead_s = 7e-6;
  truth[LinkKind::kNvlink].bandwidth_efficiency = 0.7;
  truth[LinkKind::kNvlink].p2p_overhead_s = 12e-6;
  truth[LinkKind::kNvlink].p2p_efficiency = 0.8;
  // All-gather: a ring on the NVSwitch, so α and the efficiency both enter
  // (all-reduce there runs as NVLS, whose latency is fixed: below).
  const PointSet set = synthetic_points(truth, {{"all_gather", CollectiveKind::kAllGather}, {"sendrecv", std::nullopt}});
  const DeviceProfile& device = device_profile_preset("h100-sxm5");
  const CalibrationBase base{topo, {}, device, "h100-sxm5"};
  const CalibrationOutcome out = calibrate({set}, base, CalibrateOptions{});
  const LinkClassOverride& nv = out.profile.links[LinkKind::kNvlink];
  REQUIRE(nv.message_overhead_s);
  CHECK(*nv.message_overhead_s == doctest::Approx(7e-6).epsilon(1e-6));
  CHECK(*nv.bandwidth_efficiency == doctest::Approx(0.7).epsilon(1e-6));
  CHECK(*nv.p2p_overhead_s == doctest::Approx(12e-6).epsilon(1e-6));
  CHECK(*nv.p2p_efficiency == doctest::Approx(0.8).epsilon(1e-6));
  REQUIRE(out.reports.size() == 2);
  for (const auto& r : out.reports) CHECK(r.after.max_rel_error < 1e-9);
  CHECK_FALSE(out.profile.device);  // no kernels: the device is not part of the profile
}

TEST_CASE("calibrate: NVLS all-reduce points give the NVLink efficiency and leave α unfitted") {
  // On h100-sxm8 all-reduce runs as NVLS (costmodel/nvls.h): 25 µs + 9/8 B
  // at 0.85 of the NVLink collective rate. Points made with efficiency 0.7
  // give back 0.7; no point depends on the class's α, so it is not fitted.
  const Topology topo = make_preset_topology("h100-sxm8", 1);
  LinkCalibration truth;
  truth[LinkKind::kNvlink].bandwidth_efficiency = 0.7;
  const PointSet set = synthetic_points(truth, {{"all_reduce", CollectiveKind::kAllReduce}});
  const DeviceProfile& dev = device_profile_preset("h100-sxm5");
  const CalibrationBase base{topo, {}, dev, "h100-sxm5"};
  const CalibrationOutcome out = calibrate({set}, base, CalibrateOptions{});
  const LinkClassOverride& nv = out.profile.links[LinkKind::kNvlink];
  CHECK_FALSE(nv.message_overhead_s);
  REQUIRE(nv.bandwidth_efficiency);
  CHECK(*nv.bandwidth_efficiency == doctest::Approx(0.7).epsilon(1e-6));
  REQUIRE(out.reports.size() == 1);
  CHECK(out.reports[0].after.max_rel_error < 1e-9);
  CHECK(out.reports[0].after.value.find("α not fitted") != std::string::npos);
}

TEST_CASE("calibrate: gemm efficiency is recovered; the fraction keeps the rest out of sample") {
  const Topology topo = make_preset_topology("h100-sxm8", 1);
  DeviceProfile truth = device_profile_preset("h100-sxm5");
  truth.gemm_efficiency = 0.55;
  const LinkModel links;
  const ModelContext ctx{topo, links, "analytical", truth};
  PointSet set;
  set.file = "k.json";
  for (std::size_t i = 0; i < 6; ++i) {
    MeasuredPoint p;
    p.file = "k.json";
    p.group = "gemm";
    p.index = i;
    p.kind = PointKind::kGemm;
    GemmShape s;
    s.m = 1024 << (i % 3);
    s.n = 4096;
    s.k = 2048;
    p.gemm = s;
    p.measured_s = predict_point(p, ctx).seconds;
    set.points.push_back(p);
  }
  const CalibrationBase base{topo, {}, device_profile_preset("h100-sxm5"), "h100-sxm5"};
  CalibrateOptions opt;
  opt.fraction = 0.5;  // ceil(0.5 x 6) = 3 points fitted
  const CalibrationOutcome out = calibrate({set}, base, opt);
  REQUIRE(out.profile.device);
  CHECK(out.profile.device->gemm_efficiency == doctest::Approx(0.55).epsilon(1e-6));
  REQUIRE(out.profile.inputs.size() == 1);
  CHECK(out.profile.inputs[0].points == 3);
  CHECK(point_was_fitted(set.points[2], 6, out.profile));
  CHECK_FALSE(point_was_fitted(set.points[3], 6, out.profile));
}

TEST_CASE("calibrate: statistics and counts by hand") {
  // |errors| 0.01 .. 0.10: median (0.05 + 0.06)/2, P90 the 9th of 10, max 0.10.
  std::vector<double> e;
  for (int i = 10; i >= 1; --i) e.push_back(i / 100.0);
  const ErrorStats s = error_stats(e);
  CHECK(s.n == 10);
  CHECK(s.median == doctest::Approx(0.055));
  CHECK(s.p90 == doctest::Approx(0.09));
  CHECK(s.max == doctest::Approx(0.10));
  CHECK(fitted_count(34, 0.5) == 17);
  CHECK(fitted_count(5, 0.5) == 3);
  CHECK(fitted_count(5, 1.0) == 5);
}

TEST_CASE("calibrate: a group that is in no input is refused naming --fit") {
  const Topology topo = make_preset_topology("h100-sxm8", 1);
  PointSet set;
  set.file = "x.txt";
  MeasuredPoint p = comm_point("all_reduce", 0, CollectiveKind::kAllReduce, 1 << 20);
  p.measured_s = 1e-4;
  set.points.push_back(p);
  const CalibrationBase base{topo, {}, device_profile_preset("h100-sxm5"), "h100-sxm5"};
  CalibrateOptions opt;
  opt.groups = {"all_gather"};
  CHECK_THROWS_WITH_AS(calibrate({set}, base, opt), doctest::Contains("--fit: group 'all_gather' is in none"), InputError);
}

TEST_CASE("calibration profile: what is written is read back the same") {
  CalibrationProfile p;
  p.device_type = "h100-sxm5";
  p.device = device_profile_preset("h100-sxm5");
  p.device->gemm_efficiency = 0.61;
  p.links[LinkKind::kNetwork].p2p_efficiency = 0.9;
  p.topology = "h100-sxm8";
  p.created = "2026-12-01";
  p.spsim_version = "0.1.0";
  p.inputs.push_back({"a.txt", {"all_reduce"}, 0.5, 10});
  p.fits.push_back({"q", "v", 10, 0.01, 0.02, 0.03});
  p.not_fitted.push_back("launch overhead");
  std::ostringstream once, twice;
  save_calibration_profile(p, once);
  const CalibrationProfile back = parse_calibration_profile(once.str(), "p.json");
  save_calibration_profile(back, twice);
  CHECK(once.str() == twice.str());
  CHECK(back.device == p.device);
  CHECK(*back.links[LinkKind::kNetwork].p2p_efficiency == 0.9);
  CHECK(back.input("a.txt")->fraction == 0.5);
  std::string bad = once.str();
  bad.replace(bad.find("\"spsim_calibration\": 1"), 22, "\"spsim_calibration\": 2");
  CHECK_THROWS_WITH_AS(parse_calibration_profile(bad, "p.json"), doctest::Contains("p.json: key 'spsim_calibration'"),
                       InputError);
}

}  // namespace
}  // namespace spsim
