#include "sim/engine.h"

#include <algorithm>

#include "sim/indexed_heap.h"
#include "program/input_error.h"
#include "program/op_graph.h"

namespace spsim {
namespace {

constexpr std::uint64_t kCollectiveTag = 1ull << 63;

// Compute kernels running on one device, processor-shared.
struct DeviceState {
  struct Running {
    OpId op;
    double remaining_s;  // solo seconds left at updated_s
  };
  std::vector<Running> running;
  std::uint32_t comm_active = 0;
  double updated_s = 0;
  double slowdown = 1;
  OpId next{0};  // the kernel that finishes first (valid while running is not empty)

  // Progress rate of each running kernel, in solo seconds per second.
  double rate() const {
    return (1.0 / static_cast<double>(running.size())) / (comm_active > 0 ? slowdown : 1.0);
  }
};

class Engine {
 public:
  explicit Engine(const EngineInput& in)
      : in_(in), p_(in.program), m_(in.matching), graph_(p_), tracker_(p_, graph_, m_, /*log_ready=*/true) {
    place();
    devices_.resize(in.topology.num_devices());
    compute_ = IndexedHeap(devices_.size());
    for (DeviceId d = 0; d < devices_.size(); ++d) devices_[d].slowdown = 1.0;
    for (DeviceId d : placement_) devices_[d].slowdown = in.costs.comm_slowdown(d);
    tl_.ops.assign(p_.num_ops(), OpTiming{});
    // One sequential pass over the Program: each op's device, and its solo
    // duration (compute) or message bytes (Send), so the event loop touches a
    // few flat arrays instead of op records, buffers and layouts.
    op_.resize(p_.num_ops());
    std::size_t comm_ops = 0;
    for (std::size_t i = 0; i < p_.num_ops(); ++i) {
      const OpId id = op_id(i);
      const Op& o = p_.op(id);
      op_[i].device = placement_[o.rank];
      if (op_kind_info(o.kind).category != OpCategory::kComm) {
        op_[i].work = in.costs.op_seconds(id);
        continue;
      }
      ++comm_ops;
      if (o.kind == OpKind::kSend)
        for (BufferId b : p_.operands(id)) op_[i].work += static_cast<double>(p_.buffer(b).bytes());
    }
    tl_.bottleneck.reserve(comm_ops);
    tl_.placement = placement_;
    tl_.network_model = std::string(in.network.name());
  }

  Timeline run() {
    double now = 0;
    launch_new(now);
    while (true) {
      const std::optional<double> t_compute = next_compute();
      const std::optional<double> t_network = in_.network.next_completion();
      if (!t_compute && !t_network) break;
      now = t_compute && t_network ? std::min(*t_compute, *t_network) : t_compute ? *t_compute : *t_network;
      if (t_network && *t_network <= now) {
        records_.clear();
        in_.network.advance_to(now, records_);
        for (const CommRecord& r : records_) finish_comm(r, now);
      }
      while (!compute_.empty() && compute_.top_time() <= now) {
        const DeviceId dev = compute_.top();
        finish_compute(dev, devices_[dev].next, now);
      }
      launch_new(now);
    }
    if (!tracker_.all_complete())
      throw ProgramError("deadlock: " + std::to_string(p_.num_ops() - tracker_.num_completed()) +
                         " ops never ran (run check_program for details)");
    for (const OpTiming& t : tl_.ops) tl_.makespan_s = std::max(tl_.makespan_s, t.end_s);
    tl_.links = in_.network.usage();
    return std::move(tl_);
  }

 private:
  void place() {
    const std::uint32_t devices = in_.topology.num_devices();
    if (in_.placement.empty()) {
      if (p_.num_ranks() > devices)
        throw InputError("placement", "the program has " + std::to_string(p_.num_ranks()) +
                                          " ranks but the topology has " + std::to_string(devices) + " devices");
      for (RankId r = 0; r < p_.num_ranks(); ++r) placement_.push_back(r);
      return;
    }
    if (in_.placement.size() < p_.num_ranks())
      throw InputError("placement", "gives devices for " + std::to_string(in_.placement.size()) + " of " +
                                        std::to_string(p_.num_ranks()) + " ranks");
    for (RankId r = 0; r < p_.num_ranks(); ++r) {
      if (in_.placement[r] >= devices)
        throw InputError("placement", "rank " + std::to_string(r) + " on device " +
                                          std::to_string(in_.placement[r]) + ", but the topology has " +
                                          std::to_string(devices) + " devices");
      placement_.push_back(in_.placement[r]);
    }
  }

  std::optional<double> next_compute() const {
    if (compute_.empty()) return std::nullopt;
    return compute_.top_time();
  }

  // Brings the running kernels of a device up to `now` at their old rate.
  void settle(DeviceState& d, double now) {
    if (!d.running.empty()) {
      const double done = (now - d.updated_s) * d.rate();
      for (auto& r : d.running) r.remaining_s = std::max(0.0, r.remaining_s - done);
    }
    d.updated_s = now;
  }
  // Keys the device by its next kernel completion at its new rate. All its
  // kernels progress at one rate, so the first to finish is the one with the
  // least work left (the earliest launched among equals).
  void reschedule(DeviceId dev, double now) {
    DeviceState& d = devices_[dev];
    if (d.running.empty()) {
      compute_.erase(dev);
      return;
    }
    const DeviceState::Running* first = &d.running.front();
    for (const auto& r : d.running)
      if (r.remaining_s < first->remaining_s) first = &r;
    d.next = first->op;
    compute_.set(dev, now + first->remaining_s / d.rate(), seq_++);
  }

  void comm_begins(DeviceId dev, double now) {
    DeviceState& d = devices_[dev];
    settle(d, now);
    ++d.comm_active;
    if (d.comm_active == 1 && !d.running.empty()) reschedule(dev, now);
  }
  void comm_ends(DeviceId dev, double now) {
    DeviceState& d = devices_[dev];
    settle(d, now);
    --d.comm_active;
    if (d.comm_active == 0 && !d.running.empty()) reschedule(dev, now);
  }

  void finish_compute(DeviceId dev, OpId op, double now) {
    DeviceState& d = devices_[dev];
    settle(d, now);
    const auto it = std::find_if(d.running.begin(), d.running.end(), [&](const auto& r) { return r.op == op; });
    d.running.erase(it);
    reschedule(dev, now);
    tl_.ops[idx(op)].end_s = now;
    tracker_.complete(op);
  }

  void finish_comm(const CommRecord& r, double now) {
    auto finish = [&](OpId op) {
      tl_.ops[idx(op)].end_s = now;
      if (r.bottleneck) tl_.bottleneck.emplace_back(op, *r.bottleneck);
      comm_ends(op_[idx(op)].device, now);
      tracker_.complete(op);
    };
    if (r.tag & kCollectiveTag) {
      for (OpId op : m_.members(static_cast<std::uint32_t>(r.tag & ~kCollectiveTag))) finish(op);
    } else {
      const OpId send{static_cast<std::uint32_t>(r.tag)};
      finish(send);
      finish(m_.partner(send));
    }
  }

  void launch_new(double now) {
    ready_.clear();
    tracker_.take_ready(ready_);
    for (OpId op : ready_) tl_.ops[idx(op)].ready_s = now;
    units_.clear();
    tracker_.take_launchable(units_);
    for (const LaunchUnit& u : units_) launch(u, now);
  }

  void launch(const LaunchUnit& u, double now) {
    switch (u.kind) {
      case LaunchUnit::Kind::kOp: {
        const OpId op{u.id};
        tl_.ops[idx(op)].start_s = now;
        const DeviceId dev = op_[idx(op)].device;
        DeviceState& d = devices_[dev];
        settle(d, now);
        d.running.push_back({op, op_[idx(op)].work});
        reschedule(dev, now);
        break;
      }
      case LaunchUnit::Kind::kP2P: {
        const OpId send{u.id}, recv = m_.partner(send);
        const double bytes = op_[idx(send)].work;
        const DeviceId a = op_[idx(send)].device, b = op_[idx(recv)].device;
        tl_.ops[idx(send)].start_s = now;
        tl_.ops[idx(recv)].start_s = now;
        comm_begins(a, now);
        comm_begins(b, now);
        in_.network.start_transfer(u.id, a, b, bytes, now);
        break;
      }
      case LaunchUnit::Kind::kCollective: {
        const auto members = m_.members(u.id);
        devices_of_.clear();
        for (OpId op : members) {
          tl_.ops[idx(op)].start_s = now;
          devices_of_.push_back(op_[idx(op)].device);
          comm_begins(devices_of_.back(), now);
        }
        const Op& first = p_.op(members[0]);
        const CollectiveSpec spec = CollectiveSpec::decode(first.tag);
        const double bytes = static_cast<double>(p_.buffer(p_.operands(members[0])[0]).bytes());
        in_.network.start_collective(kCollectiveTag | u.id, spec.kind, devices_of_, bytes, spec.root, now);
        break;
      }
    }
  }

  const EngineInput& in_;
  const Program& p_;
  const CommMatching& m_;
  OpGraph graph_;
  ReadyTracker tracker_;
  std::vector<DeviceId> placement_;
  // Per op, what the event loop reads when it launches or finishes the op, in
  // one record (one cache line touched): its device, and its solo seconds
  // (compute or memory op) or message bytes (Send).
  struct OpWork {
    double work = 0;
    DeviceId device = 0;
  };
  std::vector<OpWork> op_;
  std::vector<DeviceState> devices_;
  IndexedHeap compute_{0};  // per device: its next kernel completion
  std::uint64_t seq_ = 0;
  Timeline tl_;
  std::vector<OpId> ready_;
  std::vector<LaunchUnit> units_;
  std::vector<CommRecord> records_;
  std::vector<DeviceId> devices_of_;
};

}  // namespace

Timeline simulate(const EngineInput& input) { return Engine(input).run(); }

}  // namespace spsim
