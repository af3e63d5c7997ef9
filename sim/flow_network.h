#pragma once
// The "flow" network model: flow-level max-min fair sharing of full-duplex
// links (the SimGrid approach). A transfer is one flow along its route: it
// first waits its route's alpha (latency + per-message overhead of its kind of
// traffic, LinkModel), then moves its bytes at the rate max-min fairness gives
// it. A link's capacity is its line rate times the larger of its class's
// collective and point-to-point efficiencies, times its duplex factor while the link's other direction
// carries a flow too; each flow is also capped at its own route's beta (for
// send/recv the class's lower point-to-point efficiency and, through a CPU
// root complex, the root-complex bandwidth), as if by a private link; rates are
// recomputed whenever a flow starts or ends, but only for the connected group
// of flows that share links with the change (incrementally), and only once
// per instant however many flows start or end at it. A collective runs the
// phases of its algorithm (costmodel/collective_flows.h; algorithm chosen as
// a collective library would) one after another, each phase's flows at once.

#include <queue>

#include "sim/network_model.h"
#include "sim/route_cache.h"

namespace spsim {

class FlowNetwork final : public NetworkModel {
 public:
  FlowNetwork(const Topology& topology, const LinkModel& links, const NetworkOptions& options);

  std::string_view name() const override { return "flow"; }
  void start_transfer(std::uint64_t tag, DeviceId a, DeviceId b, double bytes, double now) override;
  void start_collective(std::uint64_t tag, CollectiveKind kind, std::span<const DeviceId> members,
                        double bytes_per_member, std::uint32_t root, double now) override;
  std::optional<double> next_completion() override;
  void advance_to(double t, std::vector<CommRecord>& completed) override;
  const LinkUsage& usage() const override { return usage_; }

 private:
  enum class FlowPhaseState : std::uint8_t { kLatency, kActive };
  struct FlowState {
    std::span<const LinkId> links;  // the route (storage owned by the Topology)
    double bytes = 0;
    double remaining = 0;  // bytes left at t0
    double rate = 0;       // bytes/s since t0
    double t0 = 0;
    std::uint32_t version = 0;
    std::uint32_t job = 0;
    FlowPhaseState state = FlowPhaseState::kLatency;
    std::optional<LinkId> bottleneck;
    double cap = 0;                     // the route's beta for this flow's kind of traffic
    std::optional<LinkId> cap_link;     // the route's narrowest link (named when the cap binds)
    bool cap_may_bind = false;          // cap below every route link's capacity: it can bind
  };
  struct Job {
    std::uint64_t tag = 0;
    double start_s = 0;
    std::uint32_t outstanding = 0;  // flows of the current phase not yet done
    std::uint32_t phase = 0;
    std::vector<std::vector<std::tuple<DeviceId, DeviceId, double>>> phases;  // (src, dst, bytes)
    std::optional<LinkId> bottleneck;
    // NVLS (costmodel/nvls.h): its flows run at cap_scale of their route's
    // collective rate and pay alpha_s instead of the route's overhead.
    double cap_scale = 1;
    std::optional<double> alpha_s;
  };
  enum class EventType : std::uint8_t { kLatencyEnd, kDone };
  struct Event {
    double t;
    std::uint64_t seq;
    std::uint32_t flow;
    std::uint32_t version;
    EventType type;
    bool operator>(const Event& o) const { return t != o.t ? t > o.t : seq > o.seq; }
  };

  std::uint32_t new_job(std::uint64_t tag, double now);
  void start_phase(std::uint32_t job);
  void start_flow(std::uint32_t job, DeviceId a, DeviceId b, double bytes, Traffic traffic);
  // Marks l changed, and its other direction when that one's capacity
  // depends on l being busy (duplex factor < 1).
  void mark_dirty(LinkId l);
  // l's capacity now: its collective capacity, times the duplex factor
  // while the other direction carries a flow.
  double capacity_now(LinkId l) const;
  void activate(std::uint32_t flow);
  void finish_flow(std::uint32_t flow, std::vector<CommRecord>& completed);
  void reshare();
  void set_link_active(LinkId l, int delta);
  void push(double t, std::uint32_t flow, EventType type);

  const Topology& topo_;
  const LinkModel& links_;
  NetworkOptions options_;
  RouteCache p2p_routes_;   // send/recv messages
  RouteCache coll_routes_;  // collective phases
  std::vector<double> capacity_;  // per link, bytes/s
  std::vector<double> duplex_;    // per link: its class's duplex factor
  std::vector<std::vector<std::uint32_t>> on_link_;  // per link: active flows
  std::vector<FlowState> flows_;
  std::vector<std::uint32_t> free_flows_;
  std::vector<Job> jobs_;
  std::vector<std::uint32_t> free_jobs_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  std::uint64_t seq_ = 0;
  double now_ = 0;
  std::vector<LinkId> dirty_;  // links whose flow set changed since the last reshare
  // Scratch for reshare (epoch marks avoid clearing).
  std::vector<std::uint32_t> link_mark_, flow_mark_;
  std::uint32_t epoch_ = 0;
  std::vector<double> cap_left_;
  std::vector<std::uint32_t> unfixed_on_;
  std::vector<std::uint32_t> link_version_;
  struct ShareEntry {
    double share;
    LinkId link;
    std::uint32_t version;
  };
  struct NewRate {
    std::uint32_t flow;
    double rate;
    LinkId link;
  };
  std::vector<LinkId> comp_links_, stack_;
  std::vector<ShareEntry> share_heap_;
  std::vector<std::pair<double, std::uint32_t>> caps_;  // (cap, flow) of the component, ascending
  std::vector<NewRate> new_rate_;
  std::vector<double> link_rate_;  // per link: current total rate (series)
  LinkUsage usage_;
  std::vector<std::uint32_t> active_count_;
  std::vector<double> busy_since_;
};

}  // namespace spsim
