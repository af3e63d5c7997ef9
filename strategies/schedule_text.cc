#include "strategies/schedule_text.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace spsim {
namespace {

std::string buffer_label(const Program& p, BufferId id) {
  const Buffer& b = p.buffer(id);
  std::string s(p.buffer_name(id));
  if (b.parent)
    s += "[" + std::to_string(b.row_offset) + ":" + std::to_string(b.row_offset + b.rows) + "]";
  return s;
}

std::uint64_t message_bytes(const Program& p, OpId id) {
  std::uint64_t n = 0;
  for (BufferId b : p.operands(id)) n += p.buffer(b).bytes();
  return n;
}

std::string axis_name(Axis a) { return a == Axis::kRows ? "rows" : "heads"; }

// "send to 1  k v  32 B", "all_gather {0,1,2,3}  k -> k_gathered  16 B -> 64 B", ...
std::string comm_text(const Program& p, OpId id) {
  const Op& o = p.op(id);
  const auto ops = p.operands(id);
  std::string s;
  if (o.kind == OpKind::kSend || o.kind == OpKind::kRecv) {
    s = o.kind == OpKind::kSend ? "send to " : "recv from ";
    s += std::to_string(o.peer) + " ";
    for (BufferId b : ops) s += " " + buffer_label(p, b);
    s += "  " + std::to_string(message_bytes(p, id)) + " B";
    return s;
  }
  const CollectiveSpec spec = CollectiveSpec::decode(o.tag);
  s = std::string(collective_kind_name(spec.kind));
  if (spec.kind == CollectiveKind::kAllToAll)
    s += "(split " + axis_name(spec.split) + ", concat " + axis_name(spec.axis) + ")";
  if (spec.kind == CollectiveKind::kBroadcast) s += "(root " + std::to_string(spec.root) + ")";
  s += " {";
  bool first = true;
  for (RankId r : p.group(GroupId(o.peer))) {
    if (!first) s += ",";
    s += std::to_string(r);
    first = false;
  }
  s += "}  " + buffer_label(p, ops[0]) + " -> " + buffer_label(p, ops[1]) + "  " +
       std::to_string(p.buffer(ops[0]).bytes()) + " B -> " + std::to_string(p.buffer(ops[1]).bytes()) + " B";
  return s;
}

// "attn_merge  part_out part_lse -> +out +lse"
std::string compute_text(const Program& p, OpId id) {
  const Op& o = p.op(id);
  const auto ops = p.operands(id);
  std::string reads, writes;
  for (std::size_t k = 0; k < ops.size(); ++k) {
    const Access a = operand_access(o.kind, k);
    std::string& dst = a == Access::kRead ? reads : writes;
    if (!dst.empty()) dst += " ";
    if (a == Access::kUpdate) dst += "+";
    dst += buffer_label(p, ops[k]);
  }
  std::string s = std::string(op_kind_name(o.kind)) + "  " + reads + " -> " + writes;
  if (o.kind == OpKind::kLinStateSum && o.tag < kNumStateRanges)
    s += "  " + std::string(state_range_name(static_cast<StateRange>(o.tag))) + " member " + std::to_string(o.peer);
  if (o.work != 0) s += "  work " + std::to_string(o.work);
  return s;
}

}  // namespace

std::string schedule_text(const Program& p, RankId rank) {
  if (rank >= p.num_ranks())
    throw std::out_of_range("schedule_text: rank " + std::to_string(rank) + " of a program with " +
                            std::to_string(p.num_ranks()) + " ranks");
  // Position of each of the rank's ops on its stream, and the ops of each stream.
  std::vector<std::uint32_t> position(p.num_ops(), 0);
  std::vector<std::vector<OpId>> by_stream(p.num_streams());
  for (std::size_t i = 0; i < p.num_ops(); ++i) {
    const Op& o = p.op(op_id(i));
    if (o.rank != rank) continue;
    auto& list = by_stream[idx(o.stream)];
    position[i] = static_cast<std::uint32_t>(list.size());
    list.push_back(op_id(i));
  }

  std::string out = "rank " + std::to_string(rank) + " of " + std::to_string(p.num_ranks()) + "\n";
  for (std::size_t s = 0; s < by_stream.size(); ++s) {
    if (by_stream[s].empty()) continue;
    out += "  " + std::string(p.stream_name(StreamId(static_cast<std::uint16_t>(s)))) + "\n";
    for (OpId id : by_stream[s]) {
      const Op& o = p.op(id);
      std::string line = "    " + std::to_string(position[idx(id)]) + "  ";
      if (o.layer != 0) line += "L" + std::to_string(o.layer) + ".";
      line += "s" + std::to_string(o.step) + "  ";
      line += op_kind_info(o.kind).category == OpCategory::kComm ? comm_text(p, id) : compute_text(p, id);
      std::string after;
      std::vector<OpId> listed;  // a dependency may be declared twice; list it once
      for (OpId d : p.deps(id)) {
        const Op& dep = p.op(d);
        if (dep.stream == o.stream || std::find(listed.begin(), listed.end(), d) != listed.end()) continue;
        listed.push_back(d);
        after += after.empty() ? "  after " : ", ";
        after += std::string(p.stream_name(dep.stream)) + "." + std::to_string(position[idx(d)]);
      }
      out += line + after + "\n";
    }
  }
  return out;
}

}  // namespace spsim
