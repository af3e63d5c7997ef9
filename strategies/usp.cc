// `usp`: Unified Sequence Parallelism, Ulysses x Ring (Fang & Zhao, arXiv
// 2405.07719; feifeibear/long-context-attention LongContextAttention with the
// load-balanced ring; TransformerEngine's `a2a+p2p` context parallelism).
//
// P = Pu * Pr members. Member m is lane u = m % Pu of Ulysses group g = m / Pu
// (groups of Pu consecutive members, e.g. one node). Forward:
//   1. inside each group, one all-to-all per tensor for q, k and v (stream
//      "coll"): split heads, concatenate rows. Lane u then holds head slice u
//      (H/Pu query heads, Hkv/Pu key/value heads) of the whole group's rows;
//   2. the Pr members of lane u (one per group) run the ring schedule of
//      ring_schedule.h on those buffers: K,V blocks of B * (S/Pr) * (Hkv/Pu)
//      * D elements move one hop per step;
//   3. the ring's output comes back with the inverse all-to-all (split rows,
//      concatenate heads), so each member again holds all H heads of its rows.
// Backward: dO takes the forward all-to-all, ring_backward runs per lane, and
// dQ, dK, dV (cast from the ring's fp32 accumulators to the input dtype, as
// long-context-attention does) take the inverse all-to-all.
//
// Layout (causal load balance, as long-context-attention's zigzag
// extract_local): group g's rows, concatenated in lane order, are exactly the
// zigzag shard g of Pr (chunks g and 2Pr-1-g of every sequence, early rows
// first): member (g, u) holds the u-th of Pu equal consecutive row ranges of
// that shard. After the all-to-all every ring member therefore holds a zigzag
// shard, and the ring uses zigzag's half-block rule.
//
// Pu = 1 is the zigzag ring over all P members (no all-to-all); Pr = 1 is
// DeepSpeed-Ulysses (a local attention between the two all-to-alls). The
// forward returns no lse when Pu > 1 (the reference returns only the output).
#include "strategies/block_rows.h"
#include "strategies/strategy_factories.h"

namespace spsim {
namespace {

// Default Pu is capped at the GPUs of one DGX/HGX node
// (../shared/reference/hardware.md, "DGX A100/H100: 8 compute NICs per node,
// one per GPU"): the all-to-all stays on NVLink, the ring crosses nodes.
constexpr std::uint32_t kDefaultMaxUlysses = 8;

// Largest power of two <= 8 dividing both P and Hkv.
std::uint32_t default_ulysses_degree(const Workload& w, std::uint32_t P) {
  std::uint32_t pu = 1;
  for (std::uint32_t c = 2; c <= kDefaultMaxUlysses; c *= 2)
    if (P % c == 0 && w.kv_heads % c == 0) pu = c;
  return pu;
}

struct Grid {
  std::uint32_t P, Pu, Pr;
  std::uint32_t group(std::uint32_t m) const { return m / Pu; }
  std::uint32_t lane(std::uint32_t m) const { return m % Pu; }
  std::uint32_t member(std::uint32_t g, std::uint32_t u) const { return g * Pu + u; }
};

Grid grid_of(const Workload& w, const StrategyOptions& o) {
  const std::uint32_t pu = o.ulysses_degree.value_or(default_ulysses_degree(w, o.sp));
  return {o.sp, pu, o.sp / pu};
}

RingBlockRule zigzag_rule(bool causal) {
  return [causal](std::uint32_t member, std::uint32_t step, std::uint32_t P) {
    return zigzag_pair_block(member, (member + P - step % P) % P, causal);
  };
}

struct Exchanged {
  BufferId buf;
  OpId op;
};

// Group rows, head slice `lane`: the all-to-all from a member's shard
// [rows, heads] to [group rows (layout ring_layout), heads / Pu].
Exchanged seq_to_heads(ProgramBuilder& b, StreamId s, GroupId group, BufferId in, std::uint32_t lane,
                       std::uint32_t Pu, LayoutId ring_layout, std::string_view name, std::optional<DType> dtype,
                       const Deps& deps) {
  const Buffer ib = b.program().buffer(in);
  const std::uint32_t heads = ib.heads / Pu;
  const BufferId out = b.token_buffer(ib.rank, name, dtype.value_or(ib.dtype), ring_layout,
                                      ib.head_begin + lane * heads, heads, ib.cols);
  return {out, b.collective(s, kRowsToHeads, group, in, out, deps)};
}

// The inverse: [group rows, heads / Pu] back to the rows and heads of `like`
// (a buffer of the member's shard).
Exchanged heads_to_seq(ProgramBuilder& b, StreamId s, GroupId group, BufferId in, BufferId like,
                       std::string_view name, const Deps& deps) {
  const Buffer ib = b.program().buffer(in), lb = b.program().buffer(like);
  const BufferId out = b.token_buffer(ib.rank, name, ib.dtype, *lb.layout, lb.head_begin, lb.heads, ib.cols);
  return {out, b.collective(s, kHeadsToRows, group, in, out, deps)};
}

class UspStrategy final : public Strategy {
 public:
  std::string_view name() const override { return "usp"; }
  std::string_view summary() const override {
    return "USP: Ulysses all-to-all inside groups of Pu ranks, zigzag K,V ring over the Pr = P/Pu groups";
  }
  std::string_view constraints() const override {
    return "Pu divides P and Hkv (default: largest power of two <= 8 dividing both); S divisible by 2P; P <= S";
  }
  std::int64_t sequence_multiple(const Workload&, const StrategyOptions& o) const override {
    return 2 * std::int64_t{o.sp};
  }
  std::optional<std::string> refuse(const Workload& w, const StrategyOptions& o) const override {
    if (auto r = refuse_degree(w, o)) return r;
    if (o.ulysses_degree) {
      const std::uint32_t pu = *o.ulysses_degree;
      if (pu == 0) return "the Ulysses degree Pu must be at least 1";
      if (o.sp % pu != 0)
        return "the Ulysses degree Pu = " + std::to_string(pu) + " does not divide the SP degree P = " +
               std::to_string(o.sp);
      if (w.kv_heads % pu != 0)
        return "the Ulysses degree Pu = " + std::to_string(pu) + " does not divide the key/value heads Hkv = " +
               std::to_string(w.kv_heads) + " (the all-to-all splits heads; KV head replication is not modeled)";
    }
    return refuse_indivisible(w, 2 * std::int64_t{o.sp}, "2P = 2*Pu*Pr (zigzag chunks of the ring, split over Pu ranks)");
  }
  TokenLayout shard_layout(const Workload& w, const StrategyOptions& o, std::uint32_t member) const override {
    const Grid gr = grid_of(w, o);
    const TokenLayout zig = zigzag_shard(w.seq_lens, gr.Pr, gr.group(member));
    const std::int64_t part = token_count(zig) / gr.Pu;
    return slice_layout(zig, std::int64_t{gr.lane(member)} * part, part);
  }
  LayerForward forward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in) const override;
  LayerBackward backward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                         const LayerForward& fwd, const LayerBackwardInputs& grad) const override;

 private:
  // Per-lane ring: the members of lane u in group order, as a ring context.
  struct LaneRing {
    std::vector<RankId> ranks;
    StrategyOptions options;
  };
  static LaneRing lane_ring(const LayerContext& ctx, const Grid& gr, std::uint32_t u) {
    LaneRing r;
    for (std::uint32_t g = 0; g < gr.Pr; ++g) r.ranks.push_back(ctx.ranks[gr.member(g, u)]);
    r.options.sp = gr.Pr;
    r.options.ring_backward = ctx.options.ring_backward;
    return r;
  }
  static GroupId ulysses_group(ProgramBuilder& b, const LayerContext& ctx, const Grid& gr, std::uint32_t g) {
    std::vector<RankId> ranks;
    for (std::uint32_t u = 0; u < gr.Pu; ++u) ranks.push_back(ctx.ranks[gr.member(g, u)]);
    return b.group(ranks);
  }
};

// Indices into LayerForward::saved of the ring-side buffers.
enum Saved : std::size_t { kSavedQ, kSavedK, kSavedV, kSavedOut, kSavedLse, kNumSaved };

LayerForward UspStrategy::forward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in) const {
  const Grid gr = grid_of(ctx.workload, ctx.options);
  const RingBlockRule rule = zigzag_rule(ctx.workload.causal);
  if (gr.Pu == 1) return ring_forward(b, ctx, in, rule);

  const StreamId coll = b.stream("coll");
  const std::uint32_t P = gr.P;
  std::vector<LayoutId> ring_layout(gr.Pr);
  for (std::uint32_t g = 0; g < gr.Pr; ++g) ring_layout[g] = b.layout(zigzag_shard(ctx.workload.seq_lens, gr.Pr, g));

  // 1. Sequence shards -> head slices of the group's rows.
  LayerInputs ring_in;
  ring_in.q.resize(P);
  ring_in.k.resize(P);
  ring_in.v.resize(P);
  ring_in.ready.resize(P);
  for (std::uint32_t m = 0; m < P; ++m) {
    const std::uint32_t g = gr.group(m), u = gr.lane(m);
    const GroupId grp = ulysses_group(b, ctx, gr, g);
    const Deps ready(in.ready[m]);
    const Exchanged q = seq_to_heads(b, coll, grp, in.q[m], u, gr.Pu, ring_layout[g], "q_heads", std::nullopt, ready);
    const Exchanged k = seq_to_heads(b, coll, grp, in.k[m], u, gr.Pu, ring_layout[g], "k_heads", std::nullopt, ready);
    const Exchanged v = seq_to_heads(b, coll, grp, in.v[m], u, gr.Pu, ring_layout[g], "v_heads", std::nullopt, ready);
    ring_in.q[m] = q.buf;
    ring_in.k[m] = k.buf;
    ring_in.v[m] = v.buf;
    ring_in.ready[m] = {q.op, k.op, v.op};
  }

  // 2. One zigzag ring per lane over the Pr groups.
  LayerForward ring_out = LayerForward::sized(P, /*with_lse=*/true);
  for (std::uint32_t u = 0; u < gr.Pu; ++u) {
    const LaneRing lr = lane_ring(ctx, gr, u);
    const LayerContext rctx{ctx.workload, lr.options, lr.ranks, ctx.layer};
    LayerInputs lin;
    for (std::uint32_t g = 0; g < gr.Pr; ++g) {
      const std::uint32_t m = gr.member(g, u);
      lin.q.push_back(ring_in.q[m]);
      lin.k.push_back(ring_in.k[m]);
      lin.v.push_back(ring_in.v[m]);
      lin.ready.push_back(ring_in.ready[m]);
    }
    const LayerForward lf = ring_forward(b, rctx, lin, rule);
    for (std::uint32_t g = 0; g < gr.Pr; ++g) {
      const std::uint32_t m = gr.member(g, u);
      ring_out.out[m] = lf.out[g];
      ring_out.lse[m] = lf.lse[g];
      ring_out.done[m] = lf.done[g];
      ring_out.saved[m] = lf.saved[g];
    }
  }

  // 3. Head slices -> sequence shards, all heads.
  LayerForward f = LayerForward::sized(P, /*with_lse=*/false);
  for (std::uint32_t m = 0; m < P; ++m) {
    const GroupId grp = ulysses_group(b, ctx, gr, gr.group(m));
    const Exchanged out = heads_to_seq(b, coll, grp, ring_out.out[m], in.q[m], "out", Deps(ring_out.done[m]));
    f.out[m] = out.buf;
    f.done[m] = {out.op};
    f.saved[m] = {ring_in.q[m], ring_in.k[m], ring_in.v[m], ring_out.out[m], ring_out.lse[m]};
    // Then the lane ring's own state (the TransformerEngine ring backward's first block).
    f.saved[m].insert(f.saved[m].end(), ring_out.saved[m].begin(), ring_out.saved[m].end());
  }
  return f;
}

LayerBackward UspStrategy::backward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                                    const LayerForward& fwd, const LayerBackwardInputs& grad) const {
  const Grid gr = grid_of(ctx.workload, ctx.options);
  const RingBlockRule rule = zigzag_rule(ctx.workload.causal);
  if (gr.Pu == 1) return ring_backward(b, ctx, in, fwd, grad, rule);

  const StreamId coll = b.stream("coll"), compute = b.stream("compute");
  const std::uint32_t P = gr.P;
  std::vector<BufferId> dout_heads(P);
  std::vector<OpList> dout_ready(P);
  for (std::uint32_t m = 0; m < P; ++m) {
    if (fwd.saved[m].size() < kNumSaved) throw ProgramError("usp backward: forward state of member " + std::to_string(m) + " is missing");
    const std::uint32_t g = gr.group(m), u = gr.lane(m);
    const LayoutId ring_layout = *b.program().buffer(fwd.saved[m][kSavedQ]).layout;
    const Exchanged d = seq_to_heads(b, coll, ulysses_group(b, ctx, gr, g), grad.dout[m], u, gr.Pu, ring_layout,
                                     "dout_heads", std::nullopt, Deps(grad.ready[m]));
    dout_heads[m] = d.buf;
    dout_ready[m] = {d.op};
  }

  LayerBackward ring_grad = LayerBackward::sized(P);
  for (std::uint32_t u = 0; u < gr.Pu; ++u) {
    const LaneRing lr = lane_ring(ctx, gr, u);
    const LayerContext rctx{ctx.workload, lr.options, lr.ranks, ctx.layer};
    LayerInputs lin;
    LayerForward lfwd;
    LayerBackwardInputs lgrad;
    for (std::uint32_t g = 0; g < gr.Pr; ++g) {
      const std::uint32_t m = gr.member(g, u);
      const auto& s = fwd.saved[m];
      OpList ready = fwd.done[m];
      ready.insert(ready.end(), in.ready[m].begin(), in.ready[m].end());
      lin.q.push_back(s[kSavedQ]);
      lin.k.push_back(s[kSavedK]);
      lin.v.push_back(s[kSavedV]);
      lin.ready.push_back(ready);
      lfwd.out.push_back(s[kSavedOut]);
      lfwd.lse.push_back(s[kSavedLse]);
      lfwd.done.push_back(fwd.done[m]);
      lfwd.saved.emplace_back(s.begin() + kNumSaved, s.end());
      lgrad.dout.push_back(dout_heads[m]);
      lgrad.ready.push_back(dout_ready[m]);
    }
    const LayerBackward lb = ring_backward(b, rctx, lin, lfwd, lgrad, rule);
    for (std::uint32_t g = 0; g < gr.Pr; ++g) {
      const std::uint32_t m = gr.member(g, u);
      ring_grad.dq[m] = lb.dq[g];
      ring_grad.dk[m] = lb.dk[g];
      ring_grad.dv[m] = lb.dv[g];
      ring_grad.done[m] = lb.done[g];
    }
  }

  LayerBackward out = LayerBackward::sized(P);
  for (std::uint32_t m = 0; m < P; ++m) {
    const GroupId grp = ulysses_group(b, ctx, gr, gr.group(m));
    const RankId me = ctx.ranks[m];
    const Deps ring_done(ring_grad.done[m]);
    // The ring accumulates in fp32; the gradients leave in the input dtype.
    auto back = [&](BufferId acc, BufferId like, std::string_view cast_name, std::string_view name) {
      const BufferId cast = b.buffer_like(acc, me, cast_name, b.program().buffer(like).dtype);
      const OpId c = b.copy(compute, acc, cast, ring_done);
      return heads_to_seq(b, coll, grp, cast, like, name, {c});
    };
    const Exchanged dq = back(ring_grad.dq[m], in.q[m], "dq_heads", "dq");
    const Exchanged dk = back(ring_grad.dk[m], in.k[m], "dk_heads", "dk");
    const Exchanged dv = back(ring_grad.dv[m], in.v[m], "dv_heads", "dv");
    out.dq[m] = dq.buf;
    out.dk[m] = dk.buf;
    out.dv[m] = dv.buf;
    out.done[m] = {dq.op, dk.op, dv.op};
  }
  return out;
}

}  // namespace

std::unique_ptr<Strategy> make_usp_strategy() { return std::make_unique<UspStrategy>(); }

}  // namespace spsim
