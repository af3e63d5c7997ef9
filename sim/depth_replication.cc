#include "sim/depth_replication.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

namespace spsim {

namespace {

// One pair of layers (l, l+period): the forward and backward shifts every
// op agreed on; nullopt when the ops do not match or do not agree.
std::optional<LayerPeriod> pair_period(const Program& p, const Timeline& tl,
                                       const std::map<std::pair<RankId, std::uint16_t>, std::vector<OpId>>& lanes,
                                       std::uint32_t layer, std::uint32_t period) {
  std::optional<double> fwd, bwd;
  auto agrees = [](std::optional<double>& slot, double shift) {
    if (!slot) slot = shift;
    return std::abs(*slot - shift) <= kSteadyToleranceS;
  };
  for (const auto& [lane, ops] : lanes) {
    std::vector<OpId> a, b;
    for (OpId id : ops) {
      if (p.op(id).layer == layer) a.push_back(id);
      if (p.op(id).layer == layer + period) b.push_back(id);
    }
    if (a.size() != b.size()) return std::nullopt;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const Op &x = p.op(a[i]), &y = p.op(b[i]);
      if (x.kind != y.kind || x.work != y.work) return std::nullopt;
      const OpTiming &tx = tl.at(a[i]), &ty = tl.at(b[i]);
      if (std::abs((tx.end_s - tx.start_s) - (ty.end_s - ty.start_s)) > kSteadyToleranceS) return std::nullopt;
      const double shift = ty.start_s - tx.start_s;
      if (std::abs((ty.ready_s - tx.ready_s) - shift) > kSteadyToleranceS) return std::nullopt;
      if (shift > kSteadyToleranceS) {
        if (!agrees(fwd, shift)) return std::nullopt;
      } else if (shift < -kSteadyToleranceS) {
        if (!agrees(bwd, -shift)) return std::nullopt;
      } else {
        return std::nullopt;  // layer l+1's twin at the same time: no period
      }
    }
  }
  if (!fwd) return std::nullopt;
  return LayerPeriod{*fwd, bwd.value_or(0)};
}

double grown(double base, double deeper, double more) { return deeper + more * (deeper - base); }

}  // namespace

std::optional<LayerPeriod> steady_period(const Program& p, const Timeline& tl, std::uint32_t first,
                                         std::uint32_t period) {
  // Each (rank, stream)'s ops of layers first .. first + 2 period, in program
  // order: the stream's order.
  std::map<std::pair<RankId, std::uint16_t>, std::vector<OpId>> lanes;
  for (std::size_t i = 0; i < p.num_ops(); ++i) {
    const Op& o = p.op(op_id(i));
    if (o.layer >= first && o.layer <= first + 2 * period) lanes[{o.rank, idx(o.stream)}].push_back(op_id(i));
  }
  // Every phase of the period (l = first .. first + period - 1), and the
  // first again one period later: one shift for them all.
  std::optional<LayerPeriod> shift;
  for (std::uint32_t l = first; l <= first + period; ++l) {
    const auto x = pair_period(p, tl, lanes, l, period);
    if (!x) return std::nullopt;
    if (!shift) shift = x;
    if (std::abs(x->forward_s - shift->forward_s) > kSteadyToleranceS ||
        std::abs(x->backward_s - shift->backward_s) > kSteadyToleranceS)
      return std::nullopt;
  }
  return shift;
}

Metrics replicate_metrics(const Metrics& base, const Metrics& deeper, double more) {
  Metrics m = deeper;
  m.step_time_s = grown(base.step_time_s, deeper.step_time_s, more);
  double comm = 0, overlapped = 0;
  for (std::size_t r = 0; r < m.ranks.size(); ++r) {
    RankMetrics& x = m.ranks[r];
    const RankMetrics &a = base.ranks[r], &b = deeper.ranks[r];
    x.compute_busy_s = grown(a.compute_busy_s, b.compute_busy_s, more);
    x.comm_busy_s = grown(a.comm_busy_s, b.comm_busy_s, more);
    x.overlapped_s = grown(a.overlapped_s, b.overlapped_s, more);
    x.exposed_comm_s = grown(a.exposed_comm_s, b.exposed_comm_s, more);
    x.wait_s = grown(a.wait_s, b.wait_s, more);
    comm += x.comm_busy_s;
    overlapped += x.overlapped_s;
  }
  m.overlap_ratio = comm > 0 ? overlapped / comm : 1.0;
  // Links: bytes and busy seconds grow; utilizations are over the new step.
  std::map<LinkId, const LinkMetrics*> in_base;
  for (const LinkMetrics& l : base.links) in_base[l.link] = &l;
  m.max_link_utilization = 0;
  m.busiest_link.reset();
  double util_sum = 0;
  for (LinkMetrics& l : m.links) {
    const LinkMetrics* a = in_base.count(l.link) ? in_base[l.link] : nullptr;
    const double capacity_s = l.mean_utilization > 0 ? l.bytes / l.mean_utilization : 0;  // capacity x step
    const double capacity = deeper.step_time_s > 0 ? capacity_s / deeper.step_time_s : 0;
    const double busy = grown(a ? a->busy_fraction * base.step_time_s : 0, l.busy_fraction * deeper.step_time_s, more);
    l.bytes = grown(a ? a->bytes : 0, l.bytes, more);
    l.mean_utilization = capacity > 0 ? l.bytes / (capacity * m.step_time_s) : 0;
    l.busy_fraction = busy / m.step_time_s;
    util_sum += l.mean_utilization;
    if (!m.busiest_link || l.mean_utilization > m.max_link_utilization) {
      m.max_link_utilization = l.mean_utilization;
      m.busiest_link = l.link;
    }
  }
  m.mean_link_utilization = m.links.empty() ? 0 : util_sum / static_cast<double>(m.links.size());
  return m;
}

CriticalPath replicate_critical_path(const CriticalPath& base, const CriticalPath& deeper, double more) {
  CriticalPath c;
  c.compute_s = grown(base.compute_s, deeper.compute_s, more);
  c.comm_s = grown(base.comm_s, deeper.comm_s, more);
  c.idle_s = grown(base.idle_s, deeper.idle_s, more);
  for (const auto& [label, s] : deeper.seconds_by_label) {
    const auto it = base.seconds_by_label.find(label);
    c.seconds_by_label[label] = grown(it == base.seconds_by_label.end() ? 0 : it->second, s, more);
  }
  // The segments are the k+1 layers' (the replicated ones are that period again).
  c.segments = deeper.segments;
  return c;
}

}  // namespace spsim
