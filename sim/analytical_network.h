#pragma once
// The "analytical" network model: every transfer takes alpha + bytes/beta of
// its route (LinkModel::route) as if it were alone — no contention; every
// collective takes its closed form (costmodel/collective_closed_form.h) with
// the algorithm a collective library would choose for the group, and alpha /
// beta of the slowest member pair the algorithm uses.

#include <queue>

#include "sim/network_model.h"
#include "sim/route_cache.h"

namespace spsim {

class AnalyticalNetwork final : public NetworkModel {
 public:
  AnalyticalNetwork(const Topology& topology, const LinkModel& links, const NetworkOptions& options);

  std::string_view name() const override { return "analytical"; }
  void start_transfer(std::uint64_t tag, DeviceId a, DeviceId b, double bytes, double now) override;
  void start_collective(std::uint64_t tag, CollectiveKind kind, std::span<const DeviceId> members,
                        double bytes_per_member, std::uint32_t root, double now) override;
  std::optional<double> next_completion() override;
  void advance_to(double t, std::vector<CommRecord>& completed) override;
  const LinkUsage& usage() const override { return usage_; }

 private:
  struct Pending {
    double end_s;
    std::uint64_t seq;  // tie-break: start order
    CommRecord record;
    bool operator>(const Pending& o) const { return end_s != o.end_s ? end_s > o.end_s : seq > o.seq; }
  };
  // Charges `bytes` to every link of route(a, b) over [start, end].
  void account(DeviceId a, DeviceId b, double bytes, double start, double end);

  const Topology& topo_;
  const LinkModel& links_;
  NetworkOptions options_;
  RouteCache p2p_routes_;   // send/recv messages
  RouteCache coll_routes_;  // collectives
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> pending_;
  std::uint64_t seq_ = 0;
  LinkUsage usage_;
  std::vector<double> busy_until_;  // per link: end of the last accounted interval
};

}  // namespace spsim
