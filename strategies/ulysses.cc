// `ulysses`: DeepSpeed-Ulysses (Jacobs et al., arXiv 2309.14509; DeepSpeed
// sequence/layer.py DistributedAttention). Member i holds tokens [iC, (i+1)C)
// of every sequence with all heads. One all-to-all each for Q, K and V
// scatters heads and gathers the sequence: member i then holds the whole
// sequence for query heads [i·H/P, (i+1)·H/P) and key/value heads
// [i·Hkv/P, (i+1)·Hkv/P), which are exactly the kv heads those query heads use
// (query head h reads kv head h / (H/Hkv)), so GQA needs no replication when
// P divides Hkv. Local flash attention over the full sequence (causal mask from
// positions), then one all-to-all of the output back to sequence shards.
//
// Backward mirrors it (the autograd of the all-to-alls): all-to-all of dout to
// head shards, local attention backward with the head-sharded q, k, v, out,
// lse saved by the forward, all-to-all of dq, dk, dv back to sequence shards.
// Gradients and all-to-alls stay in the workload dtype, as the reference's
// flash-attention backward returns them.
//
// Ulysses returns no per-shard lse (DistributedAttention returns the output
// only; the lse it computes is head-sharded and stays with the backward), so
// LayerForward::lse is empty.
//
// Streams: "compute" for kernels, "coll" for the all-to-alls. Nothing
// overlaps inside one layer: each all-to-all waits for the data it moves.
#include "strategies/gathered_layout.h"
#include "strategies/strategy_factories.h"

namespace spsim {
namespace {

// Indices into LayerForward::saved.
enum Saved : std::size_t { kQHeads, kKHeads, kVHeads, kOutHeads, kLseHeads, kNumSaved };

class UlyssesStrategy final : public Strategy {
 public:
  std::string_view name() const override { return "ulysses"; }
  std::string_view summary() const override {
    return "DeepSpeed-Ulysses: all-to-all Q,K,V to head shards of the whole sequence, local attention, all-to-all of out back";
  }
  std::string_view constraints() const override {
    return "P divides H and Hkv; S divisible by P; P <= S";
  }
  std::optional<std::string> refuse(const Workload& w, const StrategyOptions& o) const override {
    if (auto r = refuse_degree(w, o)) return r;
    if (w.heads % o.sp != 0)
      return "the SP degree P = " + std::to_string(o.sp) + " does not divide the " +
             std::to_string(w.heads) + " query heads (Ulysses scatters whole heads)";
    if (w.kv_heads % o.sp != 0)
      return "the SP degree P = " + std::to_string(o.sp) + " does not divide the " +
             std::to_string(w.kv_heads) +
             " key/value heads (Ulysses scatters whole heads; KV head replication is not modelled)";
    return refuse_indivisible(w, o.sp, "P");
  }
  TokenLayout shard_layout(const Workload& w, const StrategyOptions& o, std::uint32_t member) const override {
    return contiguous_shard(w.seq_lens, o.sp, member);
  }

  LayerForward forward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in) const override {
    const Workload& w = ctx.workload;
    const std::uint32_t P = ctx.options.sp, hq = w.heads / P, hkv = w.kv_heads / P;
    const StreamId compute = b.stream("compute"), coll = b.stream("coll");
    const GroupId group = b.group(ctx.ranks);
    const LayoutId seq = gathered_layout(b, in.q);
    LayerForward f = LayerForward::sized(P, /*with_lse=*/false);
    for (std::uint32_t i = 0; i < P; ++i) {
      const RankId me = ctx.ranks[i];
      const Deps ready(in.ready[i]);
      const BufferId qh = b.token_buffer(me, "q_heads", w.dtype, seq, i * hq, hq, w.head_dim);
      const BufferId kh = b.token_buffer(me, "k_heads", w.dtype, seq, i * hkv, hkv, w.head_dim);
      const BufferId vh = b.token_buffer(me, "v_heads", w.dtype, seq, i * hkv, hkv, w.head_dim);
      const OpId a2a_q = b.collective(coll, kRowsToHeads, group, in.q[i], qh, ready);
      const OpId a2a_k = b.collective(coll, kRowsToHeads, group, in.k[i], kh, ready);
      const OpId a2a_v = b.collective(coll, kRowsToHeads, group, in.v[i], vh, ready);
      const BufferId outh = b.buffer_like(qh, me, "out_heads");
      const BufferId lseh = b.token_buffer(me, "lse_heads", DType::kF32, seq, i * hq, hq, 1);
      const OpId attn = b.attn_fwd(compute, qh, kh, vh, outh, lseh, w.causal, {a2a_q, a2a_k, a2a_v});
      f.out[i] = b.buffer_like(in.q[i], me, "out");
      f.done[i] = {b.collective(coll, kHeadsToRows, group, outh, f.out[i], {attn})};
      f.saved[i] = {qh, kh, vh, outh, lseh};
    }
    return f;
  }

  LayerBackward backward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                         const LayerForward& fwd, const LayerBackwardInputs& grad) const override {
    const Workload& w = ctx.workload;
    const std::uint32_t P = ctx.options.sp;
    const StreamId compute = b.stream("compute"), coll = b.stream("coll");
    const GroupId group = b.group(ctx.ranks);
    LayerBackward g = LayerBackward::sized(P);
    for (std::uint32_t i = 0; i < P; ++i) {
      const RankId me = ctx.ranks[i];
      const auto& s = fwd.saved[i];
      if (s.size() != kNumSaved) throw ProgramError("ulysses backward: forward state of member " + std::to_string(i) + " is missing");
      Deps dout_ready(grad.ready[i]);
      for (OpId d : fwd.done[i]) dout_ready.add(d);
      const BufferId douth = b.buffer_like(s[kOutHeads], me, "dout_heads");
      const OpId a2a_dout = b.collective(coll, kRowsToHeads, group, grad.dout[i], douth, dout_ready);
      const Buffer oh = b.program().buffer(s[kOutHeads]);  // a copy: adding buffers may move the table
      const BufferId delta = b.token_buffer(me, "delta", DType::kF32, *oh.layout, oh.head_begin, oh.heads, 1);
      Deps prep_deps{a2a_dout};
      for (OpId d : in.ready[i]) prep_deps.add(d);
      const OpId prep = b.attn_bwd_prep(compute, s[kOutHeads], douth, delta, prep_deps);
      const BufferId dqh = b.buffer_like(s[kQHeads], me, "dq_heads", w.dtype, /*zero_init=*/true);
      const BufferId dkh = b.buffer_like(s[kKHeads], me, "dk_heads", w.dtype, /*zero_init=*/true);
      const BufferId dvh = b.buffer_like(s[kVHeads], me, "dv_heads", w.dtype, /*zero_init=*/true);
      const OpId bwd = b.attn_bwd(compute, s[kQHeads], s[kKHeads], s[kVHeads], douth, s[kLseHeads], delta,
                                  dqh, dkh, dvh, w.causal, {prep});
      g.dq[i] = b.buffer_like(in.q[i], me, "dq");
      g.dk[i] = b.buffer_like(in.k[i], me, "dk");
      g.dv[i] = b.buffer_like(in.v[i], me, "dv");
      g.done[i] = {b.collective(coll, kHeadsToRows, group, dqh, g.dq[i], {bwd}),
                   b.collective(coll, kHeadsToRows, group, dkh, g.dk[i], {bwd}),
                   b.collective(coll, kHeadsToRows, group, dvh, g.dv[i], {bwd})};
    }
    return g;
  }
};

}  // namespace

std::unique_ptr<Strategy> make_ulysses_strategy() { return std::make_unique<UlyssesStrategy>(); }

}  // namespace spsim
