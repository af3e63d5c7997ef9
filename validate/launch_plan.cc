#include "validate/launch_plan.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "program/op_graph.h"

namespace spsim {
namespace {

// Per op, a vector clock over the S streams of its rank: entry s = how many
// ops of stream s (counted from 1) are known complete when the op completes.
class Clocks {
 public:
  Clocks(std::size_t ops, std::size_t streams) : s_(streams), v_(ops * streams, 0) {}
  std::span<std::uint32_t> of(std::size_t op) { return {v_.data() + op * s_, s_}; }
  std::span<const std::uint32_t> of(std::size_t op) const { return {v_.data() + op * s_, s_}; }

 private:
  std::size_t s_;
  std::vector<std::uint32_t> v_;
};

void merge(std::span<std::uint32_t> into, std::span<const std::uint32_t> from) {
  for (std::size_t i = 0; i < into.size(); ++i) into[i] = std::max(into[i], from[i]);
}

// The ops of the launch unit `u`.
std::vector<OpId> unit_ops(const LaunchUnit& u, const CommMatching& m) {
  switch (u.kind) {
    case LaunchUnit::Kind::kOp: return {OpId(u.id)};
    case LaunchUnit::Kind::kP2P: return {OpId(u.id), m.partner(OpId(u.id))};
    case LaunchUnit::Kind::kCollective: {
      const auto ms = m.members(u.id);
      return {ms.begin(), ms.end()};
    }
  }
  return {};
}

}  // namespace

LaunchPlan make_launch_plan(const Program& p, const CommMatching& m) {
  const std::size_t S = p.num_streams();
  LaunchPlan plan;
  plan.num_streams = static_cast<std::uint32_t>(p.num_ranks() * S);
  plan.ops.resize(p.num_ops());

  // Streams and the minimal waits, in op id order (deps and stream
  // predecessors are earlier ops of the same rank).
  const OpGraph graph(p);
  Clocks clock(p.num_ops(), S);
  std::vector<std::uint32_t> count(p.num_ranks() * S, 0);  // ops issued per CUDA stream so far
  std::vector<std::uint32_t> event_of(p.num_ops(), kNoEvent);
  std::vector<std::uint32_t> pos(p.num_ops());
  std::vector<OpId> candidates;
  for (std::size_t i = 0; i < p.num_ops(); ++i) {
    const OpId id = op_id(i);
    const Op& o = p.op(id);
    const std::uint32_t cs = static_cast<std::uint32_t>(o.rank * S + idx(o.stream));
    OpLaunch& l = plan.ops[i];
    l.stream = cs;
    pos[i] = ++count[cs];
    auto vc = clock.of(i);
    if (const auto prev = graph.stream_prev(id)) merge(vc, clock.of(idx(*prev)));
    // Latest deps first: a later op of a stream covers the earlier ones, and an
    // op never covers one issued after it, so every wait kept is needed.
    candidates.assign(p.deps(id).begin(), p.deps(id).end());
    std::sort(candidates.begin(), candidates.end(), [](OpId a, OpId b) { return idx(a) > idx(b); });
    l.wait_begin = static_cast<std::uint32_t>(plan.waits.size());
    for (OpId d : candidates) {
      const std::size_t ds = idx(p.op(d).stream);
      if (vc[ds] >= pos[idx(d)]) continue;  // already complete when this op starts
      if (event_of[idx(d)] == kNoEvent) event_of[idx(d)] = plan.num_events++;
      plan.waits.push_back(event_of[idx(d)]);
      merge(vc, clock.of(idx(d)));
    }
    l.wait_end = static_cast<std::uint32_t>(plan.waits.size());
    vc[idx(o.stream)] = pos[i];
  }
  for (std::size_t i = 0; i < p.num_ops(); ++i) plan.ops[i].record = event_of[i];

  // Communicators, keyed by (ranks, IR stream).
  std::map<std::pair<std::vector<RankId>, std::uint16_t>, std::uint32_t> comm_index;
  auto comm_for = [&](std::vector<RankId> ranks, StreamId s) {
    auto [it, fresh] = comm_index.try_emplace({ranks, static_cast<std::uint16_t>(idx(s))},
                                              static_cast<std::uint32_t>(plan.comms.size()));
    if (fresh) plan.comms.push_back({std::move(ranks), s});
    return it->second;
  };
  std::vector<RankId> world(p.num_ranks());
  for (RankId r = 0; r < p.num_ranks(); ++r) world[r] = r;

  // Host order: the launch units in a topological order (FIFO).
  ReadyTracker ready(p, graph, m);
  std::vector<LaunchUnit> units, next;
  ready.take_launchable(units);
  while (!units.empty()) {
    next.clear();
    for (const LaunchUnit& u : units) {
      LaunchGroup g;
      g.ops = unit_ops(u, m);
      if (u.kind == LaunchUnit::Kind::kP2P) {
        const std::uint32_t c = comm_for(world, p.op(g.ops[0]).stream);
        for (OpId o : g.ops) plan.ops[idx(o)].comm = c;
      } else if (u.kind == LaunchUnit::Kind::kCollective) {
        const auto group = p.group(GroupId(p.op(g.ops[0]).peer));
        const std::uint32_t c = comm_for({group.begin(), group.end()}, p.op(g.ops[0]).stream);
        for (OpId o : g.ops) plan.ops[idx(o)].comm = c;
      }
      for (OpId o : g.ops) ready.complete(o);
      plan.order.push_back(std::move(g));
      ready.take_launchable(next);
    }
    std::swap(units, next);
  }
  if (!ready.all_complete()) {
    const auto waiting = ready.waiting_for_partners();
    throw ProgramError("the program cannot be issued: " +
                       (waiting.empty() ? std::string("ops never become ready")
                                        : p.describe_op(waiting.front()) + " never meets its partners"));
  }
  return plan;
}

std::optional<std::string> check_launch_plan(const Program& p, const CommMatching& m, const LaunchPlan& plan) {
  const std::size_t S = p.num_streams();
  if (plan.ops.size() != p.num_ops()) return "the plan has " + std::to_string(plan.ops.size()) + " ops, the program " +
                                              std::to_string(p.num_ops());
  if (plan.num_streams != p.num_ranks() * S) return "the plan has the wrong number of streams";
  std::vector<std::uint8_t> issued(p.num_ops(), 0);
  std::vector<std::uint32_t> count(plan.num_streams, 0), pos(p.num_ops(), 0);
  std::vector<std::int64_t> last_on_stream(plan.num_streams, -1);
  std::vector<std::int64_t> event_op(plan.num_events, -1);  // the op the event was last recorded after
  Clocks clock(p.num_ops(), S);
  std::vector<std::uint32_t> event_clock(std::size_t{plan.num_events} * S, 0);
  for (std::size_t gi = 0; gi < plan.order.size(); ++gi) {
    const LaunchGroup& g = plan.order[gi];
    if (g.ops.empty()) return "launch group " + std::to_string(gi) + " is empty";
    // The group must be exactly one launch unit.
    const Op& first = p.op(g.ops[0]);
    std::vector<OpId> want;
    if (first.kind == OpKind::kSend || first.kind == OpKind::kRecv) want = {g.ops[0], m.partner(g.ops[0])};
    else if (first.kind == OpKind::kCollective) {
      const auto ms = m.members(m.instance(g.ops[0]));
      want.assign(ms.begin(), ms.end());
    } else want = {g.ops[0]};
    std::vector<OpId> have = g.ops;
    std::sort(have.begin(), have.end());
    std::sort(want.begin(), want.end());
    if (have != want)
      return "launch group " + std::to_string(gi) + " is not one whole unit around " + p.describe_op(g.ops[0]);
    for (OpId id : g.ops) {
      const std::size_t i = idx(id);
      if (issued[i]++) return p.describe_op(id) + " is issued twice";
      const OpLaunch& l = plan.ops[i];
      const Op& o = p.op(id);
      if (l.stream >= plan.num_streams || l.stream / S != o.rank)
        return p.describe_op(id) + " is issued to a stream of another rank";
      pos[i] = ++count[l.stream];
      auto vc = clock.of(i);
      if (last_on_stream[l.stream] >= 0) merge(vc, clock.of(static_cast<std::size_t>(last_on_stream[l.stream])));
      for (std::uint32_t w = l.wait_begin; w < l.wait_end; ++w) {
        const std::uint32_t e = plan.waits[w];
        if (e >= plan.num_events || event_op[e] < 0)
          return p.describe_op(id) + " waits on event " + std::to_string(e) + " before it is recorded";
        if (p.op(OpId(static_cast<std::uint32_t>(event_op[e]))).rank != o.rank)
          return p.describe_op(id) + " waits on an event of another rank";
        merge(vc, {event_clock.data() + std::size_t{e} * S, S});
      }
      vc[l.stream % S] = pos[i];
      if (l.record != kNoEvent) {
        if (l.record >= plan.num_events) return p.describe_op(id) + " records an event out of range";
        event_op[l.record] = static_cast<std::int64_t>(i);
        std::copy(vc.begin(), vc.end(), event_clock.begin() + static_cast<std::ptrdiff_t>(std::size_t{l.record} * S));
      }
      last_on_stream[l.stream] = static_cast<std::int64_t>(i);
    }
  }
  for (std::size_t i = 0; i < p.num_ops(); ++i)
    if (!issued[i]) return p.describe_op(op_id(i)) + " is never issued";
  // Every IR edge (stream order and deps) must be implied.
  const OpGraph graph(p);
  for (std::size_t i = 0; i < p.num_ops(); ++i) {
    const OpId b = op_id(i);
    auto implied = [&](OpId a) { return clock.of(i)[plan.ops[idx(a)].stream % S] >= pos[idx(a)]; };
    if (const auto prev = graph.stream_prev(b); prev && !implied(*prev))
      return p.describe_op(b) + " may start before " + p.describe_op(*prev) + ", which precedes it on its stream";
    for (OpId a : p.deps(b))
      if (!implied(a)) return p.describe_op(b) + " may start before " + p.describe_op(a) + ", which it depends on";
  }
  return std::nullopt;
}

CollectivePacking collective_packing(const Program& p, const CommMatching& m, OpId id) {
  const Op& o = p.op(id);
  const CollectiveSpec spec = CollectiveSpec::decode(o.tag);
  const std::uint32_t n = static_cast<std::uint32_t>(m.members(m.instance(id)).size());
  const Buffer& in = p.buffer(p.operands(id)[0]);
  const Buffer& out = p.buffer(p.operands(id)[1]);
  CollectivePacking c;
  c.parts = n;
  c.send_part_rows = in.rows;
  c.send_part_heads = in.heads;
  c.recv_part_rows = out.rows;
  c.recv_part_heads = out.heads;
  switch (spec.kind) {
    case CollectiveKind::kAllGather:
      // Each member contributes its whole input; part j of the result is member j's.
      c.recv_part_rows = in.rows;
      c.recv_part_heads = in.heads;
      if (spec.axis == Axis::kHeads) {
        c.recv_staged = true;
        for (std::uint32_t j = 0; j < n; ++j) c.unpack.push_back({j, 0, 0, 0, j * in.heads, in.rows, in.heads});
      }
      break;
    case CollectiveKind::kReduceScatter:
      c.send_part_rows = out.rows;
      c.send_part_heads = out.heads;
      if (spec.axis == Axis::kHeads) {
        c.send_staged = true;
        for (std::uint32_t j = 0; j < n; ++j) c.pack.push_back({j, 0, j * out.heads, 0, 0, out.rows, out.heads});
      }
      break;
    case CollectiveKind::kAllToAll: {
      const bool split_rows = spec.split == Axis::kRows;
      c.send_part_rows = split_rows ? in.rows / n : in.rows;
      c.send_part_heads = split_rows ? in.heads : in.heads / n;
      // What arrives from each member is one of its parts: the same shape.
      c.recv_part_rows = c.send_part_rows;
      c.recv_part_heads = c.send_part_heads;
      if (!split_rows) {
        c.send_staged = true;
        for (std::uint32_t j = 0; j < n; ++j)
          c.pack.push_back({j, 0, j * c.send_part_heads, 0, 0, c.send_part_rows, c.send_part_heads});
      }
      if (spec.axis == Axis::kHeads) {
        c.recv_staged = true;
        for (std::uint32_t j = 0; j < n; ++j)
          c.unpack.push_back({j, 0, 0, 0, j * c.recv_part_heads, c.recv_part_rows, c.recv_part_heads});
      }
      break;
    }
    case CollectiveKind::kAllReduce:
    case CollectiveKind::kBroadcast:
      c.parts = 1;
      break;
  }
  return c;
}

namespace {

// Row of each position of a buffer (its layout expanded).
std::unordered_map<std::uint64_t, std::uint32_t> row_index(const std::vector<TokenPos>& pos) {
  std::unordered_map<std::uint64_t, std::uint32_t> index;
  index.reserve(pos.size());
  for (std::uint32_t r = 0; r < pos.size(); ++r)
    index.emplace((std::uint64_t{pos[r].seq} << 32) ^ static_cast<std::uint64_t>(pos[r].pos), r);
  return index;
}

std::uint64_t key(TokenPos t) { return (std::uint64_t{t.seq} << 32) ^ static_cast<std::uint64_t>(t.pos); }

std::vector<TokenPos> rows_of(const Program& p, BufferId b) {
  const Buffer& buf = p.buffer(b);
  if (!buf.layout) throw ProgramError(p.describe_buffer(b) + " has no token layout");
  return expand_layout(p.layout(*buf.layout));
}

std::vector<TokenPos> cols_of(const Program& p, BufferId b) {
  const Buffer& buf = p.buffer(b);
  if (!buf.col_layout) throw ProgramError(p.describe_buffer(b) + " is not a score buffer");
  return expand_layout(p.layout(*buf.col_layout));
}

// For each position of `from`, its row in `in` (ProgramError when missing, or
// kNoRow when allowed).
std::vector<std::uint32_t> map_positions(const Program& p, const std::vector<TokenPos>& from,
                                         const std::vector<TokenPos>& in, BufferId from_b, BufferId in_b,
                                         bool allow_missing) {
  const auto index = row_index(in);
  std::vector<std::uint32_t> out(from.size());
  for (std::size_t r = 0; r < from.size(); ++r) {
    const auto it = index.find(key(from[r]));
    if (it == index.end()) {
      if (!allow_missing)
        throw ProgramError(p.describe_buffer(from_b) + ": position (" + std::to_string(from[r].seq) + ", " +
                           std::to_string(from[r].pos) + ") is not in " + p.describe_buffer(in_b));
      out[r] = 0xffffffffu;
      continue;
    }
    out[r] = it->second;
  }
  return out;
}

}  // namespace

std::vector<std::uint32_t> gather_rows_map(const Program& p, BufferId src, BufferId dst) {
  return map_positions(p, rows_of(p, dst), rows_of(p, src), dst, src, false);
}

std::vector<std::uint32_t> scatter_rows_map(const Program& p, BufferId src, BufferId dst) {
  return map_positions(p, rows_of(p, src), rows_of(p, dst), src, dst, false);
}

std::vector<std::uint32_t> score_columns(const Program& p, BufferId scores, BufferId keys) {
  return map_positions(p, rows_of(p, keys), cols_of(p, scores), keys, scores, false);
}

std::vector<std::uint32_t> score_column_rows(const Program& p, BufferId scores, BufferId full) {
  return map_positions(p, cols_of(p, scores), rows_of(p, full), scores, full, true);
}

std::vector<double> replay_memory_bytes(const Program& p, const CommMatching& m) {
  std::vector<double> bytes(p.num_ranks(), 0.0);
  for (std::size_t i = 0; i < p.num_buffers(); ++i) {
    const Buffer& buf = p.buffer(buffer_id(i));
    if (buf.parent) continue;
    bytes[buf.rank] += static_cast<double>(buf.bytes());
    // Positions (seq 4 B + pos 8 B per row) of token buffers.
    if (buf.layout) bytes[buf.rank] += 12.0 * buf.rows;
  }
  // Per op: the staging of a collective, its row maps; per distinct Dense
  // matrix its weights; the largest weight gradient of a DenseBwd.
  std::set<std::tuple<RankId, std::uint32_t, std::uint64_t, std::uint64_t>> weights;
  std::vector<double> dw(p.num_ranks(), 0.0);
  for (std::size_t i = 0; i < p.num_ops(); ++i) {
    const OpId id = op_id(i);
    const Op& o = p.op(id);
    const auto ops = p.operands(id);
    if (o.kind == OpKind::kCollective) {
      const CollectivePacking c = collective_packing(p, m, id);
      const Buffer& in = p.buffer(ops[0]);
      const double eb = dtype_bytes(in.dtype);
      // Staged sides, and a reduction's sum (emulated mode sums into a temporary).
      bytes[o.rank] += eb * static_cast<double>(c.send_part_elements(in.cols)) * c.parts;
      bytes[o.rank] += eb * static_cast<double>(c.recv_part_elements(in.cols)) * c.parts;
    } else if (o.kind == OpKind::kDense || o.kind == OpKind::kDenseBwd) {
      const Buffer& in = p.buffer(ops[0]);
      const Buffer& out = p.buffer(ops[1]);  // Dense: out; DenseBwd: dout (both have the out features)
      const std::uint64_t k = std::uint64_t{in.heads} * in.cols, n = std::uint64_t{out.heads} * out.cols;
      const double w = static_cast<double>(k * n) * dtype_bytes(in.dtype);
      if (weights.emplace(o.rank, o.tag, n, k).second) bytes[o.rank] += w;
      if (o.kind == OpKind::kDenseBwd) dw[o.rank] = std::max(dw[o.rank], w);
    } else if (o.kind == OpKind::kCopy || o.kind == OpKind::kAccumulate || o.kind == OpKind::kLinStateSum ||
               (o.kind >= OpKind::kRsaScores && o.kind <= OpKind::kRsaDVFull)) {
      for (BufferId b : ops) bytes[o.rank] += 4.0 * std::max(p.buffer(b).rows, p.buffer(b).cols);
    }
  }
  for (RankId r = 0; r < p.num_ranks(); ++r) bytes[r] += dw[r];
  return bytes;
}

}  // namespace spsim
