#pragma once
// Summary metrics of a run (simulated or measured) from its Timeline:
// step time, per-rank compute busy time, communication exposed and hidden,
// per-link utilization, and peak memory per rank from buffer lifetimes.
//
// Definitions (per rank; intervals are unions, so concurrent ops count once):
//   compute busy   union of [start, end] of its compute and memory ops
//   comm busy      union of [start, end] of its communication ops (from the
//                  rendezvous: time spent waiting for a partner is `wait`)
//   overlapped     |comm busy ∩ compute busy|; exposed = comm busy − overlapped
//   wait           union of [ready, start] of its communication ops
//   overlap ratio  Σ overlapped / Σ comm busy over all ranks (1 = all hidden)
// Link utilization: bytes / (capacity · step time) (mean over the step) and
// the fraction of the step with traffic on the link.
// Memory: a buffer (views count as their root) is allocated when the first op
// touching it starts (input-bound buffers at 0) and freed when the last ends
// (output-bound buffers stay to the end); peak = max over time of the sum of
// live bytes, plus the rank's static bytes (weights, gradients, optimizer).

#include <optional>
#include <span>
#include <vector>

#include "program/program.h"
#include "sim/timeline.h"
#include "topology/topology.h"

namespace spsim {

struct RankMetrics {
  double compute_busy_s = 0;
  double comm_busy_s = 0;
  double overlapped_s = 0;
  double exposed_comm_s = 0;
  double wait_s = 0;
  double peak_activation_bytes = 0;  // from buffer lifetimes
  double peak_memory_bytes = 0;      // + static bytes
  std::optional<double> capacity_bytes;
  bool exceeds_capacity() const { return capacity_bytes && peak_memory_bytes > *capacity_bytes; }
};

struct LinkMetrics {
  LinkId link = 0;
  double bytes = 0;
  double mean_utilization = 0;  // bytes / (capacity · step time)
  double busy_fraction = 0;     // busy seconds / step time
};

struct Metrics {
  double step_time_s = 0;
  std::vector<RankMetrics> ranks;
  std::vector<LinkMetrics> links;  // links that carried traffic, by link id
  double overlap_ratio = 0;        // 1 when there is no communication
  double max_link_utilization = 0;
  double mean_link_utilization = 0;  // over links that carried traffic
  std::optional<LinkId> busiest_link;
};

struct MetricsInput {
  const Program& program;
  const Timeline& timeline;
  const Topology& topology;
  // Capacity (bytes/s) per link, as the network model used it; empty: raw
  // link bandwidth.
  std::span<const double> link_capacity;
  std::span<const double> static_bytes_per_rank;  // empty: none
  std::span<const double> capacity_bytes_per_rank;  // device memory; empty: unknown
};

Metrics compute_metrics(const MetricsInput& in);

}  // namespace spsim
