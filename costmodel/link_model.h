#pragma once
// Links as α-β: a message of n bytes over a path takes α + n/β.
//
//   α = the per-message software overhead of the path's slowest link class
//       + the sum of the links' latencies (topology Link::latency_s);
//   β = the narrowest link's Link::bandwidth_bytes_per_s (a *line rate*,
//       per direction) times its class's bandwidth efficiency.
//
// The per-class defaults (../shared/reference/hardware.md and what it cites)
// are documented in link_model.cc next to each number; a calibration fills
// LinkCalibration to override them class by class. The same α is the cost
// of one step of a collective algorithm (collective_closed_form.h).

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "topology/link_params.h"
#include "topology/topology.h"

namespace spsim {


struct AlphaBeta {
  double alpha_s = 0;            // fixed cost per message
  double beta_bytes_per_s = 0;   // sustained bandwidth
  // alpha_s + bytes / beta_bytes_per_s.
  double seconds(double bytes) const { return alpha_s + bytes / beta_bytes_per_s; }
};

// Which NCCL traffic a transfer is: collectives run on all of NCCL's channels;
// point-to-point send/recv uses fewer (NCCL_NCHANNELS_PER_PEER), so a link
// class has separate efficiencies and overheads for each.
enum class Traffic : std::uint8_t { kCollective, kPointToPoint };

struct LinkClassParams {
  double message_overhead_s = 0;    // collectives: software cost per message or algorithm step
  double bandwidth_efficiency = 1;  // collectives: fraction of the line rate reached, (0, 1]
  double p2p_overhead_s = 0;        // point-to-point: software cost per message
  double p2p_efficiency = 1;        // point-to-point: fraction of the line rate one message reaches, (0, 1]
  // (0, 1]: the share of its line rate each direction keeps while the other
  // direction of the same link carries traffic too (flow network model).
  double duplex_factor = 1;

  double overhead_s(Traffic t) const { return t == Traffic::kCollective ? message_overhead_s : p2p_overhead_s; }
  double efficiency(Traffic t) const { return t == Traffic::kCollective ? bandwidth_efficiency : p2p_efficiency; }
};

// GPU peer traffic that crosses a CPU root complex (a PCIe route through a
// CPU vertex, without host staging) is far slower than through a PCIe switch.
struct RootComplexParams {
  double latency_s = 0;              // added per crossing
  double bandwidth_bytes_per_s = 0;  // the route's rate is at most this (> 0)
};

// The built-in parameters of a class (documented in link_model.cc), and in
// a few words where its point-to-point figures come from ("measured: ..." or
// "datasheet ..." / "assumed ...").
LinkClassParams default_link_class_params(LinkKind kind);
std::string_view link_class_p2p_source(LinkKind kind);
RootComplexParams default_root_complex_params();

class LinkModel {
 public:
  // Defaults overridden by `calibration`. Throws InputError("link calibration",
  // ...) for an overhead or latency < 0, an efficiency or duplex factor outside
  // (0, 1], or a root-complex bandwidth <= 0.
  explicit LinkModel(const LinkCalibration& calibration = {});

  const LinkClassParams& params(LinkKind kind) const {
    return params_[static_cast<std::size_t>(kind)];
  }

  const RootComplexParams& root_complex() const { return root_complex_; }

  // One link on its own.
  AlphaBeta link(const Link& l, Traffic t = Traffic::kCollective) const;
  // A path of links (in order). No links (a device to itself): α = 0, β = +inf.
  AlphaBeta path(std::span<const Link* const> links, Traffic t = Traffic::kCollective) const;
  // The route a -> b of a topology (link_model_topology.cc): the path, plus
  // for each CPU vertex the route passes between two PCIe links (GPU peer
  // traffic through a root complex; not for host-staged routes, whose cost is
  // their host-memory hop) root_complex().latency_s, and β at most
  // root_complex().bandwidth_bytes_per_s.
  AlphaBeta route(const Topology& topology, DeviceId a, DeviceId b, Traffic t = Traffic::kCollective) const;

 private:
  std::array<LinkClassParams, kNumLinkClasses> params_{};
  RootComplexParams root_complex_{};
};

}  // namespace spsim
