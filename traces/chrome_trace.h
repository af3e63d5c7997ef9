#pragma once
// Chrome Trace Event Format output of a Timeline (opens in Perfetto UI and
// chrome://tracing; ../shared/reference/formats.md).
//
// - one process per device, named like "node0/gpu3" (sorted by device), one
//   thread per (rank, stream), named "compute", "send", ... ("r5 compute"
//   when a device hosts several ranks);
// - a complete event per op: name = kind (communication: "send -> 3",
//   "recv <- 2", "all_gather"), args: op id, layer, step, operand shapes,
//   bytes, FLOPs (when given), wait (time a communication waited for its
//   partner, drawn as its own "wait" slice before it);
// - a flow arrow from each Send to its Recv;
// - counters: link utilization (fraction of capacity, for links with
//   traffic; needs the timeline's rate series) in a "network" process, and
//   memory in use per device (MB);
// - timestamps in microseconds from integer nanoseconds, so slices of one
//   thread nest strictly and the same input gives the same bytes.
// Filters keep big traces openable: ranks, layers, a time window.

#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "program/comm_matching.h"
#include "program/program.h"
#include "sim/timeline.h"
#include "topology/topology.h"

namespace spsim {

struct TraceOptions {
  std::vector<RankId> ranks;           // empty: all
  std::vector<std::uint16_t> layers;   // empty: all
  std::optional<double> begin_s, end_s;  // time window; unset: everything
  bool link_counters = true;
  bool memory_counters = true;
};

struct TraceInput {
  const Program& program;
  const CommMatching& matching;
  const Timeline& timeline;
  const Topology& topology;
  std::span<const double> op_flops;       // per op (empty: not written)
  std::span<const double> link_capacity;  // per link, bytes/s (empty: raw bandwidth)
  std::string title;                      // written to otherData
};

// Writes the whole trace to `out`.
void write_chrome_trace(const TraceInput& in, const TraceOptions& options, std::ostream& out);

}  // namespace spsim
