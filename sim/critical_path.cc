#include "sim/critical_path.h"

#include <algorithm>
#include <unordered_map>

#include "program/op_graph.h"

namespace spsim {

std::string link_label(const Topology& topology, LinkId link) {
  const Link& l = topology.link(link);
  return topology.vertex(l.from).name + " -> " + topology.vertex(l.to).name + " (" +
         std::string(link_kind_name(l.kind)) + ")";
}

CriticalPath critical_path(const Program& p, const CommMatching& m, const Timeline& tl, const Topology& topo) {
  CriticalPath cp;
  if (p.num_ops() == 0) return cp;
  const OpGraph graph(p);
  std::unordered_map<std::uint32_t, LinkId> bottleneck;
  for (const auto& [op, link] : tl.bottleneck) bottleneck.emplace(static_cast<std::uint32_t>(idx(op)), link);

  // The op that ends last (lowest id among ties).
  OpId cur = op_id(0);
  for (std::size_t i = 1; i < p.num_ops(); ++i)
    if (tl.ops[i].end_s > tl.at(cur).end_s) cur = op_id(i);

  // The latest-ending predecessor of an op, if any.
  auto binding_pred = [&](OpId op) -> std::optional<OpId> {
    std::optional<OpId> best = graph.stream_prev(op);
    for (OpId d : p.deps(op))
      if (!best || tl.at(d).end_s > tl.at(*best).end_s) best = d;
    return best;
  };

  while (true) {
    const Op& o = p.op(cur);
    const OpTiming& t = tl.at(cur);
    CriticalSegment seg{cur, t.start_s, t.end_s, {}};
    const OpCategory cat = op_kind_info(o.kind).category;
    if (cat == OpCategory::kComm) {
      auto it = bottleneck.find(static_cast<std::uint32_t>(idx(cur)));
      seg.label = it != bottleneck.end() ? "link " + link_label(topo, it->second)
                                         : std::string(op_kind_name(o.kind)) + " (no link)";
      cp.comm_s += t.end_s - t.start_s;
    } else {
      seg.label = std::string(op_kind_name(o.kind));
      cp.compute_s += t.end_s - t.start_s;
    }
    cp.seconds_by_label[seg.label] += t.end_s - t.start_s;
    cp.segments.push_back(seg);

    // Who made this op start when it did?
    OpId from = cur;
    if (cat == OpCategory::kComm) {
      // The unit started when its last member arrived.
      if (o.kind == OpKind::kCollective) {
        for (OpId member : m.members(m.instance(cur)))
          if (tl.at(member).ready_s > tl.at(from).ready_s) from = member;
      } else if (tl.at(m.partner(cur)).ready_s > t.ready_s) {
        from = m.partner(cur);
      }
    }
    const std::optional<OpId> pred = binding_pred(from);
    const double path_start = tl.at(from).ready_s;
    if (!pred) {
      cp.idle_s += path_start;  // time before the path's first op started
      break;
    }
    cp.idle_s += std::max(0.0, t.start_s - tl.at(*pred).end_s) ;
    cur = *pred;
  }
  std::reverse(cp.segments.begin(), cp.segments.end());
  return cp;
}

}  // namespace spsim
