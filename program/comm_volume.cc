#include "program/comm_volume.h"

namespace spsim {

std::vector<double> bytes_sent_per_rank(const Program& p) {
  std::vector<double> sent(p.num_ranks(), 0.0);
  for (std::size_t i = 0; i < p.num_ops(); ++i) {
    const OpId id = op_id(i);
    const Op& o = p.op(id);
    if (o.kind == OpKind::kSend) {
      for (BufferId b : p.operands(id)) sent[o.rank] += static_cast<double>(p.buffer(b).bytes());
    } else if (o.kind == OpKind::kCollective) {
      const double n = static_cast<double>(p.group(GroupId(o.peer)).size());
      const double in = static_cast<double>(p.buffer(p.operands(id)[0]).bytes());
      const double out = static_cast<double>(p.buffer(p.operands(id)[1]).bytes());
      const CollectiveSpec spec = CollectiveSpec::decode(o.tag);
      switch (spec.kind) {
        case CollectiveKind::kAllGather: sent[o.rank] += in * (n - 1); break;
        case CollectiveKind::kReduceScatter: sent[o.rank] += out * (n - 1); break;
        case CollectiveKind::kAllToAll: sent[o.rank] += in * (n - 1) / n; break;
        case CollectiveKind::kAllReduce: sent[o.rank] += 2 * in * (n - 1) / n; break;
        case CollectiveKind::kBroadcast: {
          const auto members = p.group(GroupId(o.peer));
          if (members[spec.root] == o.rank) sent[o.rank] += in;
          break;
        }
      }
    }
  }
  return sent;
}

}  // namespace spsim
