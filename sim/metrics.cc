#include "sim/metrics.h"

#include <algorithm>

namespace spsim {
namespace {

using Interval = std::pair<double, double>;

// Sorts and merges intervals in place; returns the merged list.
std::vector<Interval> merged(std::vector<Interval> v) {
  std::sort(v.begin(), v.end());
  std::vector<Interval> out;
  for (const auto& iv : v) {
    if (iv.second <= iv.first) continue;
    if (!out.empty() && iv.first <= out.back().second)
      out.back().second = std::max(out.back().second, iv.second);
    else
      out.push_back(iv);
  }
  return out;
}

double total(const std::vector<Interval>& v) {
  double s = 0;
  for (const auto& [a, b] : v) s += b - a;
  return s;
}

// |a ∩ b| for merged interval lists.
double intersection(const std::vector<Interval>& a, const std::vector<Interval>& b) {
  double s = 0;
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const double lo = std::max(a[i].first, b[j].first), hi = std::min(a[i].second, b[j].second);
    if (hi > lo) s += hi - lo;
    (a[i].second < b[j].second) ? ++i : ++j;
  }
  return s;
}

}  // namespace

Metrics compute_metrics(const MetricsInput& in) {
  const Program& p = in.program;
  const Timeline& tl = in.timeline;
  Metrics m;
  m.step_time_s = tl.makespan_s;
  m.ranks.resize(p.num_ranks());

  // Busy intervals per rank.
  std::vector<std::vector<Interval>> compute(p.num_ranks()), comm(p.num_ranks()), wait(p.num_ranks());
  for (std::size_t i = 0; i < p.num_ops(); ++i) {
    const Op& o = p.op(op_id(i));
    const OpTiming& t = tl.ops[i];
    if (op_kind_info(o.kind).category == OpCategory::kComm) {
      comm[o.rank].emplace_back(t.start_s, t.end_s);
      wait[o.rank].emplace_back(t.ready_s, t.start_s);
    } else {
      compute[o.rank].emplace_back(t.start_s, t.end_s);
    }
  }
  double comm_total = 0, overlapped_total = 0;
  for (RankId r = 0; r < p.num_ranks(); ++r) {
    const auto c = merged(std::move(compute[r])), x = merged(std::move(comm[r]));
    RankMetrics& rm = m.ranks[r];
    rm.compute_busy_s = total(c);
    rm.comm_busy_s = total(x);
    rm.overlapped_s = intersection(c, x);
    rm.exposed_comm_s = rm.comm_busy_s - rm.overlapped_s;
    rm.wait_s = total(merged(std::move(wait[r])));
    comm_total += rm.comm_busy_s;
    overlapped_total += rm.overlapped_s;
  }
  m.overlap_ratio = comm_total > 0 ? overlapped_total / comm_total : 1.0;

  // Buffer lifetimes -> peak live bytes per rank.
  const std::size_t nb = p.num_buffers();
  std::vector<double> alloc(nb, tl.makespan_s), release(nb, 0.0);
  for (std::size_t i = 0; i < p.num_ops(); ++i) {
    const OpTiming& t = tl.ops[i];
    for (BufferId b : p.operands(op_id(i))) {
      const std::size_t r = idx(p.root(b));
      alloc[r] = std::min(alloc[r], t.start_s);
      release[r] = std::max(release[r], t.end_s);
    }
  }
  for (const Binding& bnd : p.inputs()) alloc[idx(p.root(bnd.buffer))] = 0;
  for (const Binding& bnd : p.outputs()) release[idx(p.root(bnd.buffer))] = tl.makespan_s;
  std::vector<std::vector<std::pair<double, double>>> events(p.num_ranks());  // (time, +-bytes)
  for (std::size_t b = 0; b < nb; ++b) {
    const Buffer& buf = p.buffer(buffer_id(b));
    if (buf.parent || release[b] < alloc[b]) continue;  // views, and buffers no op touches
    const double bytes = static_cast<double>(buf.bytes());
    events[buf.rank].emplace_back(alloc[b], bytes);
    events[buf.rank].emplace_back(release[b], -bytes);
  }
  for (RankId r = 0; r < p.num_ranks(); ++r) {
    auto& ev = events[r];
    // Frees before allocations at the same instant (the allocator reuses memory).
    std::sort(ev.begin(), ev.end());
    double live = 0, peak = 0;
    for (const auto& [t, d] : ev) {
      live += d;
      peak = std::max(peak, live);
    }
    RankMetrics& rm = m.ranks[r];
    rm.peak_activation_bytes = peak;
    rm.peak_memory_bytes = peak + (r < in.static_bytes_per_rank.size() ? in.static_bytes_per_rank[r] : 0.0);
    if (r < in.capacity_bytes_per_rank.size()) rm.capacity_bytes = in.capacity_bytes_per_rank[r];
  }

  // Links.
  double util_sum = 0;
  for (LinkId l = 0; l < tl.links.bytes.size(); ++l) {
    if (tl.links.bytes[l] <= 0) continue;
    const double cap = l < in.link_capacity.size() ? in.link_capacity[l] : in.topology.link(l).bandwidth_bytes_per_s;
    LinkMetrics lm{l, tl.links.bytes[l], 0, 0};
    if (m.step_time_s > 0) {
      lm.mean_utilization = tl.links.bytes[l] / (cap * m.step_time_s);
      lm.busy_fraction = tl.links.busy_s[l] / m.step_time_s;
    }
    util_sum += lm.mean_utilization;
    if (!m.busiest_link || lm.mean_utilization > m.max_link_utilization) {
      m.max_link_utilization = lm.mean_utilization;
      m.busiest_link = l;
    }
    m.links.push_back(lm);
  }
  if (!m.links.empty()) m.mean_link_utilization = util_sum / static_cast<double>(m.links.size());
  return m;
}

}  // namespace spsim
