#pragma once
// The network model interface: the engine knows only this (the SimGrid
// approach). A model moves transfers (point-to-point messages) and whole
// collectives through the topology and says when each completes. Models are
// chosen by name at run time: "analytical" (alpha + bytes/beta along the route,
// no contention; collectives in closed form) and "flow" (flow-level max-min
// fair sharing over full-duplex links, recomputed incrementally when a flow
// starts or ends; collectives decomposed into phases of flows).

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "program/op_kind.h"
#include "topology/topology.h"

namespace spsim {

class LinkModel;  // costmodel/link_model.h

// Where time went for one completed transfer or collective.
struct CommRecord {
  std::uint64_t tag = 0;
  double start_s = 0;
  double end_s = 0;
  std::optional<LinkId> bottleneck;  // the link that bounded it (if any link was crossed)
};

// Per-link accounting over a simulation.
struct LinkUsage {
  std::vector<double> bytes;         // per link: bytes carried
  std::vector<double> busy_s;        // per link: time with at least one flow on it
  // Optional rate series per link (bytes/s from that time on), recorded when
  // asked for (traces); empty otherwise.
  std::vector<std::vector<std::pair<double, double>>> rate_series;
};

class NetworkModel {
 public:
  virtual ~NetworkModel() = default;

  virtual std::string_view name() const = 0;

  // Starts moving `bytes` from device a to device b at time `now` (a != b).
  virtual void start_transfer(std::uint64_t tag, DeviceId a, DeviceId b, double bytes, double now) = 0;
  // Starts a collective over `members` (devices in group order) at `now`;
  // bytes_per_member as program/comm_volume.h defines the input size (the input
  // buffer bytes of one member); root is a member index (Broadcast).
  virtual void start_collective(std::uint64_t tag, CollectiveKind kind, std::span<const DeviceId> members,
                                double bytes_per_member, std::uint32_t root, double now) = 0;

  // Earliest time at which something in progress completes; nullopt if idle.
  // (Not const: models may settle deferred work, e.g. re-sharing bandwidth
  // once after all the flows that start at one instant.)
  virtual std::optional<double> next_completion() = 0;
  // Advances to time t (now <= t <= next_completion()) and appends what
  // completes at t, in a deterministic order.
  virtual void advance_to(double t, std::vector<CommRecord>& completed) = 0;

  virtual const LinkUsage& usage() const = 0;
};

struct NetworkOptions {
  bool record_rate_series = false;  // keep per-link rate series (for trace counters)
};

// "analytical" or "flow"; throws InputError("--network", ...) otherwise. The
// topology and link model must outlive the model.
std::unique_ptr<NetworkModel> make_network_model(std::string_view name, const Topology& topology,
                                                 const LinkModel& links, const NetworkOptions& options = {});

// The names make_network_model accepts.
std::span<const std::string_view> network_model_names();

}  // namespace spsim
