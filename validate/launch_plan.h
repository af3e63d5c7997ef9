#pragma once
// How a Program is issued to GPUs: the translation the CUDA executor
// (validate/cuda/) makes of the IR, in plain C++ so that it is tested on any
// machine.
//
// - Streams: one CUDA stream per (rank, IR stream): index rank * S + stream,
//   S = program.num_streams(). Ops of one IR stream are issued to its CUDA
//   stream in creation order, so stream order needs nothing more.
// - Events: a dependency on an op of another stream of the rank becomes a
//   cudaStreamWaitEvent on an event recorded right after that op. Waits
//   already implied (by the stream's order or by an earlier wait, through
//   vector clocks) are left out, so every wait in a plan is needed: deleting
//   one leaves some IR dependency unenforced (check_launch_plan finds it).
// - Host order: the groups in `order` are issued one after the other. A group
//   is one op, or the ops of one matched Send/Recv pair or collective
//   instance, issued together between ncclGroupStart/ncclGroupEnd (one
//   process drives every rank: NCCL needs all sides of a transfer in one
//   group call). The order is a topological order of the launch units
//   (program/op_graph.h), so every event is recorded before it is waited on,
//   and the NCCL operations of each communicator come in one global order on
//   every rank (no deadlock).
// - Communicators: one per (set of ranks, IR stream of the Send / of the
//   first member): point-to-point on the world's, a collective on its
//   group's. Separate IR streams get separate communicators, as real code
//   uses separate process groups to overlap them.
// - Packing: NCCL moves contiguous arrays; a collective along the head axis
//   (or an all-to-all cut along heads) is staged through a contiguous
//   temporary with window copies (CollectivePacking), as Ulysses
//   implementations transpose around their all-to-all.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "program/comm_matching.h"
#include "program/program.h"

namespace spsim {

inline constexpr std::uint32_t kNoEvent = 0xffffffffu;

struct OpLaunch {
  std::uint32_t stream = 0;          // CUDA stream index
  std::uint32_t record = kNoEvent;   // event recorded after the op (kNoEvent: none)
  std::uint32_t comm = 0;            // communication ops: communicator index
  std::uint32_t wait_begin = 0, wait_end = 0;  // events waited before the op (into LaunchPlan::waits)
};

struct Communicator {
  std::vector<RankId> ranks;  // NCCL rank i is Program rank ranks[i]
  StreamId stream{};          // the IR stream it serves
};

// A rectangular piece [rows, heads, all cols] copied from one tensor to
// another (kernels.h copy_window); `part` is the staging part it touches.
struct Window {
  std::uint32_t part = 0;
  std::uint32_t src_row0 = 0, src_head0 = 0, dst_row0 = 0, dst_head0 = 0, rows = 0, heads = 0;
};

// How one member's collective meets NCCL. The send side is `in` itself or a
// staging array of `parts` parts, each [part_rows, part_heads, cols] of the
// in buffer's dtype; likewise the receive side and `out`. `pack` copies in ->
// send parts, `unpack` receive parts -> out. All-to-all sends send part j to
// member j and receives member j's part into receive part j (with
// ncclSend/ncclRecv pairs in one group); the others use the NCCL collective
// on the whole arrays.
struct CollectivePacking {
  std::uint32_t parts = 1;
  bool send_staged = false, recv_staged = false;
  std::uint32_t send_part_rows = 0, send_part_heads = 0;
  std::uint32_t recv_part_rows = 0, recv_part_heads = 0;
  std::vector<Window> pack, unpack;

  std::uint64_t send_part_elements(std::uint32_t cols) const {
    return std::uint64_t{send_part_rows} * send_part_heads * cols;
  }
  std::uint64_t recv_part_elements(std::uint32_t cols) const {
    return std::uint64_t{recv_part_rows} * recv_part_heads * cols;
  }
};

struct LaunchGroup {
  std::vector<OpId> ops;  // one op, or the members of one communication unit
};

struct LaunchPlan {
  std::uint32_t num_streams = 0;  // CUDA streams
  std::uint32_t num_events = 0;
  std::vector<OpLaunch> ops;  // by OpId
  std::vector<std::uint32_t> waits;
  std::vector<LaunchGroup> order;
  std::vector<Communicator> comms;

  std::span<const std::uint32_t> waits_of(OpId id) const {
    const OpLaunch& l = ops[idx(id)];
    return {waits.data() + l.wait_begin, waits.data() + l.wait_end};
  }
};

// Throws ProgramError when the program cannot be issued (it would deadlock:
// a communication unit never becomes launchable).
LaunchPlan make_launch_plan(const Program& program, const CommMatching& matching);

// Checks the plan against the program independently of how it was made:
// every op issued once, communication units whole in one group, streams of
// the op's rank, every event recorded before it is waited on, and every IR
// dependency and stream order enforced on the device (happens-before through
// stream order and the waits). Returns the first violation, as a message
// naming the ops; nullopt when the plan is sound.
std::optional<std::string> check_launch_plan(const Program& program, const CommMatching& matching,
                                             const LaunchPlan& plan);

// The staging of collective op `id` (a Collective op of `program`).
CollectivePacking collective_packing(const Program& program, const CommMatching& matching, OpId id);

// Row maps by position (the Copy / Accumulate / RSA meaning of op_kind.h),
// computed on the host for the device kernels. Throw ProgramError naming the
// buffers when a position is missing.
//   gather_rows_map: for each row of dst, the row of src with its position.
std::vector<std::uint32_t> gather_rows_map(const Program& program, BufferId src, BufferId dst);
//   scatter_rows_map: for each row of src, the row of dst with its position.
std::vector<std::uint32_t> scatter_rows_map(const Program& program, BufferId src, BufferId dst);
//   score_columns: for each row of `keys`, its column in score buffer `scores`.
std::vector<std::uint32_t> score_columns(const Program& program, BufferId scores, BufferId keys);
//   score_column_rows: for each column of `scores`, the row of `full` with that
//   position, or 0xffffffff when `full` has none.
std::vector<std::uint32_t> score_column_rows(const Program& program, BufferId scores, BufferId full);

// Device memory a replay needs on each rank, in bytes: its root buffers and
// their positions, every collective's staging (both sides, whether staged or
// not: an upper bound), every row map, the weights of each distinct Dense
// matrix and the largest weight gradient — what the CUDA executor allocates.
std::vector<double> replay_memory_bytes(const Program& program, const CommMatching& matching);

}  // namespace spsim
