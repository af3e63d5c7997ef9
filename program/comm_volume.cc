#include "program/comm_volume.h"

namespace spsim {

double op_bytes_sent(const Program& p, OpId id) {
  const Op& o = p.op(id);
  if (o.kind == OpKind::kSend) {
    double sent = 0;
    for (BufferId b : p.operands(id)) sent += static_cast<double>(p.buffer(b).bytes());
    return sent;
  }
  if (o.kind != OpKind::kCollective) return 0;
  const double n = static_cast<double>(p.group(GroupId(o.peer)).size());
  const double in = static_cast<double>(p.buffer(p.operands(id)[0]).bytes());
  const double out = static_cast<double>(p.buffer(p.operands(id)[1]).bytes());
  const CollectiveSpec spec = CollectiveSpec::decode(o.tag);
  switch (spec.kind) {
    case CollectiveKind::kAllGather: return in * (n - 1);
    case CollectiveKind::kReduceScatter: return out * (n - 1);
    case CollectiveKind::kAllToAll: return in * (n - 1) / n;
    case CollectiveKind::kAllReduce: return 2 * in * (n - 1) / n;
    case CollectiveKind::kBroadcast: return p.group(GroupId(o.peer))[spec.root] == o.rank ? in : 0;
  }
  return 0;
}

std::vector<double> bytes_sent_per_rank(const Program& p) {
  std::vector<double> sent(p.num_ranks(), 0.0);
  for (std::size_t i = 0; i < p.num_ops(); ++i) sent[p.op(op_id(i)).rank] += op_bytes_sent(p, op_id(i));
  return sent;
}

}  // namespace spsim
