#include "costmodel/link_model.h"

#include <algorithm>
#include <limits>
#include <string>

#include "program/input_error.h"

namespace spsim {

LinkClassParams default_link_class_params(LinkKind kind) {
  // Sources: ../shared/reference/hardware.md, which quotes NVIDIA/nccl
  // src/graph/tuning.cc (per-hop latency, Simple protocol — what the large
  // messages of SP use) and src/graph/topo.h (effective bandwidths).
  switch (kind) {
    case LinkKind::kNvlink:
      // 3.4 µs: NCCL's per-hop NVLink latency (Simple); measured NCCL send/recv
      // small-message latency is ≈3–4 µs on H100/H800.
      // 0.8: NCCL models a 25 GB/s NVLink2/3 link as 20 GB/s (NVLink4 20.6/25,
      // NVLink5 40.1/50); H100 P2P measures 371–377 of 450 GB/s one way (0.83).
      return {3.4e-6, 0.8};
    case LinkKind::kHccs:
      // (?) No Ascend per-message figure: NVLink's 3.4 µs assumed.
      // 0.75: 910B 8-card all-gather ≈21 GB/s per 28 GB/s link (single
      // device-to-device write reaches 19.0–19.4, 0.69).
      return {3.4e-6, 0.75};
    case LinkKind::kPcie:
      // 5.7 µs: NCCL's per-hop PCIe latency (Simple). (Cross-check: an 8-GPU
      // ring all-reduce would cost 14 steps x 5.7 µs, ~2x the ≈40 µs measured
      // for a small PCIe collective, which NCCL runs with its LL protocol.)
      // 24/31.5: NCCL models x16 Gen4 as 24 of 31.5 GB/s (Gen3 12/15.75 and
      // Gen5 48/63: the same ratio).
      return {5.7e-6, 24.0 / 31.5};
    case LinkKind::kCpuInterconnect:
      // (?) Crossing sockets is PCIe peer traffic through the root complexes:
      // PCIe's overhead. hardware.md's CPU-link bandwidths (UPI 10, SPR 22,
      // AMD 16 GB/s) are already NCCL's effective values: efficiency 1.
      return {5.7e-6, 1.0};
    case LinkKind::kNetwork:
      // 14 µs: NCCL's per-hop network latency (Simple); 2-node small
      // collectives measure ≈30–50 µs. 0.94: NDR 400 Gb/s (50 GB/s) measures
      // ≈46–48 GB/s per NIC.
      return {14e-6, 47.0 / 50.0};
    case LinkKind::kHostMemory:
      // 18 µs: a host-staged copy costs ≈12–24 µs (midpoint). (?) Efficiency 1:
      // the staged path's bandwidth is set by its PCIe hops.
      return {18e-6, 1.0};
  }
  return {};
}

LinkModel::LinkModel(const LinkCalibration& calibration) {
  for (std::size_t i = 0; i < kNumLinkClasses; ++i) {
    LinkClassParams p = default_link_class_params(static_cast<LinkKind>(i));
    const LinkClassOverride& o = calibration.per_class[i];
    if (o.message_overhead_s) {
      if (!(*o.message_overhead_s >= 0))
        throw InputError("link calibration", "a message overhead >= 0 s for link class " + std::to_string(i));
      p.message_overhead_s = *o.message_overhead_s;
    }
    if (o.bandwidth_efficiency) {
      if (!(*o.bandwidth_efficiency > 0 && *o.bandwidth_efficiency <= 1))
        throw InputError("link calibration", "a bandwidth efficiency in (0, 1] for link class " + std::to_string(i));
      p.bandwidth_efficiency = *o.bandwidth_efficiency;
    }
    params_[i] = p;
  }
}

AlphaBeta LinkModel::link(const Link& l) const {
  const LinkClassParams& p = params(l.kind);
  return {p.message_overhead_s + l.latency_s, l.bandwidth_bytes_per_s * p.bandwidth_efficiency};
}

AlphaBeta LinkModel::path(std::span<const Link* const> links) const {
  AlphaBeta ab{0, std::numeric_limits<double>::infinity()};
  double overhead = 0;
  for (const Link* l : links) {
    const LinkClassParams& p = params(l->kind);
    overhead = std::max(overhead, p.message_overhead_s);
    ab.alpha_s += l->latency_s;
    ab.beta_bytes_per_s = std::min(ab.beta_bytes_per_s, l->bandwidth_bytes_per_s * p.bandwidth_efficiency);
  }
  ab.alpha_s += overhead;
  return ab;
}

}  // namespace spsim
