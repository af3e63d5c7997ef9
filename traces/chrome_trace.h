#pragma once
// Chrome Trace Event Format output of a Timeline (opens in Perfetto UI and
// chrome://tracing; ../shared/reference/formats.md).
//
// - one process per device, named like "node0/gpu3" (sorted by device), one
//   thread per (rank, stream), named "compute", "send", ... ("r5 compute"
//   when a device hosts several ranks);
// - a complete event per op: name = kind (communication: "send -> 3",
//   "recv <- 2", "all_gather"), args: op id, layer, step, operand shapes;
//   communication: wire bytes (what the op sends or receives,
//   program/comm_volume.h), its rate (GB/s) and wait (time it waited for its
//   partner, drawn as its own "wait" slice before it); compute: memory bytes
//   and FLOPs (when given) and TFLOP/s;
// - a flow arrow from each Send to the op that consumes what it sent (an op
//   depending on the matching Recv), bound as DevTools binds flows (the
//   slice's ts, pid, tid and cat);
// - counters: link utilization (fraction of capacity, for links with
//   traffic; needs the timeline's rate series) in a "network" process, and
//   memory in use per device (MB);
// - timestamps in microseconds from integer nanoseconds, offset by 1 us (the
//   DevTools trace engine leaves events at ts 0 out of the range); each
//   duration the double that, added to its start as viewers do, does not
//   pass its end, so slices of one thread nest strictly in DevTools and
//   Perfetto; the same input gives the same bytes;
// - devices are processes 1..N (Perfetto reserves pid 0), the network N+1.
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
  std::span<const double> op_bytes;       // per op: device memory bytes of compute ops (empty: not written)
};

// Writes the whole trace to `out`.
void write_chrome_trace(const TraceInput& in, const TraceOptions& options, std::ostream& out);

}  // namespace spsim
