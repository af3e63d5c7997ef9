// α-β links: defaults from hardware.md (NCCL's models), paths, calibration.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "costmodel/link_model.h"
#include "program/input_error.h"

namespace spsim {
namespace {

Link make_link(LinkKind kind, double bw, double latency) {
  Link l;
  l.kind = kind;
  l.bandwidth_bytes_per_s = bw;
  l.latency_s = latency;
  return l;
}

TEST_CASE("one link: class overhead + latency, line rate times class efficiency") {
  const LinkModel m;
  // NVLink3 link, 25 GB/s line rate: NCCL models it as 20 GB/s (hardware.md);
  // α = NCCL's 3.4 µs per-hop (Simple) + the link's 0.5 µs.
  const AlphaBeta nv = m.link(make_link(LinkKind::kNvlink, 25e9, 0.5e-6));
  CHECK(nv.alpha_s == doctest::Approx(3.9e-6));
  CHECK(nv.beta_bytes_per_s == doctest::Approx(20e9));
  // 1 MB over it: 3.9 µs + 1e6 / 20e9 s = 53.9 µs.
  CHECK(nv.seconds(1e6) == doctest::Approx(53.9e-6));
  // PCIe Gen4 x16, 31.5 GB/s: NCCL's 24 GB/s.
  CHECK(m.link(make_link(LinkKind::kPcie, 31.5e9, 0)).beta_bytes_per_s == doctest::Approx(24e9));
  // Ascend 910B HCCS, 28 GB/s per direction: ≈21 GB/s measured in all-gather.
  CHECK(m.link(make_link(LinkKind::kHccs, 28e9, 0)).beta_bytes_per_s == doctest::Approx(21e9));
  // NDR InfiniBand, 50 GB/s: ≈47 GB/s measured.
  CHECK(m.link(make_link(LinkKind::kNetwork, 50e9, 0)).beta_bytes_per_s == doctest::Approx(47e9));
}

TEST_CASE("a path: slowest class's overhead + summed latencies, narrowest bandwidth") {
  const LinkModel m;
  // GPU -NVLink-> switch -network-> switch -NVLink-> GPU:
  // α = max(3.4, 14, 3.4) µs + (1 + 2 + 1) µs = 18 µs; β = min(20, 47, 20) GB/s.
  const Link a = make_link(LinkKind::kNvlink, 25e9, 1e-6), b = make_link(LinkKind::kNetwork, 50e9, 2e-6),
             c = make_link(LinkKind::kNvlink, 25e9, 1e-6);
  const std::vector<const Link*> path = {&a, &b, &c};
  const AlphaBeta ab = m.path(path);
  CHECK(ab.alpha_s == doctest::Approx(18e-6));
  CHECK(ab.beta_bytes_per_s == doctest::Approx(20e9));
  // A device to itself: nothing to pay.
  const AlphaBeta self = m.path({});
  CHECK(self.alpha_s == 0);
  CHECK(std::isinf(self.beta_bytes_per_s));
  CHECK(self.seconds(1e9) == 0);
}

TEST_CASE("calibration overrides one class and keeps the others") {
  LinkCalibration cal;
  cal[LinkKind::kNvlink].message_overhead_s = 1e-6;
  cal[LinkKind::kNvlink].bandwidth_efficiency = 0.9;
  const LinkModel m(cal);
  const AlphaBeta nv = m.link(make_link(LinkKind::kNvlink, 25e9, 0));
  CHECK(nv.alpha_s == doctest::Approx(1e-6));
  CHECK(nv.beta_bytes_per_s == doctest::Approx(22.5e9));
  CHECK(m.params(LinkKind::kPcie).message_overhead_s == default_link_class_params(LinkKind::kPcie).message_overhead_s);

  LinkCalibration bad;
  bad[LinkKind::kPcie].bandwidth_efficiency = 1.5;
  CHECK_THROWS_AS(LinkModel{bad}, InputError);
  LinkCalibration negative;
  negative[LinkKind::kNetwork].message_overhead_s = -1e-6;
  CHECK_THROWS_AS(LinkModel{negative}, InputError);
}

}  // namespace
}  // namespace spsim

namespace spsim {
namespace {

// The largest message's out-of-place busbw (GB/s) of the sendrecv test in a
// real nccl-tests output (../shared/reference/data/nccl-tests/): the rows
// after "sendrecv_perf" starts, columns size count type redop root time algbw busbw.
double sendrecv_busbw_of_largest(const std::string& file) {
  std::ifstream in(std::string(SPSIM_SOURCE_DIR) + "/../shared/reference/data/nccl-tests/" + file);
  REQUIRE(in);
  std::string line;
  bool in_sendrecv = false;
  double best_size = -1, busbw = 0;
  while (std::getline(in, line)) {
    if (line.find("Collective test starting") != std::string::npos)
      in_sendrecv = line.find("sendrecv_perf") != std::string::npos;
    if (!in_sendrecv || line.empty() || line[0] == '#') continue;
    std::istringstream row(line);
    double size = 0, count = 0, root = 0, time = 0, algbw = 0, bus = 0;
    std::string type, redop;
    if (!(row >> size >> count >> type >> redop >> root >> time >> algbw >> bus)) continue;

    if (size > best_size) {
      best_size = size;
      busbw = bus;
    }
  }
  REQUIRE(best_size > 0);
  return busbw;
}

TEST_CASE("link presets: the point-to-point efficiencies are the measured sendrecv rates") {
  // NVLink4 (H100): 450 GB/s per direction; the 8-GPU node's sendrecv at its
  // largest size (16 GiB) reaches 367.25 GB/s busbw.
  const double nvlink = sendrecv_busbw_of_largest("h100_1node8gpu_5collectives_xxrjun_N1_G8.txt");
  CHECK(nvlink == doctest::Approx(367.25));
  CHECK(default_link_class_params(LinkKind::kNvlink).p2p_efficiency == doctest::Approx(nvlink / 450.0));
  // NDR 400 Gb/s = 50 GB/s per NIC; the 2-node pairwise sendrecv reaches 45.87.
  const double ndr = sendrecv_busbw_of_largest("h100_2node16gpu_alltoall_sendrecv_xxrjun_pairwise_N2_G8.txt");
  CHECK(ndr == doctest::Approx(45.87));
  CHECK(default_link_class_params(LinkKind::kNetwork).p2p_efficiency == doctest::Approx(ndr / 50.0));
}

}  // namespace
}  // namespace spsim
