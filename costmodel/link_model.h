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

#include "topology/topology.h"

namespace spsim {

inline constexpr std::size_t kNumLinkClasses = static_cast<std::size_t>(LinkKind::kHostMemory) + 1;

struct AlphaBeta {
  double alpha_s = 0;            // fixed cost per message
  double beta_bytes_per_s = 0;   // sustained bandwidth
  // alpha_s + bytes / beta_bytes_per_s.
  double seconds(double bytes) const { return alpha_s + bytes / beta_bytes_per_s; }
};

struct LinkClassParams {
  double message_overhead_s = 0;    // software cost per message or algorithm step
  double bandwidth_efficiency = 1;  // fraction of the line rate a transfer reaches, (0, 1]
};

// What a calibration measured for one link class; unset fields keep the defaults.
struct LinkClassOverride {
  std::optional<double> message_overhead_s;
  std::optional<double> bandwidth_efficiency;
};

struct LinkCalibration {
  std::array<LinkClassOverride, kNumLinkClasses> per_class{};  // indexed by LinkKind
  LinkClassOverride& operator[](LinkKind k) { return per_class[static_cast<std::size_t>(k)]; }
};

// The built-in parameters of a class (documented in link_model.cc).
LinkClassParams default_link_class_params(LinkKind kind);

class LinkModel {
 public:
  // Defaults overridden by `calibration`. Throws InputError("link calibration",
  // ...) for an overhead < 0 or an efficiency outside (0, 1].
  explicit LinkModel(const LinkCalibration& calibration = {});

  const LinkClassParams& params(LinkKind kind) const {
    return params_[static_cast<std::size_t>(kind)];
  }

  // One link on its own.
  AlphaBeta link(const Link& l) const;
  // A path of links (in order). No links (a device to itself): α = 0, β = +inf.
  AlphaBeta path(std::span<const Link* const> links) const;
  // The route a -> b of a topology (link_model_topology.cc).
  AlphaBeta route(const Topology& topology, DeviceId a, DeviceId b) const;

 private:
  std::array<LinkClassParams, kNumLinkClasses> params_{};
};

}  // namespace spsim
