#include "costmodel/link_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "program/input_error.h"

namespace spsim {

LinkClassParams default_link_class_params(LinkKind kind) {
  // Sources: ../shared/reference/hardware.md, which quotes NVIDIA/nccl
  // src/graph/tuning.cc (per-hop latency, Simple protocol — what the large
  // messages of SP use) and src/graph/topo.h (effective bandwidths), and the
  // measured nccl-tests outputs of ../shared/reference/data/nccl-tests/.
  // Fields: collective overhead, collective efficiency, p2p overhead, p2p
  // efficiency, duplex factor.
  switch (kind) {
    case LinkKind::kNvlink:
      // 3.4 µs: NCCL's per-hop NVLink latency (Simple); measured NCCL send/recv
      // small-message latency is ≈3–4 µs on H100/H800 (p2p: the same).
      // Collectives 0.8: NCCL models a 25 GB/s NVLink2/3 link as 20 GB/s
      // (NVLink4 20.6/25, NVLink5 40.1/50); measured, all_gather on 8 x H100
      // (h100_1node8gpu_5collectives_xxrjun_N1_G8.txt) reaches busbw 362–366 of
      // 450 GB/s (0.80–0.81) at 2–16 GiB.
      // P2P 0.816, measured: sendrecv in the same file, every GPU sending and
      // receiving at once, 367.25 GB/s of 450 at 16 GiB.
      // Duplex 1: H100 p2pBandwidthLatencyTest both ways 783 GB/s, one way
      // 371–377 (hardware.md; NVIDIA/nccl #1264): both directions at full rate.
      return {3.4e-6, 0.8, 3.4e-6, 367.25 / 450.0, 1.0};
    case LinkKind::kHccs:
      // (?) No Ascend per-message figure: NVLink's 3.4 µs assumed.
      // 0.75: 910B 8-card all-gather ≈21 GB/s per 28 GB/s link (single
      // device-to-device write reaches 19.0–19.4, 0.69: taken for p2p).
      // (?) Duplex: no measurement, 1.
      return {3.4e-6, 0.75, 3.4e-6, 19.2 / 28.0, 1.0};
    case LinkKind::kPcie:
      // 5.7 µs: NCCL's per-hop PCIe latency (Simple), for both kinds. (Cross-
      // check: an 8-GPU ring all-reduce would cost 14 steps x 5.7 µs, ~2x the
      // ≈40 µs measured for a small PCIe collective, which NCCL runs with LL.)
      // 24/31.5: NCCL models x16 Gen4 as 24 of 31.5 GB/s (Gen3 12/15.75 and
      // Gen5 48/63: the same ratio); (?) p2p through a switch taken the same
      // (no measurement here; through a root complex see RootComplexParams).
      // Duplex 0.86 (?): RTX 4090 Gen4 x16 peer traffic both ways measures
      // 41.4 GB/s in all, 20.7 per direction (tinygrad/open-gpu-kernel-modules
      // #6, p2pBandwidthLatencyTest), against NCCL's one-way 24.
      return {5.7e-6, 24.0 / 31.5, 5.7e-6, 24.0 / 31.5, 20.7 / 24.0};
    case LinkKind::kCpuInterconnect:
      // (?) Crossing sockets is PCIe peer traffic through the root complexes:
      // PCIe's overhead. hardware.md's CPU-link bandwidths (UPI 10, SPR 22,
      // AMD 16 GB/s) are already NCCL's effective values: efficiency 1, for
      // both kinds. (?) Duplex: no measurement, 1.
      return {5.7e-6, 1.0, 5.7e-6, 1.0, 1.0};
    case LinkKind::kNetwork:
      // 14 µs: NCCL's per-hop network latency (Simple); 2-node small
      // collectives measure ≈30–50 µs. Collectives 0.94: NDR 400 Gb/s (50 GB/s)
      // measures ≈46–48 GB/s per NIC. P2P 0.917, measured: pairwise sendrecv
      // between 2 nodes of 8 x H100, one NDR NIC per GPU
      // (h100_2node16gpu_alltoall_sendrecv_xxrjun_pairwise_N2_G8.txt), 45.87
      // GB/s at 4–16 GiB, sending and receiving at once: duplex 1.
      return {14e-6, 47.0 / 50.0, 14e-6, 45.87 / 50.0, 1.0};
    case LinkKind::kHostMemory:
      // 18 µs: a host-staged copy costs ≈12–24 µs (midpoint). (?) Efficiency 1:
      // the staged path's bandwidth is set by its PCIe hops. (?) Duplex 1.
      return {18e-6, 1.0, 18e-6, 1.0, 1.0};
  }
  return {};
}

std::string_view link_class_p2p_source(LinkKind kind) {
  switch (kind) {
    case LinkKind::kNvlink: return "measured: 8 x H100 nccl-tests sendrecv (shared data); duplex: p2pBandwidthLatencyTest";
    case LinkKind::kHccs: return "measured: 910B single device-to-device write (hardware.md); duplex assumed";
    case LinkKind::kPcie: return "NCCL's model (no p2p measurement); duplex from RTX 4090 p2pBandwidthLatencyTest (?)";
    case LinkKind::kCpuInterconnect: return "NCCL's CPU-link model; duplex assumed";
    case LinkKind::kNetwork: return "measured: 2 x 8 H100 NDR nccl-tests sendrecv (shared data)";
    case LinkKind::kHostMemory: return "measured host-staged copy rates set the links; efficiency and duplex assumed";
  }
  return "?";
}

RootComplexParams default_root_complex_params() {
  // 10 GB/s: p2pBandwidthLatencyTest P2P writes between PCIe Gen4 GPUs whose
  // path crosses the CPU measure 9.6–10.2 GB/s, where host-staged copies reach
  // 20–22 (NVIDIA/nccl #814). The measured A100-PCIe file of
  // ../shared/reference/data/nccl-tests/ agrees: its GPU-NIC path goes through
  // the host bridge (NCCL log "type LOC/PHB", modelled at 24 GB/s) and sendrecv
  // reaches 9.3–14.3 GB/s. (?) Latency: the route's links carry theirs; no
  // separate measurement of a crossing.
  return {0.0, 10e9};
}

namespace {

bool is_overhead(double v) { return v >= 0 && std::isfinite(v); }
bool is_fraction(double v) { return v > 0 && v <= 1; }
bool is_rate(double v) { return v > 0 && std::isfinite(v); }

// `into` = *v when v is set; InputError("link calibration", what + where)
// when it is set but not `valid`.
void take(const std::optional<double>& v, double& into, bool (*valid)(double), const char* what,
          const std::string& where) {
  if (!v) return;
  if (!valid(*v)) throw InputError("link calibration", what + where);
  into = *v;
}

}  // namespace

LinkModel::LinkModel(const LinkCalibration& calibration) {
  for (std::size_t i = 0; i < kNumLinkClasses; ++i) {
    LinkClassParams p = default_link_class_params(static_cast<LinkKind>(i));
    const LinkClassOverride& o = calibration.per_class[i];
    const std::string cls = " for link class " + std::string(link_kind_name(static_cast<LinkKind>(i)));
    take(o.message_overhead_s, p.message_overhead_s, is_overhead, "a message overhead >= 0 s", cls);
    take(o.p2p_overhead_s, p.p2p_overhead_s, is_overhead, "a point-to-point overhead >= 0 s", cls);
    take(o.bandwidth_efficiency, p.bandwidth_efficiency, is_fraction, "a bandwidth efficiency in (0, 1]", cls);
    take(o.p2p_efficiency, p.p2p_efficiency, is_fraction, "a point-to-point efficiency in (0, 1]", cls);
    take(o.duplex_factor, p.duplex_factor, is_fraction, "a duplex factor in (0, 1]", cls);
    params_[i] = p;
  }
  root_complex_ = default_root_complex_params();
  const RootComplexOverride& rc = calibration.root_complex;
  take(rc.latency_s, root_complex_.latency_s, is_overhead, "a root-complex latency >= 0 s", "");
  take(rc.bandwidth_bytes_per_s, root_complex_.bandwidth_bytes_per_s, is_rate, "a root-complex bandwidth > 0 bytes/s",
       "");
}

AlphaBeta LinkModel::link(const Link& l, Traffic t) const {
  const LinkClassParams& p = params(l.kind);
  return {p.overhead_s(t) + l.latency_s, l.bandwidth_bytes_per_s * p.efficiency(t)};
}

AlphaBeta LinkModel::path(std::span<const Link* const> links, Traffic t) const {
  AlphaBeta ab{0, std::numeric_limits<double>::infinity()};
  double overhead = 0;
  for (const Link* l : links) {
    const LinkClassParams& p = params(l->kind);
    overhead = std::max(overhead, p.overhead_s(t));
    ab.alpha_s += l->latency_s;
    ab.beta_bytes_per_s = std::min(ab.beta_bytes_per_s, l->bandwidth_bytes_per_s * p.efficiency(t));
  }
  ab.alpha_s += overhead;
  return ab;
}

}  // namespace spsim
