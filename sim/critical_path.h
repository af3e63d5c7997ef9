#pragma once
// The critical path of a simulated (or measured) run: the chain of ops whose
// durations add up to the step time, walked back from the op that ends last.
// An op's start was bound by its latest-ending predecessor (stream order or
// dependency); a communication's start by the last of its partners to arrive,
// so the path crosses ranks where a rank waited for another.

#include <map>
#include <string>
#include <vector>

#include "program/comm_matching.h"
#include "program/program.h"
#include "sim/timeline.h"
#include "topology/topology.h"

namespace spsim {

struct CriticalSegment {
  OpId op;
  double start_s = 0;
  double end_s = 0;
  std::string label;  // kernel kind ("attn_fwd") or "link <from> -> <to> (<kind>)"
};

struct CriticalPath {
  std::vector<CriticalSegment> segments;   // in time order
  std::map<std::string, double> seconds_by_label;
  double compute_s = 0;  // time of compute/memory ops on the path
  double comm_s = 0;     // time of communication on the path
  double idle_s = 0;     // gaps (time on the path not covered by any op)
};

CriticalPath critical_path(const Program& program, const CommMatching& matching, const Timeline& timeline,
                           const Topology& topology);

// The label of a link in critical paths and reports: "node0/gpu0 -> node0/nvswitch (nvlink)".
std::string link_label(const Topology& topology, LinkId link);

}  // namespace spsim
