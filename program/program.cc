#include "program/program.h"

#include <algorithm>
#include <cstring>

namespace spsim {
namespace {

std::uint64_t hash_runs(std::span<const TokenRun> runs) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a offset basis
  auto mix = [&h](std::uint64_t v) {
    h ^= v;
    h *= 1099511628211ull;  // FNV-1a prime
  };
  for (const auto& r : runs) {
    mix(r.seq);
    mix(static_cast<std::uint64_t>(r.start));
    mix(static_cast<std::uint64_t>(r.count));
    mix(static_cast<std::uint64_t>(r.stride));
  }
  return h;
}

template <class T>
std::size_t vec_bytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

}  // namespace

std::string_view tensor_name(Tensor t) {
  switch (t) {
    case Tensor::kQ: return "q";
    case Tensor::kK: return "k";
    case Tensor::kV: return "v";
    case Tensor::kDOut: return "dout";
    case Tensor::kOut: return "out";
    case Tensor::kLse: return "lse";
    case Tensor::kDQ: return "dq";
    case Tensor::kDK: return "dk";
    case Tensor::kDV: return "dv";
  }
  return "?";
}

std::string Program::op_label(OpId id) const {
  const Op& o = op(id);
  if (o.kind == OpKind::kSend) return "send -> " + std::to_string(o.peer);
  if (o.kind == OpKind::kRecv) return "recv <- " + std::to_string(o.peer);
  if (o.kind == OpKind::kCollective) return std::string(collective_kind_name(CollectiveSpec::decode(o.tag).kind));
  return std::string(op_kind_name(o.kind));
}

std::string Program::describe_op(OpId id) const {
  const Op& o = op(id);
  std::string s = "op " + std::to_string(idx(id)) + " (rank " + std::to_string(o.rank) +
                  ", stream " + std::string(stream_name(o.stream)) + ", " +
                  std::string(op_kind_name(o.kind));
  if (o.kind == OpKind::kSend) s += " to " + std::to_string(o.peer) + " tag " + std::to_string(o.tag);
  if (o.kind == OpKind::kRecv) s += " from " + std::to_string(o.peer) + " tag " + std::to_string(o.tag);
  if (o.kind == OpKind::kCollective)
    s += " " + std::string(collective_kind_name(CollectiveSpec::decode(o.tag).kind)) + " group " +
         std::to_string(o.peer);
  if (o.kind == OpKind::kLinStateSum && o.tag < kNumStateRanges)
    s += " " + std::string(state_range_name(static_cast<StateRange>(o.tag))) + " member " +
         std::to_string(o.peer);
  s += ", layer " + std::to_string(o.layer) + " step " + std::to_string(o.step) + ")";
  return s;
}

std::string Program::describe_buffer(BufferId id) const {
  const Buffer& b = buffer(id);
  return "buffer " + std::to_string(idx(id)) + " '" + std::string(buffer_name(id)) + "' (rank " +
         std::to_string(b.rank) + ", [" + std::to_string(b.rows) + ", " + std::to_string(b.heads) +
         ", " + std::to_string(b.cols) + "] " + std::string(dtype_name(b.dtype)) + ")";
}

std::size_t Program::memory_bytes() const {
  std::size_t n = vec_bytes(ops_) + vec_bytes(operand_begin_) + vec_bytes(operands_) +
                  vec_bytes(dep_begin_) + vec_bytes(deps_) + vec_bytes(buffers_) +
                  vec_bytes(layout_begin_) + vec_bytes(runs_) + vec_bytes(group_begin_) +
                  vec_bytes(group_ranks_) + vec_bytes(inputs_) + vec_bytes(outputs_);
  for (const auto& s : names_) n += sizeof(s) + s.capacity();
  for (const auto& s : stream_names_) n += sizeof(s) + s.capacity();
  return n;
}

ProgramBuilder::ProgramBuilder(std::uint32_t num_ranks, std::uint32_t q_per_kv) {
  if (num_ranks == 0) throw ProgramError("a Program needs at least one rank");
  if (q_per_kv == 0) throw ProgramError("q_per_kv must be at least 1");
  p_.num_ranks_ = num_ranks;
  p_.q_per_kv_ = q_per_kv;
}

StreamId ProgramBuilder::stream(std::string_view name) {
  for (std::size_t i = 0; i < p_.stream_names_.size(); ++i)
    if (p_.stream_names_[i] == name) return StreamId(static_cast<std::uint16_t>(i));
  if (p_.stream_names_.size() >= 0xffff) throw ProgramError("too many stream names");
  p_.stream_names_.emplace_back(name);
  return StreamId(static_cast<std::uint16_t>(p_.stream_names_.size() - 1));
}

GroupId ProgramBuilder::group(std::span<const RankId> ranks) {
  if (ranks.empty()) throw ProgramError("a communication group needs at least one rank");
  std::string key(reinterpret_cast<const char*>(ranks.data()), ranks.size_bytes());
  if (auto it = group_index_.find(key); it != group_index_.end()) return it->second;
  std::vector<RankId> sorted(ranks.begin(), ranks.end());
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    throw ProgramError("a communication group lists a rank twice");
  for (RankId r : ranks)
    if (r >= p_.num_ranks_)
      throw ProgramError("group member " + std::to_string(r) + " is not a rank of the program");
  p_.group_ranks_.insert(p_.group_ranks_.end(), ranks.begin(), ranks.end());
  p_.group_begin_.push_back(static_cast<std::uint32_t>(p_.group_ranks_.size()));
  const GroupId id{static_cast<std::uint32_t>(p_.group_begin_.size() - 2)};
  group_index_.emplace(std::move(key), id);
  return id;
}

LayoutId ProgramBuilder::layout(std::span<const TokenRun> runs) {
  for (const auto& r : runs)
    if (r.count < 0 || r.stride < 1 || r.start < 0)
      throw ProgramError("token run with negative start/count or stride < 1");
  const TokenLayout canon = real_lens_.empty() ? canonical_layout(runs) : canonical_layout(mark_padding(runs, real_lens_));
  const std::uint64_t h = hash_runs(canon);
  auto [lo, hi] = layout_index_.equal_range(h);
  for (auto it = lo; it != hi; ++it) {
    auto existing = p_.layout(it->second);
    if (std::equal(existing.begin(), existing.end(), canon.begin(), canon.end())) return it->second;
  }
  p_.runs_.insert(p_.runs_.end(), canon.begin(), canon.end());
  p_.layout_begin_.push_back(static_cast<std::uint32_t>(p_.runs_.size()));
  const LayoutId id{static_cast<std::uint32_t>(p_.layout_begin_.size() - 2)};
  layout_index_.emplace(h, id);
  return id;
}

NameId ProgramBuilder::intern_name(std::string_view name) {
  auto it = name_index_.find(std::string(name));
  if (it != name_index_.end()) return it->second;
  const NameId id{static_cast<std::uint32_t>(p_.names_.size())};
  p_.names_.emplace_back(name);
  name_index_.emplace(std::string(name), id);
  return id;
}

BufferId ProgramBuilder::token_buffer(RankId rank, std::string_view name, DType dtype,
                                      LayoutId layout, std::uint32_t head_begin,
                                      std::uint32_t heads, std::uint32_t head_dim,
                                      bool zero_init) {
  if (rank >= p_.num_ranks_) throw ProgramError("buffer on rank " + std::to_string(rank) + " of " + std::to_string(p_.num_ranks_));
  const std::int64_t tokens = token_count(p_.layout(layout));
  if (tokens > 0xffffffffll) throw ProgramError("buffer '" + std::string(name) + "' has more than 2^32 rows");
  Buffer b;
  b.rank = rank;
  b.dtype = dtype;
  b.zero_init = zero_init;
  b.name = intern_name(name);
  b.layout = layout;
  b.rows = static_cast<std::uint32_t>(tokens);
  b.head_begin = head_begin;
  b.heads = heads;
  b.cols = head_dim;
  p_.buffers_.push_back(b);
  return BufferId(static_cast<std::uint32_t>(p_.buffers_.size() - 1));
}

BufferId ProgramBuilder::buffer_like(BufferId like, RankId rank, std::string_view name,
                                     std::optional<DType> dtype, bool zero_init) {
  if (rank >= p_.num_ranks_) throw ProgramError("buffer on rank " + std::to_string(rank) + " of " + std::to_string(p_.num_ranks_));
  Buffer b = p_.buffer(like);
  b.rank = rank;
  if (dtype) b.dtype = *dtype;
  b.zero_init = zero_init;
  b.name = intern_name(name);
  b.parent.reset();
  b.row_offset = 0;
  p_.buffers_.push_back(b);
  return BufferId(static_cast<std::uint32_t>(p_.buffers_.size() - 1));
}

BufferId ProgramBuilder::matrix_buffer(RankId rank, std::string_view name, DType dtype,
                                       std::uint32_t rows, std::uint32_t head_begin,
                                       std::uint32_t heads, std::uint32_t cols, bool zero_init) {
  if (rank >= p_.num_ranks_) throw ProgramError("buffer on rank " + std::to_string(rank) + " of " + std::to_string(p_.num_ranks_));
  Buffer b;
  b.rank = rank;
  b.dtype = dtype;
  b.zero_init = zero_init;
  b.name = intern_name(name);
  b.rows = rows;
  b.head_begin = head_begin;
  b.heads = heads;
  b.cols = cols;
  p_.buffers_.push_back(b);
  return BufferId(static_cast<std::uint32_t>(p_.buffers_.size() - 1));
}

BufferId ProgramBuilder::score_buffer(RankId rank, std::string_view name, DType dtype,
                                      LayoutId rows, LayoutId cols, std::uint32_t head_begin,
                                      std::uint32_t heads, bool zero_init) {
  const std::int64_t ncols = token_count(p_.layout(cols));
  if (ncols > 0xffffffffll) throw ProgramError("score buffer with more than 2^32 columns");
  const BufferId id = token_buffer(rank, name, dtype, rows, head_begin, heads,
                                   static_cast<std::uint32_t>(ncols), zero_init);
  p_.buffers_[idx(id)].col_layout = cols;
  return id;
}

BufferId ProgramBuilder::row_view(BufferId parent, std::uint32_t offset, std::uint32_t count,
                                  std::string_view name) {
  const Buffer& par = p_.buffer(parent);
  if (!par.layout) throw ProgramError("row_view of " + p_.describe_buffer(parent) + ", which has no token layout");
  if (std::uint64_t{offset} + count > par.rows)
    throw ProgramError("row_view [" + std::to_string(offset) + ", +" + std::to_string(count) +
                       ") outside " + p_.describe_buffer(parent));
  Buffer b = par;
  const BufferId root = p_.root(parent);
  b.parent = root;
  b.row_offset = par.row_offset + offset;
  b.rows = count;
  const SliceKey key{static_cast<std::uint32_t>(idx(*par.layout)), offset, count};
  auto cached = slice_index_.find(key);
  if (cached == slice_index_.end())
    cached = slice_index_.emplace(key, layout(slice_layout(p_.layout(*par.layout), offset, count))).first;
  b.layout = cached->second;
  if (!name.empty()) b.name = intern_name(name);
  p_.buffers_.push_back(b);
  return BufferId(static_cast<std::uint32_t>(p_.buffers_.size() - 1));
}

std::int64_t ProgramBuilder::op_work(OpKind kind, std::span<const BufferId> ops, bool causal,
                                     std::uint32_t peer, std::uint32_t tag) const {
  auto rows_layout = [&](BufferId b) -> std::span<const TokenRun> {
    const auto& l = p_.buffer(b).layout;
    if (!l) throw ProgramError("attention operand " + p_.describe_buffer(b) + " has no token layout");
    return p_.layout(*l);
  };
  switch (kind) {
    case OpKind::kAttnFwd:
    case OpKind::kAttnBwd: return unmasked_pairs(rows_layout(ops[0]), rows_layout(ops[1]), causal);
    case OpKind::kRsaScores:
    case OpKind::kRsaProbsV:
    case OpKind::kRsaDProbs:
    case OpKind::kRsaDQ: return rows_of(ops[0]) * rows_of(ops[1]);
    case OpKind::kRsaDKFull:
    case OpKind::kRsaDVFull: return rows_of(ops[0]) * std::int64_t{p_.buffer(ops[0]).cols};
    case OpKind::kLinIntra:
    case OpKind::kLinIntraBwd: return unmasked_pairs(rows_layout(ops[0]), rows_layout(ops[1]), causal);
    case OpKind::kLinState:
    case OpKind::kLinInter:
    case OpKind::kLinInterBwd:
    case OpKind::kLinDState:
    case OpKind::kLinStateBwd: return rows_of(ops[0]);
    case OpKind::kLinStateSum: {
      // Blocks selected out of the gathered ones; the checker rejects shapes
      // that do not split into whole blocks, so count what the executor adds.
      const std::int64_t block = rows_of(ops[1]);
      if (block == 0 || tag >= kNumStateRanges) return 0;
      const std::int64_t n = rows_of(ops[0]) / block;
      std::int64_t k = 0;
      for (std::int64_t j = 0; j < n; ++j)
        k += state_range_selects(static_cast<StateRange>(tag), peer, static_cast<std::uint32_t>(j));
      return k;
    }
    case OpKind::kDense:
    case OpKind::kDenseBwd: {
      // rows x in features x out features. Dense: (in, out); DenseBwd:
      // (in, dout, din), so the out features are dout's, not the last operand's.
      const Buffer &in = p_.buffer(ops[0]), &out = p_.buffer(kind == OpKind::kDenseBwd ? ops[1] : ops.back());
      return rows_of(ops[0]) * std::int64_t{in.heads} * in.cols * std::int64_t{out.heads} * out.cols;
    }
    default: return 0;
  }
}

OpId ProgramBuilder::op(OpKind kind, StreamId s, std::span<const BufferId> operands,
                        const Deps& deps, std::uint8_t flags, std::uint32_t peer,
                        std::uint32_t tag) {
  const OpKindInfo& info = op_kind_info(kind);
  const std::size_t next = p_.ops_.size();
  if (next >= 0xffffffffull) throw ProgramError("more than 2^32 ops");
  if (operands.size() < info.operands.size() ||
      (!info.variadic && operands.size() != info.operands.size()))
    throw ProgramError(std::string(info.name) + " takes " + std::to_string(info.operands.size()) +
                       (info.variadic ? " or more" : "") + " operands, got " +
                       std::to_string(operands.size()));
  if (idx(s) >= p_.stream_names_.size()) throw ProgramError("op on an unknown stream id");
  for (BufferId b : operands)
    if (idx(b) >= p_.buffers_.size()) throw ProgramError(std::string(info.name) + ": operand is not a buffer id");
  const RankId rank = p_.buffer(operands[0]).rank;
  for (std::size_t i = 0; i < operands.size(); ++i) {
    if (p_.buffer(operands[i]).rank != rank)
      throw ProgramError(std::string(info.name) + " operand " + std::to_string(i) +
                         "' is " + p_.describe_buffer(operands[i]) + ", not on rank " +
                         std::to_string(rank));
  }
  for (OpId d : deps.ids()) {
    if (idx(d) >= next)
      throw ProgramError(std::string(info.name) + " on rank " + std::to_string(rank) +
                         " depends on op " + std::to_string(idx(d)) + ", which does not exist yet");
    if (p_.ops_[idx(d)].rank != rank)
      throw ProgramError(std::string(info.name) + " on rank " + std::to_string(rank) +
                         " depends on " + p_.describe_op(d) +
                         " of another rank; cross-rank order comes from communication only");
  }
  if (max_ops_ != 0 && p_.ops_.size() >= max_ops_) throw ProgramTooLarge(max_ops_);
  Op o{};
  o.kind = kind;
  o.flags = flags;
  o.stream = s;
  o.rank = rank;
  o.peer = peer;
  o.tag = tag;
  o.step = step_;
  o.layer = layer_;
  o.work = op_work(kind, operands, (flags & kOpCausal) != 0, peer, tag);
  p_.ops_.push_back(o);
  p_.operands_.insert(p_.operands_.end(), operands.begin(), operands.end());
  p_.operand_begin_.push_back(static_cast<std::uint32_t>(p_.operands_.size()));
  const auto d = deps.ids();
  p_.deps_.insert(p_.deps_.end(), d.begin(), d.end());
  p_.dep_begin_.push_back(static_cast<std::uint32_t>(p_.deps_.size()));
  return OpId(static_cast<std::uint32_t>(next));
}

OpId ProgramBuilder::attn_fwd(StreamId s, BufferId q, BufferId k, BufferId v, BufferId out,
                              BufferId lse, bool causal, const Deps& deps) {
  const BufferId ops[] = {q, k, v, out, lse};
  return op(OpKind::kAttnFwd, s, ops, deps, causal ? kOpCausal : 0);
}

OpId ProgramBuilder::attn_merge(StreamId s, BufferId out, BufferId lse, BufferId part_out,
                                BufferId part_lse, const Deps& deps) {
  const BufferId ops[] = {out, lse, part_out, part_lse};
  return op(OpKind::kAttnMerge, s, ops, deps);
}

OpId ProgramBuilder::attn_bwd_prep(StreamId s, BufferId out, BufferId dout, BufferId delta,
                                   const Deps& deps) {
  const BufferId ops[] = {out, dout, delta};
  return op(OpKind::kAttnBwdPrep, s, ops, deps);
}

OpId ProgramBuilder::attn_bwd(StreamId s, BufferId q, BufferId k, BufferId v, BufferId dout,
                              BufferId lse, BufferId delta, BufferId dq, BufferId dk,
                              BufferId dv, bool causal, const Deps& deps) {
  const BufferId ops[] = {q, k, v, dout, lse, delta, dq, dk, dv};
  return op(OpKind::kAttnBwd, s, ops, deps, causal ? kOpCausal : 0);
}

OpId ProgramBuilder::dense(StreamId s, BufferId in, BufferId out, std::uint32_t seed, const Deps& deps) {
  const BufferId ops[] = {in, out};
  return op(OpKind::kDense, s, ops, deps, 0, 0, seed);
}

OpId ProgramBuilder::dense_bwd(StreamId s, BufferId in, BufferId dout, BufferId din, std::uint32_t seed,
                               const Deps& deps) {
  const BufferId ops[] = {in, dout, din};
  return op(OpKind::kDenseBwd, s, ops, deps, 0, 0, seed);
}

OpId ProgramBuilder::copy(StreamId s, BufferId src, BufferId dst, const Deps& deps) {
  const BufferId ops[] = {src, dst};
  return op(OpKind::kCopy, s, ops, deps);
}

OpId ProgramBuilder::accumulate(StreamId s, BufferId src, BufferId dst, const Deps& deps) {
  const BufferId ops[] = {src, dst};
  return op(OpKind::kAccumulate, s, ops, deps);
}

OpId ProgramBuilder::send(StreamId s, BufferId buf, RankId dst, std::uint32_t tag,
                          const Deps& deps) {
  return send(s, {buf}, dst, tag, deps);
}

OpId ProgramBuilder::send(StreamId s, std::initializer_list<BufferId> bufs, RankId dst,
                          std::uint32_t tag, const Deps& deps) {
  if (bufs.size() == 0) throw ProgramError("send of an empty message");
  const RankId from = p_.buffer(*bufs.begin()).rank;
  if (dst >= p_.num_ranks_ || dst == from)
    throw ProgramError("send from rank " + std::to_string(from) + " to rank " +
                       std::to_string(dst) + ": not another rank of the program");
  return op(OpKind::kSend, s, std::span<const BufferId>(bufs.begin(), bufs.size()), deps, 0, dst, tag);
}

OpId ProgramBuilder::recv(StreamId s, BufferId buf, RankId src, std::uint32_t tag,
                          const Deps& deps) {
  return recv(s, {buf}, src, tag, deps);
}

OpId ProgramBuilder::recv(StreamId s, std::initializer_list<BufferId> bufs, RankId src,
                          std::uint32_t tag, const Deps& deps) {
  if (bufs.size() == 0) throw ProgramError("recv of an empty message");
  const RankId to = p_.buffer(*bufs.begin()).rank;
  if (src >= p_.num_ranks_ || src == to)
    throw ProgramError("recv on rank " + std::to_string(to) + " from rank " +
                       std::to_string(src) + ": not another rank of the program");
  return op(OpKind::kRecv, s, std::span<const BufferId>(bufs.begin(), bufs.size()), deps, 0, src, tag);
}

OpId ProgramBuilder::collective(StreamId s, CollectiveSpec spec, GroupId group, BufferId in,
                                BufferId out, const Deps& deps) {
  if (idx(group) >= p_.num_groups()) throw ProgramError("collective on an unknown group id");
  const RankId rank = p_.buffer(in).rank;
  const auto members = p_.group(group);
  if (std::find(members.begin(), members.end(), rank) == members.end())
    throw ProgramError("collective on rank " + std::to_string(rank) + " over group " +
                       std::to_string(idx(group)) + ", which does not contain it");
  if (spec.kind == CollectiveKind::kBroadcast && spec.root >= members.size())
    throw ProgramError("broadcast root index outside its group");
  const BufferId ops[] = {in, out};
  return op(OpKind::kCollective, s, ops, deps, 0, static_cast<std::uint32_t>(idx(group)),
            spec.encode());
}

OpId ProgramBuilder::lin_state(StreamId s, BufferId k, BufferId v, BufferId state,
                               const Deps& deps) {
  const BufferId ops[] = {k, v, state};
  return op(OpKind::kLinState, s, ops, deps);
}

OpId ProgramBuilder::lin_intra(StreamId s, BufferId q, BufferId k, BufferId v, BufferId out,
                               bool causal, const Deps& deps) {
  const BufferId ops[] = {q, k, v, out};
  return op(OpKind::kLinIntra, s, ops, deps, causal ? kOpCausal : 0);
}

OpId ProgramBuilder::lin_inter(StreamId s, BufferId q, BufferId state, BufferId out,
                               const Deps& deps) {
  const BufferId ops[] = {q, state, out};
  return op(OpKind::kLinInter, s, ops, deps);
}

OpId ProgramBuilder::lin_state_sum(StreamId s, BufferId gathered, BufferId out,
                                   std::uint32_t member, StateRange range, const Deps& deps) {
  const BufferId ops[] = {gathered, out};
  return op(OpKind::kLinStateSum, s, ops, deps, 0, member, static_cast<std::uint32_t>(range));
}

OpId ProgramBuilder::lin_intra_bwd(StreamId s, BufferId q, BufferId k, BufferId v, BufferId dout,
                                   BufferId dq, BufferId dk, BufferId dv, bool causal,
                                   const Deps& deps) {
  const BufferId ops[] = {q, k, v, dout, dq, dk, dv};
  return op(OpKind::kLinIntraBwd, s, ops, deps, causal ? kOpCausal : 0);
}

OpId ProgramBuilder::lin_inter_bwd(StreamId s, BufferId dout, BufferId state, BufferId dq,
                                   const Deps& deps) {
  const BufferId ops[] = {dout, state, dq};
  return op(OpKind::kLinInterBwd, s, ops, deps);
}

OpId ProgramBuilder::lin_dstate(StreamId s, BufferId q, BufferId dout, BufferId dstate,
                                const Deps& deps) {
  const BufferId ops[] = {q, dout, dstate};
  return op(OpKind::kLinDState, s, ops, deps);
}

OpId ProgramBuilder::lin_state_bwd(StreamId s, BufferId k, BufferId v, BufferId dstate,
                                   BufferId dk, BufferId dv, const Deps& deps) {
  const BufferId ops[] = {k, v, dstate, dk, dv};
  return op(OpKind::kLinStateBwd, s, ops, deps);
}

Program ProgramBuilder::finish() && {
  Program out = std::move(p_);
  p_ = Program{};
  name_index_.clear();
  layout_index_.clear();
  slice_index_.clear();
  group_index_.clear();
  return out;
}

}  // namespace spsim
