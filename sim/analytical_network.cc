#include "sim/analytical_network.h"

#include <algorithm>
#include <limits>

#include "costmodel/collective_choice.h"
#include "costmodel/collective_closed_form.h"
#include "costmodel/collective_flows.h"
#include "costmodel/nvls.h"
#include "costmodel/rail_rings.h"
#include "costmodel/link_model.h"

namespace spsim {

AnalyticalNetwork::AnalyticalNetwork(const Topology& topology, const LinkModel& links,
                                     const NetworkOptions& options)
    : topo_(topology),
      links_(links),
      options_(options),
      p2p_routes_(topology, links, Traffic::kPointToPoint),
      coll_routes_(topology, links, Traffic::kCollective) {
  usage_.bytes.assign(topology.num_links(), 0.0);
  usage_.busy_s.assign(topology.num_links(), 0.0);
  busy_until_.assign(topology.num_links(), 0.0);
  if (options.record_rate_series) usage_.rate_series.resize(topology.num_links());
}

void AnalyticalNetwork::account(DeviceId a, DeviceId b, double bytes, double start, double end) {
  const auto route = topo_.route(a, b);
  const double rate = end > start ? bytes / (end - start) : 0.0;
  for (LinkId l : route) {
    usage_.bytes[l] += bytes;
    // Intervals start in non-decreasing time order, so the union grows at the end.
    const double from = std::max(start, busy_until_[l]);
    if (end > from) usage_.busy_s[l] += end - from;
    busy_until_[l] = std::max(busy_until_[l], end);
    if (options_.record_rate_series) {
      // Without contention transfers on a link add up; the series records each
      // transfer's own rate as a step (start: +rate, end: -rate), merged later.
      usage_.rate_series[l].emplace_back(start, rate);
      usage_.rate_series[l].emplace_back(end, -rate);
    }
  }
}

void AnalyticalNetwork::start_transfer(std::uint64_t tag, DeviceId a, DeviceId b, double bytes, double now) {
  const RouteCost& rc = p2p_routes_.get(a, b);
  const double end = now + rc.ab.seconds(bytes);
  account(a, b, bytes, now, end);
  pending_.push({end, seq_++, CommRecord{tag, now, end, rc.bottleneck}});
}

void AnalyticalNetwork::start_collective(std::uint64_t tag, CollectiveKind kind,
                                         std::span<const DeviceId> members, double bytes_per_member,
                                         std::uint32_t root, double now) {
  const auto n = static_cast<std::uint32_t>(members.size());
  const CollectiveGroupShape shape = collective_group_shape(members, topo_);
  const CollectiveAlgorithm algo = choose_collective_algorithm(kind, shape, bytes_per_member);
  const bool rails = uses_rail_rings(kind, algo, shape);
  const auto phases = rails ? rail_ring_flows(kind, n, shape.per_node, bytes_per_member, root)
                            : collective_flows(kind, algo, n, bytes_per_member, root);
  // alpha of the slowest pair the algorithm uses; beta of the slowest in-node
  // and cross-node pairs apart (rail rings weigh them), the slower of them
  // otherwise.
  double alpha = 0, beta_in = std::numeric_limits<double>::infinity(), beta_across = beta_in;
  std::optional<LinkId> bottleneck_in, bottleneck_across;
  for (const FlowPhase& ph : phases)
    for (const Flow& f : ph.flows) {
      const RouteCost& rc = coll_routes_.get(members[f.src], members[f.dst]);
      alpha = std::max(alpha, rc.ab.alpha_s);
      const bool across = topo_.node_of(members[f.src]) != topo_.node_of(members[f.dst]);
      if (rc.ab.beta_bytes_per_s < (across ? beta_across : beta_in)) {
        (across ? beta_across : beta_in) = rc.ab.beta_bytes_per_s;
        (across ? bottleneck_across : bottleneck_in) = rc.bottleneck;
      }
    }
  double beta = std::min(beta_in, beta_across);
  std::optional<LinkId> bottleneck = beta_in <= beta_across ? bottleneck_in : bottleneck_across;
  if (rails) {
    // Rail rings (rail_rings.h): of a ring step's s bytes per member, a
    // member's in-node hop carries (g−1)/g·s and each rail s/rails; the
    // slower of the two sets the step, so the ring row runs at
    //   beta = 1 / max((g−1)/(g·beta_in), 1/(rails·beta_across)).
    const double g = shape.per_node;
    const double in_s = (g - 1) / (g * beta_in), across_s = 1 / (shape.rails * beta_across);
    beta = 1 / std::max(in_s, across_s);
    bottleneck = in_s > across_s ? bottleneck_in : bottleneck_across;
  }
  if (runs_nvls(kind, algo)) {
    alpha = kNvlsLatencyS;  // NVLS's own rate and latency (nvls.h)
    beta *= shape.nvls_efficiency;
  }
  const double seconds = phases.empty() ? 0.0 : collective_seconds(kind, algo, n, bytes_per_member, alpha, beta);
  const double end = now + seconds;
  for (const FlowPhase& ph : phases)
    for (const Flow& f : ph.flows) account(members[f.src], members[f.dst], f.bytes, now, end);
  pending_.push({end, seq_++, CommRecord{tag, now, end, bottleneck}});
}

std::optional<double> AnalyticalNetwork::next_completion() {
  if (pending_.empty()) return std::nullopt;
  return pending_.top().end_s;
}

void AnalyticalNetwork::advance_to(double t, std::vector<CommRecord>& completed) {
  while (!pending_.empty() && pending_.top().end_s <= t) {
    completed.push_back(pending_.top().record);
    pending_.pop();
  }
}

}  // namespace spsim
