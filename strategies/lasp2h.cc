// `lasp2h`: LASP-2H (arXiv 2502.07563), SP for hybrid models mixing linear and
// softmax attention layers (../shared/reference/strategies.md). Linear layers
// run the LASP-2 schedule (lasp_schedule.h); softmax layers all-gather K and V
// over the SP group (stream "coll"), attend the member's contiguous Q chunk to
// the whole gathered sequence with the causal mask from positions (one
// AttnFwd), and in backward reduce-scatter the fp32 dK, dV of the gathered
// sequence back to their owners. Both kinds share the contiguous layout, so
// consecutive layers need no re-sharding.
//
// StrategyOptions::layer_kind picks the kind of the layer emitted (default:
// linear, the majority of a hybrid model's layers); a model lowering sets it
// per layer from its layer pattern.
#include "strategies/gathered_layout.h"
#include "strategies/lasp_schedule.h"
#include "strategies/strategy_factories.h"

namespace spsim {
namespace {

struct Lasp2hStreams {
  StreamId compute, coll;
  explicit Lasp2hStreams(ProgramBuilder& b) : compute(b.stream("compute")), coll(b.stream("coll")) {}
};


// Softmax layer: all-gather K, V; one flash block per member over the whole sequence.
LayerForward softmax_forward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in) {
  const Lasp2hStreams st(b);
  const Workload& w = ctx.workload;
  const std::uint32_t P = ctx.options.sp;
  const GroupId group = b.group(ctx.ranks);
  const LayoutId all = gathered_layout(b, in.k);
  LayerForward f = LayerForward::sized(P, /*with_lse=*/true);
  for (std::uint32_t t = 0; t < P; ++t) {
    const RankId me = ctx.ranks[t];
    const Deps ready(in.ready[t]);
    const Buffer qb = b.program().buffer(in.q[t]);  // a copy: new buffers may move the table
    const BufferId k_all = b.token_buffer(me, "k_all", w.dtype, all, 0, w.kv_heads, w.head_dim);
    const BufferId v_all = b.token_buffer(me, "v_all", w.dtype, all, 0, w.kv_heads, w.head_dim);
    const OpId gk = b.collective(st.coll, kAllGatherRows, group, in.k[t], k_all, ready);
    const OpId gv = b.collective(st.coll, kAllGatherRows, group, in.v[t], v_all, ready);
    f.out[t] = b.buffer_like(in.q[t], me, "out");
    f.lse[t] = b.token_buffer(me, "lse", DType::kF32, *qb.layout, qb.head_begin, qb.heads, 1);
    f.done[t] = {b.attn_fwd(st.compute, in.q[t], k_all, v_all, f.out[t], f.lse[t], w.causal, {gk, gv})};
    f.saved[t] = {k_all, v_all};
  }
  return f;
}

LayerBackward softmax_backward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                               const LayerForward& fwd, const LayerBackwardInputs& grad) {
  const Lasp2hStreams st(b);
  const Workload& w = ctx.workload;
  const std::uint32_t P = ctx.options.sp;
  const GroupId group = b.group(ctx.ranks);
  LayerBackward g = LayerBackward::sized(P);
  for (std::uint32_t t = 0; t < P; ++t) {
    const RankId me = ctx.ranks[t];
    const BufferId q = in.q[t], k_all = fwd.saved[t][0], v_all = fwd.saved[t][1];
    Deps ready(in.ready[t]);
    for (OpId d : grad.ready[t]) ready.add(d);
    for (OpId d : fwd.done[t]) ready.add(d);
    const Buffer qb = b.program().buffer(q);  // a copy: new buffers may move the table
    const BufferId delta = b.token_buffer(me, "delta", DType::kF32, *qb.layout, qb.head_begin, qb.heads, 1);
    const OpId prep = b.attn_bwd_prep(st.compute, fwd.out[t], grad.dout[t], delta, ready);
    g.dq[t] = b.buffer_like(q, me, "dq", DType::kF32, /*zero_init=*/true);
    const BufferId dk_all = b.buffer_like(k_all, me, "dk_all", DType::kF32, /*zero_init=*/true);
    const BufferId dv_all = b.buffer_like(v_all, me, "dv_all", DType::kF32, /*zero_init=*/true);
    const OpId bwd = b.attn_bwd(st.compute, q, k_all, v_all, grad.dout[t], fwd.lse[t], delta, g.dq[t],
                                dk_all, dv_all, w.causal, {prep});
    g.dk[t] = b.buffer_like(in.k[t], me, "dk", DType::kF32);
    g.dv[t] = b.buffer_like(in.v[t], me, "dv", DType::kF32);
    const OpId rk = b.collective(st.coll, kReduceScatterRows, group, dk_all, g.dk[t], {bwd});
    const OpId rv = b.collective(st.coll, kReduceScatterRows, group, dv_all, g.dv[t], {bwd});
    g.done[t] = {bwd, rk, rv};
  }
  return g;
}

class Lasp2hStrategy final : public Strategy {
 public:
  std::string_view name() const override { return "lasp2h"; }
  std::string_view summary() const override {
    return "LASP-2H hybrid: linear layers as lasp2, softmax layers all-gather K,V and reduce-scatter dK,dV";
  }
  std::string_view constraints() const override {
    return "layer kind from --layer-kind (default linear); S divisible by P; P <= S";
  }
  std::optional<std::string> refuse(const Workload& w, const StrategyOptions& o) const override {
    return refuse_lasp(w, o);
  }
  AttentionKind attention_kind(const StrategyOptions& o) const override {
    return o.layer_kind.value_or(AttentionKind::kLinear);
  }
  TokenLayout shard_layout(const Workload& w, const StrategyOptions& o, std::uint32_t member) const override {
    return contiguous_shard(w.seq_lens, o.sp, member);
  }
  LayerForward forward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in) const override {
    if (attention_kind(ctx.options) == AttentionKind::kSoftmax) return softmax_forward(b, ctx, in);
    return lasp2_forward(b, ctx, in);
  }
  LayerBackward backward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                         const LayerForward& fwd, const LayerBackwardInputs& grad) const override {
    if (attention_kind(ctx.options) == AttentionKind::kSoftmax) return softmax_backward(b, ctx, in, fwd, grad);
    return lasp2_backward(b, ctx, in, fwd, grad);
  }
};

}  // namespace

std::unique_ptr<Strategy> make_lasp2h_strategy() { return std::make_unique<Lasp2hStrategy>(); }

}  // namespace spsim
