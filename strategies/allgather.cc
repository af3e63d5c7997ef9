// `allgather`: all-gather K,V context parallelism (Llama 3, Dubey et al.
// arXiv 2407.21783 §3.3.2; TransformerEngine's AttnFuncWithCPAndKVAllGather,
// Megatron cp_comm_type "all_gather"; also the softmax layers of LASP-2H).
//
// Layout: with a causal mask each sequence is cut into 2P chunks and member i
// holds chunks i and 2P-1-i (zigzag_shard), as Llama 3 and TE do, so every
// member has the same number of visible (q, k) pairs. Without a mask every
// layout costs the same and member i holds the contiguous chunk i.
//
// Forward, member i: all-gather K and V over the group (rows concatenate the
// members' shards in group order, so every position of every sequence is
// present), then one flash-attention block of the local Q against all
// gathered keys; the mask comes from positions, so keys a query may not see
// contribute nothing. The all-gathers are exposed: nothing else is left to
// overlap them with inside the layer (TE's head-slice pipelining is not
// modelled).
//
// Backward, member i: K and V are gathered again rather than kept from the
// forward (TE re-gathers in backward to keep the activation memory of one
// shard), one flash-attention backward block writes dq and the gradients of
// the gathered K,V, and a reduce-scatter along rows sums those over the group
// and hands member j its share, which is exactly its shard because the
// all-gather concatenated the shards in group order. Gradients and
// collectives stay in the workload dtype (the reference's dk/dv buffers are
// k.dtype).
//
// Streams: "compute" for kernels, "coll" for the collectives.
#include "strategies/gathered_layout.h"
#include "strategies/strategy_factories.h"

namespace spsim {
namespace {

class AllGatherStrategy final : public Strategy {
 public:
  std::string_view name() const override { return "allgather"; }
  std::string_view summary() const override {
    return "All-gather KV (Llama 3 / TE all_gather CP): gather K,V, attend the local (zigzag) Q; reduce-scatter dK,dV";
  }
  std::string_view constraints() const override {
    return "causal: S divisible by 2P (zigzag chunks); full mask: S divisible by P; P <= S";
  }
  std::int64_t sequence_multiple(const Workload& w, const StrategyOptions& o) const override {
    return (w.causal ? 2 : 1) * std::int64_t{o.sp};
  }
  std::optional<std::string> refuse(const Workload& w, const StrategyOptions& o) const override {
    if (auto r = refuse_degree(w, o)) return r;
    if (w.causal) return refuse_indivisible(w, 2 * std::int64_t{o.sp}, "2P");
    return refuse_indivisible(w, o.sp, "P");
  }
  TokenLayout shard_layout(const Workload& w, const StrategyOptions& o, std::uint32_t member) const override {
    return w.causal ? zigzag_shard(w.seq_lens, o.sp, member) : contiguous_shard(w.seq_lens, o.sp, member);
  }

  LayerForward forward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in) const override {
    const Workload& w = ctx.workload;
    const std::uint32_t P = ctx.options.sp;
    const StreamId compute = b.stream("compute"), coll = b.stream("coll");
    const GroupId group = b.group(ctx.ranks);
    const LayoutId all = gathered_layout(b, in.k);
    LayerForward f = LayerForward::sized(P, /*with_lse=*/true);
    for (std::uint32_t i = 0; i < P; ++i) {
      const RankId me = ctx.ranks[i];
      const Deps ready(in.ready[i]);
      const auto [k_all, v_all, gathered] = gather_kv(b, coll, group, all, in, i, me, ready);
      const Buffer qb = b.program().buffer(in.q[i]);  // a copy: adding buffers may move the table
      f.out[i] = b.buffer_like(in.q[i], me, "out");
      f.lse[i] = b.token_buffer(me, "lse", DType::kF32, *qb.layout, qb.head_begin, qb.heads, 1);
      Deps deps(gathered);
      for (OpId d : in.ready[i]) deps.add(d);
      f.done[i] = {b.attn_fwd(compute, in.q[i], k_all, v_all, f.out[i], f.lse[i], w.causal, deps)};
    }
    return f;
  }

  LayerBackward backward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                         const LayerForward& fwd, const LayerBackwardInputs& grad) const override {
    const Workload& w = ctx.workload;
    const std::uint32_t P = ctx.options.sp;
    const StreamId compute = b.stream("compute"), coll = b.stream("coll");
    const GroupId group = b.group(ctx.ranks);
    const LayoutId all = gathered_layout(b, in.k);
    LayerBackward g = LayerBackward::sized(P);
    for (std::uint32_t i = 0; i < P; ++i) {
      const RankId me = ctx.ranks[i];
      // The re-gather starts with the layer's backward (when its dout is ready),
      // as TE issues it, not right after the forward's gather.
      Deps regather(in.ready[i]);
      for (OpId d : grad.ready[i]) regather.add(d);
      const auto [k_all, v_all, gathered] = gather_kv(b, coll, group, all, in, i, me, regather);
      const BufferId q = in.q[i];
      const Buffer qb = b.program().buffer(q);
      const BufferId delta = b.token_buffer(me, "delta", DType::kF32, *qb.layout, qb.head_begin, qb.heads, 1);
      Deps prep_deps(fwd.done[i]);
      for (OpId d : grad.ready[i]) prep_deps.add(d);
      for (OpId d : in.ready[i]) prep_deps.add(d);
      const OpId prep = b.attn_bwd_prep(compute, fwd.out[i], grad.dout[i], delta, prep_deps);
      g.dq[i] = b.buffer_like(q, me, "dq", w.dtype, /*zero_init=*/true);
      const BufferId dk_all = b.buffer_like(k_all, me, "dk_gathered", w.dtype, /*zero_init=*/true);
      const BufferId dv_all = b.buffer_like(v_all, me, "dv_gathered", w.dtype, /*zero_init=*/true);
      Deps deps(gathered);
      deps.add(prep);
      const OpId bwd = b.attn_bwd(compute, q, k_all, v_all, grad.dout[i], fwd.lse[i], delta, g.dq[i], dk_all,
                                  dv_all, w.causal, deps);
      g.dk[i] = b.buffer_like(in.k[i], me, "dk");
      g.dv[i] = b.buffer_like(in.v[i], me, "dv");
      g.done[i] = {bwd, b.collective(coll, kReduceScatterRows, group, dk_all, g.dk[i], {bwd}),
                   b.collective(coll, kReduceScatterRows, group, dv_all, g.dv[i], {bwd})};
    }
    return g;
  }

 private:
  struct Gathered {
    BufferId k, v;
    OpList ops;  // the two all-gathers
  };
  // All-gathers member i's K and V shards into buffers holding every member's rows.
  static Gathered gather_kv(ProgramBuilder& b, StreamId coll, GroupId group, LayoutId all, const LayerInputs& in,
                            std::uint32_t i, RankId me, const Deps& ready) {
    const Buffer kb = b.program().buffer(in.k[i]);  // copies: adding buffers may move the table
    const DType dtype = kb.dtype;
    const BufferId k_all = b.token_buffer(me, "k_gathered", dtype, all, kb.head_begin, kb.heads, kb.cols);
    const Buffer vb = b.program().buffer(in.v[i]);
    const BufferId v_all = b.token_buffer(me, "v_gathered", vb.dtype, all, vb.head_begin, vb.heads, vb.cols);
    OpList ops{b.collective(coll, kAllGatherRows, group, in.k[i], k_all, ready),
               b.collective(coll, kAllGatherRows, group, in.v[i], v_all, ready)};
    return {k_all, v_all, std::move(ops)};
  }
};

}  // namespace

std::unique_ptr<Strategy> make_allgather_strategy() { return std::make_unique<AllGatherStrategy>(); }

}  // namespace spsim
