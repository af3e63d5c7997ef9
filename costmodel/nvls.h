#pragma once
// NVLink SHARP (NVLS) all-reduce: on an NVSwitch that can reduce and
// multicast (third generation on: H100, H200, B200 HGX nodes), NCCL runs
// all-reduce inside the switch instead of around a ring.
//
// What moves, per GPU, of B bytes per member over n members: the data is cut
// into n slices; GPU i reduces slice i with a multimem load (the switch reads
// slice i from every GPU and returns the sum: each GPU sends B/n for each of
// the n slices, B in all, and receives B/n) and multicasts the result with a
// multimem store (sends B/n, receives B/n from each of the n GPUs, B in all).
// So each GPU's link to the switch carries B(1 + 1/n) each way, against
// 2(n−1)/n·B for a ring; NCCL pipelines the two halves, so they overlap.
// spsim's NVSwitch nodes are one switch vertex with a link per GPU, so the
// flows of collective_flows.h carry exactly that load as one phase of
// i -> i+1 flows of B(1 + 1/n) (each GPU's uplink and downlink once each).
//
// Rate and latency: NCCL's own tuning model (nccl src/graph/tuning.cc @
// 5067397, nvlsEfficiency and hwLatencies[NVLINK][NVLS][Simple]): NVLS
// reaches 0.85 of the NVLink collective rate on Hopper, 0.74 on Blackwell,
// and costs 25 us per operation (in place of the ring's per-step overhead).

#include <optional>
#include <string_view>

#include "costmodel/collective_algorithm.h"
#include "program/op_kind.h"

namespace spsim {

inline constexpr double kNvlsLatencyS = 25e-6;           // NCCL hwLatencies NVLINK/NVLS/Simple
inline constexpr double kNvlsEfficiencyHopper = 0.85;    // NCCL nvlsEfficiency[Hopper]
inline constexpr double kNvlsEfficiencyBlackwell = 0.74; // NCCL nvlsEfficiency[Blackwell]

// Whether a collective runs as NVLS: an all-reduce the rule gave kNvls (any
// other kind given kNvls runs as the ring; collective_algorithm.h).
constexpr bool runs_nvls(CollectiveKind kind, CollectiveAlgorithm algorithm) {
  return kind == CollectiveKind::kAllReduce && algorithm == CollectiveAlgorithm::kNvls;
}

// NVLS's share of the NVLink collective rate on `device_type` (spsim's
// device names: h100-*, h200-* Hopper; b200 Blackwell); nullopt where the
// GPU cannot use NVLS (Volta, Ampere, Ada, Ascend).
std::optional<double> nvls_efficiency(std::string_view device_type);

}  // namespace spsim
