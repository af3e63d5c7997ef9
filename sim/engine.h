#pragma once
// The discrete-event engine: runs a Program on a cluster in simulated time.
//
// - An op is ready when the previous op on its (rank, stream) and its deps
//   have ended (op_graph.h). A compute or memory op starts when ready.
//   A Send and its Recv start together when both are ready (rendezvous), and
//   a collective when all members are; the network model moves the data.
// - Compute on one device: concurrent kernels share it (processor sharing:
//   each of k running kernels progresses at 1/k of its solo rate), and while a
//   communication kernel runs on the device every compute kernel slows by the
//   device's comm_slowdown factor (NCCL/HCCL kernels occupy SMs/cores). Rates
//   are re-settled whenever that set changes.
// - Time is simulated seconds (double); events at equal times are handled in
//   a fixed order (creation order), so the same input gives the same timeline.

#include <span>

#include "program/comm_matching.h"
#include "sim/network_model.h"
#include "program/program.h"
#include "sim/timeline.h"
#include "topology/topology.h"

namespace spsim {

// What the engine asks about compute (implemented with costmodel/ by
// sim/model_costs.h, and with closed-form fakes in tests).
class EngineCosts {
 public:
  virtual ~EngineCosts() = default;
  // Seconds a compute or memory op takes alone on its device.
  virtual double op_seconds(OpId op) const = 0;
  // Factor (>= 1) by which compute on `device` slows while communication runs on it.
  virtual double comm_slowdown(DeviceId device) const = 0;
};

struct EngineInput {
  const Program& program;
  const CommMatching& matching;  // match_communication(program)
  const Topology& topology;
  std::span<const DeviceId> placement;  // rank -> device; empty: rank r on device r
  const EngineCosts& costs;
  NetworkModel& network;  // fresh (no transfers in progress)
};

// Runs the Program to the end. Throws InputError("placement", ...) when a
// rank has no device, and ProgramError on a deadlock.
Timeline simulate(const EngineInput& input);

}  // namespace spsim
