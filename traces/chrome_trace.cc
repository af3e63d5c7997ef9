#include "traces/chrome_trace.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "program/comm_volume.h"
#include "traces/trace_time.h"

namespace spsim {
namespace {

// The cat of every slice and flow event (see flows()).
constexpr const char* kCat = "spsim";

std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
      continue;
    }
    out += c;
  }
  return out;
}

class Writer {
 public:
  Writer(const TraceInput& in, const TraceOptions& opt, std::ostream& out) : in_(in), opt_(opt), out_(out) {}

  void write() {
    const Program& p = in_.program;
    out_ << "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"generator\":\"spsim\",\"title\":\"" << escape(in_.title)
         << "\",\"network_model\":\"" << escape(in_.timeline.network_model) << "\"},\"traceEvents\":[\n";
    const std::set<RankId> rank_filter(opt_.ranks.begin(), opt_.ranks.end());
    const std::set<std::uint16_t> layer_filter(opt_.layers.begin(), opt_.layers.end());
    auto keep_rank = [&](RankId r) { return rank_filter.empty() || rank_filter.count(r); };
    auto keep_op = [&](OpId id) {
      const Op& o = p.op(id);
      if (!keep_rank(o.rank)) return false;
      if (!layer_filter.empty() && !layer_filter.count(o.layer)) return false;
      const OpTiming& t = in_.timeline.at(id);
      if (opt_.begin_s && t.end_s < *opt_.begin_s) return false;
      if (opt_.end_s && t.ready_s > *opt_.end_s) return false;
      return true;
    };
    // Ranks per device, to name threads.
    std::map<DeviceId, std::vector<RankId>> ranks_on;
    for (RankId r = 0; r < p.num_ranks(); ++r)
      if (keep_rank(r)) ranks_on[in_.timeline.placement[r]].push_back(r);

    // Metadata: processes and threads.
    for (const auto& [dev, ranks] : ranks_on) {
      event(fmt::format(R"({{"ph":"M","name":"process_name","pid":{},"tid":0,"args":{{"name":"{}"}}}})", pid(dev),
                        escape(in_.topology.device_name(dev))));
      event(fmt::format(R"({{"ph":"M","name":"process_sort_index","pid":{},"tid":0,"args":{{"sort_index":{}}}}})",
                        pid(dev), dev));
      for (RankId r : ranks)
        for (std::size_t s = 0; s < p.num_streams(); ++s) {
          const std::string name = ranks.size() > 1
                                       ? fmt::format("r{} {}", r, p.stream_name(StreamId(static_cast<std::uint16_t>(s))))
                                       : std::string(p.stream_name(StreamId(static_cast<std::uint16_t>(s))));
          event(fmt::format(R"({{"ph":"M","name":"thread_name","pid":{},"tid":{},"args":{{"name":"{}"}}}})", pid(dev),
                            tid(r, s), escape(name)));
          event(fmt::format(R"({{"ph":"M","name":"thread_sort_index","pid":{},"tid":{},"args":{{"sort_index":{}}}}})",
                            pid(dev), tid(r, s), tid(r, s)));
        }
    }

    // Slices and flow arrows.
    for (std::size_t i = 0; i < p.num_ops(); ++i) {
      const OpId id = op_id(i);
      if (!keep_op(id)) continue;
      slice(id);
    }
    flows(keep_op);
    if (opt_.memory_counters) memory_counters(ranks_on);
    if (opt_.link_counters) link_counters();
    out_ << "\n]}\n";
  }

 private:
  // Devices are processes 1.. (Perfetto takes pid 0 for its idle process);
  // the network's counters follow them.
  static std::uint64_t pid(DeviceId d) { return std::uint64_t{d} + 1; }
  std::uint64_t network_pid() const { return std::uint64_t{in_.topology.num_devices()} + 1; }

  // The first op (by start) that waits on `recv`: an op depending on it, or
  // else the next op of its stream (`next_on_stream`). nullopt when none is kept.
  template <class Keep>
  std::optional<OpId> consumer_of(OpId recv, const std::vector<std::vector<OpId>>& dependents,
                                  const std::vector<std::optional<OpId>>& next_on_stream, const Keep& keep) const {
    std::optional<OpId> best;
    for (OpId c : dependents[idx(recv)])
      if (keep(c) && (!best || in_.timeline.at(c).start_s < in_.timeline.at(*best).start_s)) best = c;
    if (!best && next_on_stream[idx(recv)] && keep(*next_on_stream[idx(recv)])) best = next_on_stream[idx(recv)];
    return best;
  }

  // A flow arrow from each Send to the op that consumes what it sent. Both
  // ends bind to their slice as DevTools binds them: the same ts, pid, tid
  // and cat as the slice, and the two ends of one flow the same cat — so
  // every slice has one cat (kCat), its category an arg.
  template <class Keep>
  void flows(const Keep& keep_op) {
    const Program& p = in_.program;
    std::vector<std::vector<OpId>> dependents(p.num_ops());
    std::vector<std::optional<OpId>> next_on_stream(p.num_ops());
    std::map<std::pair<RankId, std::size_t>, OpId> last_on_stream;
    for (std::size_t i = 0; i < p.num_ops(); ++i) {
      const OpId id = op_id(i);
      for (OpId d : p.deps(id)) dependents[idx(d)].push_back(id);
      const auto [it, fresh] = last_on_stream.try_emplace({p.op(id).rank, idx(p.op(id).stream)}, id);
      if (!fresh) {
        next_on_stream[idx(it->second)] = id;
        it->second = id;
      }
    }
    for (std::size_t i = 0; i < p.num_ops(); ++i) {
      const OpId id = op_id(i);
      const Op& o = p.op(id);
      if (o.kind != OpKind::kSend || !keep_op(id)) continue;
      const std::optional<OpId> recv = in_.matching.partner(id);
      if (!recv) continue;
      const std::optional<OpId> to = consumer_of(*recv, dependents, next_on_stream, keep_op);
      if (!to) continue;
      const Op& co = p.op(*to);
      const std::int64_t from_ts = trace_ticks(in_.timeline.at(id).start_s), to_ts = trace_ticks(in_.timeline.at(*to).start_s);
      if (to_ts <= from_ts) continue;  // not drawable: a viewer keys a flow's ends by time
      event(fmt::format(R"({{"ph":"s","id":{},"cat":"{}","name":"message","pid":{},"tid":{},"ts":{}}})", i, kCat,
                        pid(dev_of(o.rank)), tid(o.rank, idx(o.stream)), trace_us_text(from_ts)));
      event(fmt::format(R"({{"ph":"f","bp":"e","id":{},"cat":"{}","name":"message","pid":{},"tid":{},"ts":{}}})", i,
                        kCat, pid(dev_of(co.rank)), tid(co.rank, idx(co.stream)), trace_us_text(to_ts)));
    }
  }

  const char* category_name(OpId id) const {
    const OpCategory cat = op_kind_info(in_.program.op(id).kind).category;
    return cat == OpCategory::kComm ? "comm" : cat == OpCategory::kCompute ? "compute" : "memory";
  }
  std::uint64_t tid(RankId r, std::size_t stream) const { return std::uint64_t{r} * in_.program.num_streams() + stream + 1; }
  DeviceId dev_of(RankId r) const { return in_.timeline.placement[r]; }

  void slice(OpId id) {
    const Program& p = in_.program;
    const Op& o = p.op(id);
    const OpTiming& t = in_.timeline.at(id);
    const auto ts = trace_ticks(t.start_s), te = trace_ticks(t.end_s), tr = trace_ticks(t.ready_s);
    const OpCategory cat = op_kind_info(o.kind).category;
    const std::string name = p.op_label(id);
    const auto P = pid(dev_of(o.rank));
    const auto T = tid(o.rank, idx(o.stream));
    if (cat == OpCategory::kComm && ts > tr)
      event(fmt::format(R"({{"ph":"X","name":"wait","cat":"{}","pid":{},"tid":{},"ts":{},"dur":{},"args":{{"category":"wait"}}}})",
                        kCat, P, T, trace_us_text(tr), trace_dur_text(tr, ts)));
    std::string args =
        fmt::format(R"("category":"{}","op":{},"layer":{},"step":{})", category_name(id), idx(id), o.layer, o.step);
    std::string shapes;
    for (BufferId b : p.operands(id)) {
      const Buffer& buf = p.buffer(b);
      if (!shapes.empty()) shapes += ", ";
      shapes += fmt::format("{} [{},{},{}] {}", p.buffer_name(b), buf.rows, buf.heads, buf.cols, dtype_name(buf.dtype));
    }
    args += fmt::format(R"(,"operands":"{}")", escape(shapes));
    const double seconds = static_cast<double>(te - ts) / (static_cast<double>(kTraceTicksPerUs) * 1e6);  // as shown
    if (cat == OpCategory::kComm) {
      // What crosses the wire: a Send's message, what a Recv receives, a
      // collective member's bandwidth-optimal volume (program/comm_volume.h).
      double wire = op_bytes_sent(p, id);
      if (o.kind == OpKind::kRecv)
        for (BufferId b : p.operands(id)) wire += static_cast<double>(p.buffer(b).bytes());
      args += fmt::format(R"(,"wire_bytes":{:.0f})", wire);
      if (seconds > 0) args += fmt::format(R"(,"GB/s":{:.2f})", wire / seconds / 1e9);
      args += fmt::format(R"(,"wait_us":{})", trace_us_text(ts - tr));
    } else {
      if (!in_.op_bytes.empty()) args += fmt::format(R"(,"memory_bytes":{:.0f})", in_.op_bytes[idx(id)]);
      if (!in_.op_flops.empty()) {
        args += fmt::format(R"(,"flops":{:.0f})", in_.op_flops[idx(id)]);
        if (seconds > 0 && in_.op_flops[idx(id)] > 0)
          args += fmt::format(R"(,"TFLOP/s":{:.1f})", in_.op_flops[idx(id)] / seconds / 1e12);
      }
    }
    if (o.work > 0) args += fmt::format(R"(,"pairs_per_head":{})", o.work);
    event(fmt::format(R"({{"ph":"X","name":"{}","cat":"{}","pid":{},"tid":{},"ts":{},"dur":{},"args":{{{}}}}})",
                      escape(name), kCat, P, T, trace_us_text(ts), trace_dur_text(ts, te), args));
  }

  void memory_counters(const std::map<DeviceId, std::vector<RankId>>& ranks_on) {
    const Program& p = in_.program;
    const Timeline& tl = in_.timeline;
    std::vector<double> alloc(p.num_buffers(), tl.makespan_s), release(p.num_buffers(), 0.0);
    for (std::size_t i = 0; i < p.num_ops(); ++i)
      for (BufferId b : p.operands(op_id(i))) {
        const std::size_t r = idx(p.root(b));
        alloc[r] = std::min(alloc[r], tl.ops[i].start_s);
        release[r] = std::max(release[r], tl.ops[i].end_s);
      }
    for (const Binding& bnd : p.inputs()) alloc[idx(p.root(bnd.buffer))] = 0;
    for (const Binding& bnd : p.outputs()) release[idx(p.root(bnd.buffer))] = tl.makespan_s;
    std::map<DeviceId, std::vector<std::pair<std::int64_t, double>>> ev;
    for (std::size_t b = 0; b < p.num_buffers(); ++b) {
      const Buffer& buf = p.buffer(buffer_id(b));
      if (buf.parent || release[b] < alloc[b] || !ranks_on.count(dev_of(buf.rank))) continue;
      ev[dev_of(buf.rank)].emplace_back(trace_ticks(alloc[b]), static_cast<double>(buf.bytes()));
      ev[dev_of(buf.rank)].emplace_back(trace_ticks(release[b]), -static_cast<double>(buf.bytes()));
    }
    for (auto& [dev, e] : ev) {
      std::sort(e.begin(), e.end());
      double live = 0;
      for (std::size_t i = 0; i < e.size(); ++i) {
        live += e[i].second;
        if (i + 1 < e.size() && e[i + 1].first == e[i].first) continue;  // one sample per instant
        if (!in_window(e[i].first)) continue;
        event(fmt::format(R"({{"ph":"C","name":"memory MB","pid":{},"ts":{},"args":{{"in use":{:.3f}}}}})", pid(dev),
                          trace_us_text(e[i].first), std::max(0.0, live) / 1e6));
      }
    }
  }

  void link_counters() {
    const auto& series = in_.timeline.links.rate_series;
    if (series.empty()) return;
    bool any = false;
    for (LinkId l = 0; l < series.size(); ++l) {
      if (series[l].empty()) continue;
      if (!any) {
        event(fmt::format(R"({{"ph":"M","name":"process_name","pid":{},"tid":0,"args":{{"name":"network"}}}})",
                          network_pid()));
        any = true;
      }
      const double cap = l < in_.link_capacity.size() ? in_.link_capacity[l] : in_.topology.link(l).bandwidth_bytes_per_s;
      // Series may be absolute rates (flow model) or +/- steps (analytical):
      // sort by time and, for steps, accumulate.
      auto s = series[l];
      const bool steps = std::any_of(s.begin(), s.end(), [](const auto& x) { return x.second < 0; });
      std::stable_sort(s.begin(), s.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      const Link& link = in_.topology.link(l);
      const std::string name = fmt::format("{} -> {}", in_.topology.vertex(link.from).name, in_.topology.vertex(link.to).name);
      double rate = 0;
      for (std::size_t i = 0; i < s.size(); ++i) {
        rate = steps ? rate + s[i].second : s[i].second;
        if (i + 1 < s.size() && trace_ticks(s[i + 1].first) == trace_ticks(s[i].first)) continue;
        if (!in_window(trace_ticks(s[i].first))) continue;
        event(fmt::format(R"({{"ph":"C","name":"{}","pid":{},"ts":{},"args":{{"utilization":{:.4f}}}}})",
                          escape(name), network_pid(), trace_us_text(trace_ticks(s[i].first)), std::max(0.0, rate) / cap));
      }
    }
  }

  bool in_window(std::int64_t ticks) const {
    if (opt_.begin_s && ticks < trace_ticks(*opt_.begin_s)) return false;
    if (opt_.end_s && ticks > trace_ticks(*opt_.end_s)) return false;
    return true;
  }

  void event(const std::string& e) {
    if (!first_) out_ << ",\n";
    first_ = false;
    out_ << e;
  }

  const TraceInput& in_;
  const TraceOptions& opt_;
  std::ostream& out_;
  bool first_ = true;
};

}  // namespace

void write_chrome_trace(const TraceInput& in, const TraceOptions& options, std::ostream& out) {
  Writer(in, options, out).write();
}

}  // namespace spsim
