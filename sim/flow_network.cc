#include "sim/flow_network.h"

#include <algorithm>
#include <cassert>
#include <limits>

#include "costmodel/collective_choice.h"
#include "costmodel/collective_flows.h"
#include "costmodel/nvls.h"
#include "costmodel/rail_rings.h"
#include "costmodel/link_model.h"

namespace spsim {

FlowNetwork::FlowNetwork(const Topology& topology, const LinkModel& links, const NetworkOptions& options)
    : topo_(topology),
      links_(links),
      options_(options),
      p2p_routes_(topology, links, Traffic::kPointToPoint),
      coll_routes_(topology, links, Traffic::kCollective) {
  const std::size_t L = topology.num_links();
  capacity_.resize(L);
  duplex_.resize(L);
  for (LinkId l = 0; l < L; ++l) {
    // What the link carries in all: the better of its two efficiencies; each
    // flow is held to its own kind's by its cap.
    capacity_[l] = std::max(links.link(topology.link(l), Traffic::kCollective).beta_bytes_per_s,
                            links.link(topology.link(l), Traffic::kPointToPoint).beta_bytes_per_s);
    duplex_[l] = links.params(topology.link(l).kind).duplex_factor;
  }
  on_link_.resize(L);
  link_mark_.assign(L, 0);
  cap_left_.assign(L, 0);
  link_version_.assign(L, 0);
  unfixed_on_.assign(L, 0);
  link_rate_.assign(L, 0);
  usage_.bytes.assign(L, 0);
  usage_.busy_s.assign(L, 0);
  active_count_.assign(L, 0);
  busy_since_.assign(L, 0);
  if (options.record_rate_series) usage_.rate_series.resize(L);
}

void FlowNetwork::push(double t, std::uint32_t flow, EventType type) {
  events_.push({t, seq_++, flow, flows_[flow].version, type});
}

std::uint32_t FlowNetwork::new_job(std::uint64_t tag, double now) {
  std::uint32_t j;
  if (!free_jobs_.empty()) {
    j = free_jobs_.back();
    free_jobs_.pop_back();
    jobs_[j] = Job{};
  } else {
    j = static_cast<std::uint32_t>(jobs_.size());
    jobs_.emplace_back();
  }
  jobs_[j].tag = tag;
  jobs_[j].start_s = now;
  return j;
}

void FlowNetwork::mark_dirty(LinkId l) {
  dirty_.push_back(l);
  const LinkId r = Topology::reverse_link(l);
  if (r < duplex_.size() && duplex_[r] < 1) dirty_.push_back(r);
}

double FlowNetwork::capacity_now(LinkId l) const {
  const LinkId r = Topology::reverse_link(l);
  const bool both = r < active_count_.size() && active_count_[r] > 0;
  return both ? capacity_[l] * duplex_[l] : capacity_[l];
}

void FlowNetwork::start_flow(std::uint32_t job, DeviceId a, DeviceId b, double bytes, Traffic traffic) {
  std::uint32_t f;
  if (!free_flows_.empty()) {
    f = free_flows_.back();
    free_flows_.pop_back();
  } else {
    f = static_cast<std::uint32_t>(flows_.size());
    flows_.emplace_back();
  }
  FlowState& fs = flows_[f];
  const std::uint32_t version = fs.version + 1;
  fs = FlowState{};
  fs.version = version;
  fs.links = topo_.route(a, b);
  fs.bytes = bytes;
  fs.remaining = bytes;
  fs.job = job;
  fs.state = FlowPhaseState::kLatency;
  const RouteCost& rc = (traffic == Traffic::kPointToPoint ? p2p_routes_ : coll_routes_).get(a, b);
  fs.cap = rc.ab.beta_bytes_per_s * jobs_[job].cap_scale;
  fs.cap_link = rc.bottleneck;
  // A cap at or above a link's full capacity on the route never binds (no
  // fair share exceeds that link's capacity): such flows skip the cap list.
  double narrowest = std::numeric_limits<double>::infinity();
  for (LinkId l : fs.links) narrowest = std::min(narrowest, capacity_[l]);
  fs.cap_may_bind = fs.cap < narrowest;
  ++jobs_[job].outstanding;
  push(now_ + jobs_[job].alpha_s.value_or(rc.ab.alpha_s), f, EventType::kLatencyEnd);
}

void FlowNetwork::start_transfer(std::uint64_t tag, DeviceId a, DeviceId b, double bytes, double now) {
  assert(now >= now_);
  now_ = now;
  const std::uint32_t j = new_job(tag, now);
  start_flow(j, a, b, bytes, Traffic::kPointToPoint);
}

void FlowNetwork::start_collective(std::uint64_t tag, CollectiveKind kind, std::span<const DeviceId> members,
                                   double bytes_per_member, std::uint32_t root, double now) {
  assert(now >= now_);
  now_ = now;
  const std::uint32_t j = new_job(tag, now);
  const auto n = static_cast<std::uint32_t>(members.size());
  const CollectiveGroupShape shape = collective_group_shape(members, topo_);
  const CollectiveAlgorithm algo = choose_collective_algorithm(kind, shape, bytes_per_member);
  const auto phases = uses_rail_rings(kind, algo, shape)
                          ? rail_ring_flows(kind, n, shape.per_node, bytes_per_member, root)
                          : collective_flows(kind, algo, n, bytes_per_member, root);
  if (runs_nvls(kind, algo)) {
    jobs_[j].cap_scale = shape.nvls_efficiency;
    jobs_[j].alpha_s = kNvlsLatencyS;
  }
  for (const FlowPhase& ph : phases) {
    auto& out = jobs_[j].phases.emplace_back();
    for (const Flow& fl : ph.flows) out.emplace_back(members[fl.src], members[fl.dst], fl.bytes);
  }
  start_phase(j);
}

void FlowNetwork::start_phase(std::uint32_t j) {
  // Skips empty phases; a job with no phase left completes at the next advance.
  while (jobs_[j].phase < jobs_[j].phases.size() && jobs_[j].phases[jobs_[j].phase].empty()) ++jobs_[j].phase;
  if (jobs_[j].phase == jobs_[j].phases.size()) {
    // Nothing to move (a one-member collective): complete now via a zero flow-free event.
    jobs_[j].outstanding = 0;
    start_flow(j, 0, 0, 0.0, Traffic::kCollective);  // route(0,0) is empty: a zero-length, zero-latency flow
    return;
  }
  const auto phase = jobs_[j].phases[jobs_[j].phase];  // copy: start_flow may grow jobs_
  for (const auto& [a, b, bytes] : phase) start_flow(j, a, b, bytes, Traffic::kCollective);
}

void FlowNetwork::set_link_active(LinkId l, int delta) {
  if (delta > 0) {
    if (active_count_[l]++ == 0) busy_since_[l] = now_;
  } else if (--active_count_[l] == 0) {
    usage_.busy_s[l] += now_ - busy_since_[l];
  }
}

void FlowNetwork::activate(std::uint32_t f) {
  FlowState& fs = flows_[f];
  fs.state = FlowPhaseState::kActive;
  fs.t0 = now_;
  fs.rate = 0;
  for (LinkId l : fs.links) {
    on_link_[l].push_back(f);
    set_link_active(l, +1);
    mark_dirty(l);
  }
}

void FlowNetwork::finish_flow(std::uint32_t f, std::vector<CommRecord>& completed) {
  FlowState& fs = flows_[f];
  for (LinkId l : fs.links) {
    auto& v = on_link_[l];
    const auto it = std::find(v.begin(), v.end(), f);
    assert(it != v.end());
    *it = v.back();
    v.pop_back();
    usage_.bytes[l] += fs.bytes;
    set_link_active(l, -1);
    mark_dirty(l);
  }
  ++fs.version;  // invalidates queued events of this slot
  free_flows_.push_back(f);
  Job& job = jobs_[fs.job];
  if (fs.bottleneck) job.bottleneck = fs.bottleneck;
  const std::uint32_t j = fs.job;
  if (--job.outstanding > 0) return;
  ++job.phase;
  if (job.phase < job.phases.size()) {
    start_phase(j);
    return;
  }
  completed.push_back(CommRecord{job.tag, job.start_s, now_, job.bottleneck});
  jobs_[j].phases.clear();
  free_jobs_.push_back(j);
}

// Max-min fairness by progressive filling, over the flows connected (through
// shared links) to the links that changed: repeatedly take the link whose
// fair share (capacity left / flows not yet fixed) is smallest, fix its flows
// at that share — unless a flow's own cap is smaller still, which fixes that
// flow at its cap (a private link of one flow). Shares only grow as flows are
// fixed, so a heap of link shares (stale entries skipped by version) and the
// caps sorted ascending give the order; ties go to the lowest link id, and a
// cap equal to a link's share goes first.
void FlowNetwork::reshare() {
  if (dirty_.empty()) return;
  ++epoch_;
  if (flow_mark_.size() < flows_.size()) flow_mark_.resize(flows_.size(), 0);
  comp_links_.clear();
  stack_.clear();
  for (LinkId l : dirty_)
    if (link_mark_[l] != epoch_) {
      link_mark_[l] = epoch_;
      stack_.push_back(l);
    }
  dirty_.clear();
  caps_.clear();
  while (!stack_.empty()) {
    const LinkId l = stack_.back();
    stack_.pop_back();
    comp_links_.push_back(l);
    for (std::uint32_t f : on_link_[l]) {
      if (flow_mark_[f] == epoch_) continue;
      flow_mark_[f] = epoch_;
      if (flows_[f].cap_may_bind) caps_.emplace_back(flows_[f].cap, f);
      for (LinkId m : flows_[f].links)
        if (link_mark_[m] != epoch_) {
          link_mark_[m] = epoch_;
          stack_.push_back(m);
        }
    }
  }
  const std::uint32_t fixed_mark = ++epoch_;
  share_heap_.clear();
  std::sort(caps_.begin(), caps_.end());
  for (LinkId l : comp_links_) {
    cap_left_[l] = capacity_now(l);
    unfixed_on_[l] = static_cast<std::uint32_t>(on_link_[l].size());
    ++link_version_[l];
    if (unfixed_on_[l] > 0) share_heap_.push_back({cap_left_[l] / unfixed_on_[l], l, link_version_[l]});
  }
  auto later = [](const ShareEntry& a, const ShareEntry& b) {
    return a.share != b.share ? a.share > b.share : a.link > b.link;
  };
  std::make_heap(share_heap_.begin(), share_heap_.end(), later);
  new_rate_.clear();
  // Fixes flow f at `rate` and charges it to its links; `by_link`, the link
  // that bounded it (none: its own cap), is not re-queued.
  auto fix = [&](std::uint32_t f, double rate, std::optional<LinkId> by_link, LinkId bottleneck) {
    flow_mark_[f] = fixed_mark;
    new_rate_.push_back({f, rate, bottleneck});
    for (LinkId m : flows_[f].links) {
      cap_left_[m] -= rate;
      --unfixed_on_[m];
      ++link_version_[m];
      if (m != by_link && unfixed_on_[m] > 0) {
        share_heap_.push_back({std::max(0.0, cap_left_[m]) / unfixed_on_[m], m, link_version_[m]});
        std::push_heap(share_heap_.begin(), share_heap_.end(), later);
      }
    }
  };
  std::size_t next_cap = 0;
  for (;;) {
    while (!share_heap_.empty() && (share_heap_.front().version != link_version_[share_heap_.front().link] ||
                                    unfixed_on_[share_heap_.front().link] == 0)) {
      std::pop_heap(share_heap_.begin(), share_heap_.end(), later);
      share_heap_.pop_back();
    }
    while (next_cap < caps_.size() && flow_mark_[caps_[next_cap].second] == fixed_mark) ++next_cap;
    if (share_heap_.empty()) break;  // every flow left is on some link: none is left
    if (next_cap < caps_.size() && caps_[next_cap].first <= share_heap_.front().share) {
      const std::uint32_t f = caps_[next_cap].second;
      const FlowState& fs = flows_[f];
      fix(f, std::max(0.0, caps_[next_cap].first), std::nullopt, fs.cap_link.value_or(fs.links.front()));
      continue;
    }
    std::pop_heap(share_heap_.begin(), share_heap_.end(), later);
    const ShareEntry e = share_heap_.back();
    share_heap_.pop_back();
    const double share = std::max(0.0, e.share);
    for (std::uint32_t f : on_link_[e.link])
      if (flow_mark_[f] != fixed_mark) fix(f, share, e.link, e.link);
  }
  for (const NewRate& nr : new_rate_) {
    FlowState& fs = flows_[nr.flow];
    fs.bottleneck = nr.link;
    if (nr.rate == fs.rate) continue;
    fs.remaining = std::max(0.0, fs.remaining - fs.rate * (now_ - fs.t0));
    fs.t0 = now_;
    fs.rate = nr.rate;
    ++fs.version;
    push(nr.rate > 0 ? now_ + fs.remaining / nr.rate : std::numeric_limits<double>::infinity(), nr.flow,
         EventType::kDone);
  }
  if (options_.record_rate_series)
    for (LinkId l : comp_links_) {
      double total = 0;
      for (std::uint32_t f : on_link_[l]) total += flows_[f].rate;
      if (total != link_rate_[l]) {
        link_rate_[l] = total;
        usage_.rate_series[l].emplace_back(now_, total);
      }
    }
}

std::optional<double> FlowNetwork::next_completion() {
  reshare();
  while (!events_.empty()) {
    const Event& e = events_.top();
    const FlowState& fs = flows_[e.flow];
    const bool live = e.version == fs.version &&
                      (e.type == EventType::kLatencyEnd ? fs.state == FlowPhaseState::kLatency
                                                        : fs.state == FlowPhaseState::kActive);
    if (live) return e.t;
    events_.pop();
  }
  return std::nullopt;
}

void FlowNetwork::advance_to(double t, std::vector<CommRecord>& completed) {
  assert(t >= now_);
  now_ = t;
  while (!events_.empty() && events_.top().t <= t) {
    const Event e = events_.top();
    events_.pop();
    FlowState& fs = flows_[e.flow];
    if (e.version != fs.version) continue;
    if (e.type == EventType::kLatencyEnd) {
      if (fs.state != FlowPhaseState::kLatency) continue;
      if (fs.bytes <= 0 || fs.links.empty()) {
        finish_flow(e.flow, completed);  // nothing to move after the latency
      } else {
        activate(e.flow);
      }
    } else if (fs.state == FlowPhaseState::kActive) {
      finish_flow(e.flow, completed);
    }
  }
}

}  // namespace spsim
