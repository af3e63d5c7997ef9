#include "sim/op_graph.h"

namespace spsim {

OpGraph::OpGraph(const Program& p) {
  const std::size_t n = p.num_ops();
  num_pred_.assign(n, 0);
  stream_prev_.assign(n, kNone);
  std::vector<std::uint32_t> last(std::size_t{p.num_ranks()} * p.num_streams(), kNone);
  std::vector<std::uint32_t> out_degree(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const Op& o = p.op(OpId(static_cast<std::uint32_t>(i)));
    std::uint32_t& slot = last[std::size_t{o.rank} * p.num_streams() + idx(o.stream)];
    if (slot != kNone) {
      stream_prev_[i] = slot;
      ++out_degree[slot];
      ++num_pred_[i];
    }
    slot = static_cast<std::uint32_t>(i);
    for (OpId d : p.deps(OpId(static_cast<std::uint32_t>(i)))) {
      ++out_degree[idx(d)];
      ++num_pred_[i];
    }
  }
  succ_begin_.assign(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i) succ_begin_[i + 1] = succ_begin_[i] + out_degree[i];
  succ_.resize(succ_begin_[n]);
  std::vector<std::uint32_t> fill(succ_begin_.begin(), succ_begin_.end() - 1);
  for (std::size_t i = 0; i < n; ++i) {
    const OpId self{static_cast<std::uint32_t>(i)};
    if (stream_prev_[i] != kNone) succ_[fill[stream_prev_[i]]++] = self;
    for (OpId d : p.deps(self)) succ_[fill[idx(d)]++] = self;
  }
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
