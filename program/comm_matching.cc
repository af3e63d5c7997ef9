#include "program/comm_matching.h"

#include <algorithm>
#include <tuple>

#include "program/layout_compare.h"

namespace spsim {
namespace {

struct P2PKey {
  std::uint64_t pair;  // src << 32 | dst
  std::uint32_t tag;
  std::uint32_t op;
  auto key() const { return std::tie(pair, tag); }
  friend bool operator<(const P2PKey& a, const P2PKey& b) {
    return std::tie(a.pair, a.tag, a.op) < std::tie(b.pair, b.tag, b.op);
  }
};

std::string shape_str(const Buffer& b) {
  return "[" + std::to_string(b.rows) + ", " + std::to_string(b.heads) + ", " +
         std::to_string(b.cols) + "] " + std::string(dtype_name(b.dtype));
}

void match_p2p(const Program& p, std::vector<std::uint32_t>& link) {
  std::vector<P2PKey> sends, recvs;
  for (std::size_t i = 0; i < p.num_ops(); ++i) {
    const Op& o = p.op(OpId(static_cast<std::uint32_t>(i)));
    if (o.kind == OpKind::kSend)
      sends.push_back({std::uint64_t{o.rank} << 32 | o.peer, o.tag, static_cast<std::uint32_t>(i)});
    else if (o.kind == OpKind::kRecv)
      recvs.push_back({std::uint64_t{o.peer} << 32 | o.rank, o.tag, static_cast<std::uint32_t>(i)});
  }
  std::sort(sends.begin(), sends.end());
  std::sort(recvs.begin(), recvs.end());
  std::size_t i = 0, j = 0;
  while (i < sends.size() || j < recvs.size()) {
    if (j == recvs.size() || (i < sends.size() && sends[i].key() < recvs[j].key()))
      throw ProgramError(p.describe_op(OpId(sends[i].op)) + " has no matching recv");
    if (i == sends.size() || recvs[j].key() < sends[i].key())
      throw ProgramError(p.describe_op(OpId(recvs[j].op)) + " has no matching send");
    const OpId s{sends[i].op}, r{recvs[j].op};
    const auto sbufs = p.operands(s), rbufs = p.operands(r);
    if (sbufs.size() != rbufs.size())
      throw ProgramError(p.describe_op(s) + " sends " + std::to_string(sbufs.size()) + " buffers but " +
                         p.describe_op(r) + " receives " + std::to_string(rbufs.size()));
    for (std::size_t k = 0; k < sbufs.size(); ++k) {
      const Buffer& sb = p.buffer(sbufs[k]);
      const Buffer& rb = p.buffer(rbufs[k]);
      if (sb.bytes() != rb.bytes() || sb.elements() != rb.elements())
        throw ProgramError(p.describe_op(s) + " sends " + shape_str(sb) + " but " + p.describe_op(r) +
                           " receives " + shape_str(rb));
      if (sb.layout.has_value() != rb.layout.has_value() || sb.head_begin != rb.head_begin ||
          sb.heads != rb.heads || sb.cols != rb.cols ||
          (sb.layout && *sb.layout != *rb.layout &&
           !same_positions(p.layout(*sb.layout), p.layout(*rb.layout))))
        throw ProgramError(p.describe_op(r) + " receives into a buffer whose positions or heads differ from what " +
                           p.describe_op(s) + " sends");
    }
    link[idx(s)] = idx(r);
    link[idx(r)] = idx(s);
    ++i;
    ++j;
  }
}

// Checks that the members of one collective instance agree; throws otherwise.
void check_instance(const Program& p, std::span<const OpId> ops) {
  const std::size_t n = ops.size();
  const OpId first = ops[0];
  const CollectiveSpec spec = CollectiveSpec::decode(p.op(first).tag);
  const Buffer& in0 = p.buffer(p.operands(first)[0]);
  auto fail = [&](OpId at, const std::string& what) {
    throw ProgramError(p.describe_op(at) + ": " + what);
  };
  for (std::size_t j = 0; j < n; ++j) {
    const OpId o = ops[j];
    if (CollectiveSpec::decode(p.op(o).tag) != spec)
      fail(o, "collective kind/axes differ from " + p.describe_op(first));
    const Buffer& in = p.buffer(p.operands(o)[0]);
    const Buffer& out = p.buffer(p.operands(o)[1]);
    if (in.dtype != out.dtype || in.dtype != in0.dtype) fail(o, "dtypes differ within the collective");
    if (in.rows != in0.rows || in.heads != in0.heads || in.cols != in0.cols)
      fail(o, "input " + shape_str(in) + " differs from member 0's " + shape_str(in0));
    const auto N = static_cast<std::uint32_t>(n);
    std::uint32_t want_rows = in.rows, want_heads = in.heads;
    switch (spec.kind) {
      case CollectiveKind::kAllGather:
        (spec.axis == Axis::kRows ? want_rows : want_heads) *= N;
        break;
      case CollectiveKind::kReduceScatter: {
        std::uint32_t& d = spec.axis == Axis::kRows ? want_rows : want_heads;
        if (d % N != 0) fail(o, "reduce-scatter input not divisible by the group size");
        d /= N;
        break;
      }
      case CollectiveKind::kAllToAll: {
        std::uint32_t& s = spec.split == Axis::kRows ? want_rows : want_heads;
        if (s % N != 0) fail(o, "all-to-all input not divisible by the group size along its split axis");
        s /= N;
        (spec.axis == Axis::kRows ? want_rows : want_heads) *= N;
        break;
      }
      case CollectiveKind::kAllReduce:
      case CollectiveKind::kBroadcast: break;
    }
    if (out.rows != want_rows || out.heads != want_heads || out.cols != in.cols)
      fail(o, "output " + shape_str(out) + " but the collective produces [" +
                  std::to_string(want_rows) + ", " + std::to_string(want_heads) + ", " +
                  std::to_string(in.cols) + "]");
  }
  // Row positions of outputs, where the collective defines them.
  const bool gathers_rows = (spec.kind == CollectiveKind::kAllGather && spec.axis == Axis::kRows) ||
                            (spec.kind == CollectiveKind::kAllToAll && spec.axis == Axis::kRows &&
                             spec.split == Axis::kHeads);
  if (gathers_rows && in0.layout) {
    TokenLayout concat;
    for (OpId o : ops) {
      const Buffer& in = p.buffer(p.operands(o)[0]);
      if (!in.layout) fail(o, "gathers rows of a buffer without a token layout");
      const auto runs = p.layout(*in.layout);
      concat.insert(concat.end(), runs.begin(), runs.end());
    }
    for (OpId o : ops) {
      const Buffer& out = p.buffer(p.operands(o)[1]);
      if (!out.layout || !same_positions(p.layout(*out.layout), concat))
        fail(o, "output rows' positions are not the members' input positions in group order");
    }
  }
  const bool scatters_rows =
      (spec.kind == CollectiveKind::kReduceScatter && spec.axis == Axis::kRows) ||
      (spec.kind == CollectiveKind::kAllToAll && spec.split == Axis::kRows &&
       spec.axis == Axis::kHeads);
  if (scatters_rows && in0.layout) {
    const auto in_runs = p.layout(*in0.layout);
    const std::int64_t part = in0.rows / static_cast<std::int64_t>(n);
    for (std::size_t j = 0; j < n; ++j) {
      const Buffer& in = p.buffer(p.operands(ops[j])[0]);
      if (!in.layout || !same_positions(p.layout(*in.layout), in_runs))
        fail(ops[j], "scatters rows whose positions differ from member 0's input");
      const Buffer& out = p.buffer(p.operands(ops[j])[1]);
      if (!out.layout ||
          !same_positions(p.layout(*out.layout),
                          slice_layout(in_runs, static_cast<std::int64_t>(j) * part, part)))
        fail(ops[j], "output rows' positions are not this member's share of the input");
    }
  }
  // Head ranges where heads are split or gathered.
  for (std::size_t j = 0; j < n; ++j) {
    const Buffer& in = p.buffer(p.operands(ops[j])[0]);
    const Buffer& out = p.buffer(p.operands(ops[j])[1]);
    std::uint32_t want_begin = in.head_begin;
    if (spec.kind == CollectiveKind::kAllToAll && spec.split == Axis::kHeads)
      want_begin = in0.head_begin + static_cast<std::uint32_t>(j) * (in0.heads / n);
    if (spec.kind == CollectiveKind::kReduceScatter && spec.axis == Axis::kHeads)
      want_begin = in0.head_begin + static_cast<std::uint32_t>(j) * out.heads;
    if (spec.kind == CollectiveKind::kAllGather && spec.axis == Axis::kHeads)
      want_begin = p.buffer(p.operands(ops[0])[0]).head_begin;
    if (spec.kind == CollectiveKind::kAllToAll && spec.axis == Axis::kHeads)
      want_begin = p.buffer(p.operands(ops[0])[0]).head_begin;
    if (out.head_begin != want_begin)
      fail(ops[j], "output starts at head " + std::to_string(out.head_begin) + ", expected " +
                       std::to_string(want_begin));
  }
}

struct CollKey {
  std::uint32_t group, rank, op;
  friend bool operator<(const CollKey& a, const CollKey& b) {
    return std::tie(a.group, a.rank, a.op) < std::tie(b.group, b.rank, b.op);
  }
};

}  // namespace

CommMatching match_communication(const Program& p) {
  CommMatching m;
  m.link_.assign(p.num_ops(), 0);
  match_p2p(p, m.link_);

  std::vector<CollKey> colls;
  for (std::size_t i = 0; i < p.num_ops(); ++i) {
    const Op& o = p.op(OpId(static_cast<std::uint32_t>(i)));
    if (o.kind == OpKind::kCollective) colls.push_back({o.peer, o.rank, static_cast<std::uint32_t>(i)});
  }
  std::sort(colls.begin(), colls.end());
  std::size_t pos = 0;
  while (pos < colls.size()) {
    const std::uint32_t g = colls[pos].group;
    const auto members = p.group(GroupId(g));
    // Slices of `colls` per member, in group order.
    std::vector<std::pair<std::size_t, std::size_t>> per_member(members.size());
    std::size_t end = pos;
    while (end < colls.size() && colls[end].group == g) ++end;
    std::optional<std::size_t> count;
    std::optional<OpId> counted_by;
    for (std::size_t j = 0; j < members.size(); ++j) {
      auto lo = std::lower_bound(colls.begin() + static_cast<std::ptrdiff_t>(pos), colls.begin() + static_cast<std::ptrdiff_t>(end),
                                 CollKey{g, members[j], 0});
      auto hi = std::lower_bound(lo, colls.begin() + static_cast<std::ptrdiff_t>(end), CollKey{g, members[j] + 1, 0});
      const auto c = static_cast<std::size_t>(hi - lo);
      per_member[j] = {static_cast<std::size_t>(lo - colls.begin()), c};
      if (!count) {
        count = c;
        if (c > 0) counted_by = OpId(lo->op);
      } else if (*count != c) {
        const OpId witness = c > 0 ? OpId(lo->op) : *counted_by;
        throw ProgramError("group " + std::to_string(g) + ": rank " + std::to_string(members[j]) +
                           " issues " + std::to_string(c) + " collectives but rank " +
                           std::to_string(members[0]) + " issues " + std::to_string(*count) +
                           " (see " + p.describe_op(witness) + ")");
      }
    }
    for (std::size_t k = 0; k < *count; ++k) {
      const auto inst = static_cast<std::uint32_t>(m.instance_begin_.size() - 1);
      for (std::size_t j = 0; j < members.size(); ++j) {
        const OpId o{colls[per_member[j].first + k].op};
        m.instance_ops_.push_back(o);
        m.link_[idx(o)] = inst;
      }
      m.instance_begin_.push_back(static_cast<std::uint32_t>(m.instance_ops_.size()));
      check_instance(p, m.members(inst));
    }
    pos = end;
  }
  return m;
}

}  // namespace spsim
