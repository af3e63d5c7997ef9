#include "strategies/lasp_schedule.h"

namespace spsim {
namespace {

struct LaspStreams {
  StreamId compute, coll;
  explicit LaspStreams(ProgramBuilder& b) : compute(b.stream("compute")), coll(b.stream("coll")) {}
};

// The gathered states of all members: member j's block at rows [j R, (j+1) R).
BufferId gathered_states(ProgramBuilder& b, BufferId state, std::uint32_t members, std::string_view name) {
  const Buffer& s = b.program().buffer(state);
  return b.matrix_buffer(s.rank, name, s.dtype, s.rows * members, s.head_begin, s.heads, s.cols);
}

}  // namespace

BufferId lasp_state_buffer(ProgramBuilder& b, const Workload& w, RankId rank, std::string_view name,
                           bool zero_init) {
  const auto n_seq = static_cast<std::uint32_t>(w.seq_lens.size());
  return b.matrix_buffer(rank, name, DType::kF32, n_seq * w.head_dim, 0, w.kv_heads, w.head_dim,
                         zero_init);
}

std::optional<std::string> refuse_lasp(const Workload& w, const StrategyOptions& o) {
  if (auto r = refuse_degree(w, o)) return r;
  return refuse_indivisible(w, o.sp, "P");
}

LayerForward lasp2_forward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in) {
  const LaspStreams st(b);
  const Workload& w = ctx.workload;
  const std::uint32_t P = ctx.options.sp;
  const GroupId group = b.group(ctx.ranks);
  const StateRange range = w.causal ? StateRange::kBefore : StateRange::kOthers;
  LayerForward f = LayerForward::sized(P, /*with_lse=*/false);
  for (std::uint32_t t = 0; t < P; ++t) {
    const RankId me = ctx.ranks[t];
    const Deps ready(in.ready[t]);
    f.out[t] = b.buffer_like(in.q[t], me, "out", std::nullopt, /*zero_init=*/true);
    std::optional<OpId> gather;
    BufferId gathered{};
    if (P > 1) {
      // The state first, so that its all-gather runs during the intra term.
      const BufferId state = lasp_state_buffer(b, w, me, "state", /*zero_init=*/true);
      const OpId made = b.lin_state(st.compute, in.k[t], in.v[t], state, ready);
      gathered = gathered_states(b, state, P, "states");
      gather = b.collective(st.coll, kAllGatherRows, group, state, gathered, {made});
    }
    const OpId intra = b.lin_intra(st.compute, in.q[t], in.k[t], in.v[t], f.out[t], w.causal, ready);
    f.done[t] = {intra};
    const bool has_prefix = P > 1 && (!w.causal || t > 0);
    if (!has_prefix) continue;
    const BufferId prefix = lasp_state_buffer(b, w, me, "prefix", /*zero_init=*/false);
    const OpId sum = b.lin_state_sum(st.compute, gathered, prefix, t, range, {gather});
    f.done[t] = {b.lin_inter(st.compute, in.q[t], prefix, f.out[t], {sum, intra})};
    f.saved[t] = {prefix};
  }
  return f;
}

LayerBackward lasp2_backward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                             const LayerForward& fwd, const LayerBackwardInputs& grad) {
  const LaspStreams st(b);
  const Workload& w = ctx.workload;
  const std::uint32_t P = ctx.options.sp;
  const GroupId group = b.group(ctx.ranks);
  const StateRange range = w.causal ? StateRange::kAfter : StateRange::kOthers;
  LayerBackward g = LayerBackward::sized(P);
  for (std::uint32_t t = 0; t < P; ++t) {
    const RankId me = ctx.ranks[t];
    const BufferId q = in.q[t], k = in.k[t], v = in.v[t], dout = grad.dout[t];
    Deps ready(in.ready[t]);
    for (OpId d : grad.ready[t]) ready.add(d);
    for (OpId d : fwd.done[t]) ready.add(d);
    g.dq[t] = b.buffer_like(q, me, "dq", DType::kF32, /*zero_init=*/true);
    g.dk[t] = b.buffer_like(k, me, "dk", DType::kF32, /*zero_init=*/true);
    g.dv[t] = b.buffer_like(v, me, "dv", DType::kF32, /*zero_init=*/true);
    std::optional<OpId> gather;
    BufferId gathered{};
    if (P > 1) {
      const BufferId dstate = lasp_state_buffer(b, w, me, "dstate", /*zero_init=*/true);
      const OpId made = b.lin_dstate(st.compute, q, dout, dstate, ready);
      gathered = gathered_states(b, dstate, P, "dstates");
      gather = b.collective(st.coll, kAllGatherRows, group, dstate, gathered, {made});
    }
    OpId last = b.lin_intra_bwd(st.compute, q, k, v, dout, g.dq[t], g.dk[t], g.dv[t], w.causal, ready);
    if (!fwd.saved[t].empty())  // dQ += dO prefix^T needs only the forward's prefix
      last = b.lin_inter_bwd(st.compute, dout, fwd.saved[t][0], g.dq[t], {last});
    const bool has_suffix = P > 1 && (!w.causal || t + 1 < P);
    if (has_suffix) {
      const BufferId suffix = lasp_state_buffer(b, w, me, "dsuffix", /*zero_init=*/false);
      const OpId sum = b.lin_state_sum(st.compute, gathered, suffix, t, range, {gather});
      last = b.lin_state_bwd(st.compute, k, v, suffix, g.dk[t], g.dv[t], {sum, last});
    }
    g.done[t] = {last};
  }
  return g;
}

}  // namespace spsim
