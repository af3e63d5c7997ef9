#pragma once
// Ordering structure of a Program, shared by the checker, the executors and
// the engine.
//
// OpGraph: the local edges — each op follows the previous op on its (rank,
// stream), and its declared deps — as successor lists with predecessor counts.
//
// ReadyTracker: walks the Program in dependency order in *launch units*: a
// unit is one non-communication op, a matched Send+Recv pair, or all member
// ops of one collective instance. A unit becomes launchable when every one of
// its ops has all its predecessors complete: communication rendezvous, as with
// NCCL, where a transfer starts only when both sides (all members) have
// reached it. Callers launch units in any order they like (FIFO, random, by
// simulated time) and report ops complete.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "program/comm_matching.h"
#include "program/program.h"

namespace spsim {

class OpGraph {
 public:
  explicit OpGraph(const Program& program);

  std::span<const OpId> successors(OpId id) const {
    return {succ_.data() + succ_begin_[idx(id)], succ_.data() + succ_begin_[idx(id) + 1]};
  }
  // Number of incoming edges (stream predecessor + deps; duplicates counted).
  std::uint32_t num_predecessors(OpId id) const { return num_pred_[idx(id)]; }
  // The previous op on the same (rank, stream), if any.
  std::optional<OpId> stream_prev(OpId id) const {
    const std::uint32_t v = stream_prev_[idx(id)];
    if (v == kNone) return std::nullopt;
    return OpId(v);
  }

  std::size_t memory_bytes() const {
    return (succ_begin_.capacity() + num_pred_.capacity() + stream_prev_.capacity()) *
               sizeof(std::uint32_t) +
           succ_.capacity() * sizeof(OpId);
  }

 private:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  std::vector<std::uint32_t> succ_begin_;
  std::vector<OpId> succ_;
  std::vector<std::uint32_t> num_pred_;
  std::vector<std::uint32_t> stream_prev_;
};

struct LaunchUnit {
  enum class Kind : std::uint8_t { kOp, kP2P, kCollective };
  Kind kind;
  // kOp: the op. kP2P: the Send (its Recv is matching.partner(send)).
  // kCollective: the instance index (its ops are matching.members(id)).
  std::uint32_t id;
};

class ReadyTracker {
 public:
  // `graph` and `matching` must describe `program` and outlive the tracker.
  ReadyTracker(const Program& program, const OpGraph& graph, const CommMatching& matching,
               bool log_ready = false);

  // Appends the units that became launchable since the last call; each unit is
  // reported exactly once.
  void take_launchable(std::vector<LaunchUnit>& out);
  // With log_ready: appends the ops whose predecessors all completed since the
  // last call (also communication ops still waiting for their partners).
  void take_ready(std::vector<OpId>& out);
  // Marks one op complete (each op exactly once, after its unit was launched).
  void complete(OpId id);

  std::size_t num_completed() const { return completed_; }
  bool all_complete() const { return completed_ == program_.num_ops(); }
  // Ops whose predecessors are all complete but whose unit is not launchable
  // (a Send/Recv or collective member waiting for its partners).
  std::vector<OpId> waiting_for_partners() const;
  // Remaining predecessor count of an op (0 once it is ready).
  std::uint32_t pending_predecessors(OpId id) const { return pending_[idx(id)]; }

 private:
  void on_ready(OpId id);

  const Program& program_;
  const OpGraph& graph_;
  const CommMatching& matching_;
  // Per op: 0 other, 1 Send, 2 Recv, 3 Collective — a byte per op read when it
  // becomes ready, instead of its 32-byte Op record (cache footprint).
  std::vector<std::uint8_t> comm_class_;
  std::vector<std::uint32_t> pending_;   // per op: predecessors not yet complete
  std::vector<std::uint8_t> arrived_;    // per Send op: members of its pair ready (0..2)
  std::vector<std::uint32_t> inst_arrived_;  // per collective instance: members ready
  std::vector<LaunchUnit> fresh_;
  bool log_ready_ = false;
  std::vector<OpId> ready_log_;
  std::size_t completed_ = 0;
};

}  // namespace spsim
