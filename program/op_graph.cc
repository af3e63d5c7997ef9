#include "program/op_graph.h"

namespace spsim {

OpGraph::OpGraph(const Program& p) {
  // Compressed successor lists built in place: out-degrees counted into
  // succ_begin_[i + 1], prefix-summed, then each edge written at
  // succ_begin_[from + 1]++, which leaves succ_begin_[i + 1] at the end of
  // list i, the begin of list i + 1. No per-op temporaries (the engine pays
  // for every page it touches).
  const std::size_t n = p.num_ops();
  num_pred_.assign(n, 0);
  stream_prev_.assign(n, kNone);
  succ_begin_.assign(n + 2, 0);
  std::vector<std::uint32_t> last(std::size_t{p.num_ranks()} * p.num_streams(), kNone);
  for (std::size_t i = 0; i < n; ++i) {
    const OpId self = op_id(i);
    const Op& o = p.op(self);
    std::uint32_t& slot = last[std::size_t{o.rank} * p.num_streams() + idx(o.stream)];
    if (slot != kNone) {
      stream_prev_[i] = slot;
      ++succ_begin_[std::size_t{slot} + 2];
      ++num_pred_[i];
    }
    slot = static_cast<std::uint32_t>(i);
    for (OpId d : p.deps(self)) {
      ++succ_begin_[idx(d) + 2];
      ++num_pred_[i];
    }
  }
  // succ_begin_[i + 2] holds the out-degree of i; after the prefix sum
  // succ_begin_[i + 1] is where list i begins.
  for (std::size_t i = 2; i < n + 2; ++i) succ_begin_[i] += succ_begin_[i - 1];
  succ_.resize(succ_begin_[n + 1]);
  for (std::size_t i = 0; i < n; ++i) {
    const OpId self = op_id(i);
    if (stream_prev_[i] != kNone) succ_[succ_begin_[std::size_t{stream_prev_[i]} + 1]++] = self;
    for (OpId d : p.deps(self)) succ_[succ_begin_[idx(d) + 1]++] = self;
  }
  succ_begin_.pop_back();
}

ReadyTracker::ReadyTracker(const Program& program, const OpGraph& graph,
                           const CommMatching& matching, bool log_ready)
    : program_(program), graph_(graph), matching_(matching), log_ready_(log_ready) {
  const std::size_t n = program.num_ops();
  pending_.resize(n);
  arrived_.assign(n, 0);
  comm_class_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const OpKind k = program.op(op_id(i)).kind;
    comm_class_[i] = k == OpKind::kSend ? 1 : k == OpKind::kRecv ? 2 : k == OpKind::kCollective ? 3 : 0;
  }
  inst_arrived_.assign(matching.num_instances(), 0);
  for (std::size_t i = 0; i < n; ++i) {
    pending_[i] = graph.num_predecessors(OpId(static_cast<std::uint32_t>(i)));
  }
  for (std::size_t i = 0; i < n; ++i)
    if (pending_[i] == 0) on_ready(OpId(static_cast<std::uint32_t>(i)));
}

void ReadyTracker::on_ready(OpId id) {
  if (log_ready_) ready_log_.push_back(id);
  switch (comm_class_[idx(id)]) {
    case 1:
    case 2: {
      const OpId send = comm_class_[idx(id)] == 1 ? id : matching_.partner(id);
      if (++arrived_[idx(send)] == 2) fresh_.push_back({LaunchUnit::Kind::kP2P, static_cast<std::uint32_t>(idx(send))});
      break;
    }
    case 3: {
      const std::uint32_t inst = matching_.instance(id);
      if (++inst_arrived_[inst] == matching_.members(inst).size())
        fresh_.push_back({LaunchUnit::Kind::kCollective, inst});
      break;
    }
    default: fresh_.push_back({LaunchUnit::Kind::kOp, static_cast<std::uint32_t>(idx(id))});
  }
}

void ReadyTracker::take_launchable(std::vector<LaunchUnit>& out) {
  out.insert(out.end(), fresh_.begin(), fresh_.end());
  fresh_.clear();
}

void ReadyTracker::take_ready(std::vector<OpId>& out) {
  out.insert(out.end(), ready_log_.begin(), ready_log_.end());
  ready_log_.clear();
}

void ReadyTracker::complete(OpId id) {
  ++completed_;
  for (OpId s : graph_.successors(id))
    if (--pending_[idx(s)] == 0) on_ready(s);
}

std::vector<OpId> ReadyTracker::waiting_for_partners() const {
  std::vector<OpId> out;
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    const OpId id{static_cast<std::uint32_t>(i)};
    const Op& o = program_.op(id);
    if (pending_[i] != 0) continue;
    if (o.kind == OpKind::kSend || o.kind == OpKind::kRecv) {
      const OpId send = o.kind == OpKind::kSend ? id : matching_.partner(id);
      if (arrived_[idx(send)] == 1) out.push_back(id);
    } else if (o.kind == OpKind::kCollective) {
      const std::uint32_t inst = matching_.instance(id);
      if (inst_arrived_[inst] < matching_.members(inst).size()) out.push_back(id);
    }
  }
  return out;
}

}  // namespace spsim
