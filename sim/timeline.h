#pragma once
// What a simulation (or a measured run) produced: when every op of a Program
// became ready, started and ended, which link bounded each communication, and
// how the links were used. Metrics, the critical path and traces read it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/network_model.h"
#include "program/program.h"

namespace spsim {

struct OpTiming {
  double ready_s = 0;  // all predecessors done: the op reached the head of its stream
  double start_s = 0;  // work began: = ready_s for compute; the rendezvous for communication
  double end_s = 0;
};

struct Timeline {
  std::vector<OpTiming> ops;                       // indexed by OpId
  std::vector<std::pair<OpId, LinkId>> bottleneck; // communication ops -> the link that bounded them
  std::vector<DeviceId> placement;                 // rank -> device
  LinkUsage links;
  std::string network_model;
  double makespan_s = 0;

  const OpTiming& at(OpId id) const { return ops[idx(id)]; }
};

}  // namespace spsim
