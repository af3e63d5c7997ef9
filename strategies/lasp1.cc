// `lasp1`: LASP (OpenNLPLab/LASP lasp_naive.py; arXiv 2404.02882), causal
// linear attention by a serial ring of prefix states
// (../shared/reference/strategies.md, LASP-1). Member t holds chunk t of every
// sequence (contiguous_shard). Forward: it computes its intra-chunk term and
// its own state M_t without waiting for anyone; member t > 0 receives the
// prefix KV_t = sum_{j<t} M_j (fp32 state, stream "recv") from t-1, adds
// Q_t · KV_t to its output, and — unless it is the last member — adds KV_t into
// M_t and sends the result (= KV_{t+1}) to t+1 (stream "send"): a chain of P-1
// serial hops whose critical path per hop is one transfer plus one D x D add
// (the add follows the member's own intra-chunk kernel on "compute", so a hop
// also waits for that kernel when the prefix arrives before it ends).
// Backward reverses the chain: member t < P-1 receives D_t = sum_{j>t} dM_j
// from t+1, uses it for dK, dV, adds its own dM_t = Q_t^T dO_t and sends the
// sum to t-1. lasp_naive receives before launching its kernels; here only the
// ops that read the received state wait for it (the paper's parallel intra
// computation). Full (non-causal) masks are refused: the chain carries
// only earlier chunks.
#include "strategies/lasp_schedule.h"
#include "strategies/strategy_factories.h"

namespace spsim {
namespace {

struct Lasp1Streams {
  StreamId compute, send, recv;
  explicit Lasp1Streams(ProgramBuilder& b)
      : compute(b.stream("compute")), send(b.stream("send")), recv(b.stream("recv")) {}
};

// One message per (layer, direction) between two neighbours: the tag needs
// nothing else.
enum class ChainMessage : std::uint32_t { kPrefix, kStateGrad };
std::uint32_t chain_tag(std::uint16_t layer, ChainMessage m) {
  return std::uint32_t{layer} * 2 + static_cast<std::uint32_t>(m);
}

class Lasp1Strategy final : public Strategy {
 public:
  std::string_view name() const override { return "lasp1"; }
  std::string_view summary() const override {
    return "LASP-1 linear attention: serial chain of fp32 prefix states t->t+1 (P-1 hops), reversed for dKV";
  }
  std::string_view constraints() const override {
    return "linear attention; causal only; S divisible by P; P <= S";
  }
  std::optional<std::string> refuse(const Workload& w, const StrategyOptions& o) const override {
    if (auto r = refuse_lasp(w, o)) return r;
    if (!w.causal)
      return "lasp1 needs a causal mask: its chain carries only earlier chunks' states (use lasp2)";
    return std::nullopt;
  }
  AttentionKind attention_kind(const StrategyOptions&) const override { return AttentionKind::kLinear; }
  TokenLayout shard_layout(const Workload& w, const StrategyOptions& o, std::uint32_t member) const override {
    return contiguous_shard(w.seq_lens, o.sp, member);
  }

  LayerForward forward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in) const override {
    const Lasp1Streams st(b);
    const Workload& w = ctx.workload;
    const std::uint32_t P = ctx.options.sp;
    LayerForward f = LayerForward::sized(P, /*with_lse=*/false);
    for (std::uint32_t t = 0; t < P; ++t) {
      b.set_step(t);
      const RankId me = ctx.ranks[t];
      const Deps ready(in.ready[t]);
      f.out[t] = b.buffer_like(in.q[t], me, "out", std::nullopt, /*zero_init=*/true);
      // Own state first: member 0 can start the chain right away.
      std::optional<OpId> state_made;
      BufferId state{};
      if (t + 1 < P) {
        state = lasp_state_buffer(b, w, me, "state", /*zero_init=*/true);
        state_made = b.lin_state(st.compute, in.k[t], in.v[t], state, ready);
      }
      const OpId intra = b.lin_intra(st.compute, in.q[t], in.k[t], in.v[t], f.out[t], true, ready);
      f.done[t] = {intra};
      std::optional<OpId> to_send = state_made;
      if (t > 0) {
        const BufferId prefix = lasp_state_buffer(b, w, me, "prefix_recv", /*zero_init=*/false);
        const OpId got = b.recv(st.recv, prefix, ctx.ranks[t - 1], chain_tag(ctx.layer, ChainMessage::kPrefix));
        if (t + 1 < P) to_send = b.accumulate(st.compute, prefix, state, {got, state_made});
        f.done[t] = {b.lin_inter(st.compute, in.q[t], prefix, f.out[t], {got, intra})};
        f.saved[t] = {prefix};
      }
      if (t + 1 < P) b.send(st.send, state, ctx.ranks[t + 1], chain_tag(ctx.layer, ChainMessage::kPrefix), {to_send});
    }
    b.set_step(0);
    return f;
  }

  LayerBackward backward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                         const LayerForward& fwd, const LayerBackwardInputs& grad) const override {
    const Lasp1Streams st(b);
    const Workload& w = ctx.workload;
    const std::uint32_t P = ctx.options.sp;
    LayerBackward g = LayerBackward::sized(P);
    for (std::uint32_t t = P; t-- > 0;) {
      b.set_step(P - 1 - t);
      const RankId me = ctx.ranks[t];
      const BufferId q = in.q[t], k = in.k[t], v = in.v[t], dout = grad.dout[t];
      Deps ready(in.ready[t]);
      for (OpId d : grad.ready[t]) ready.add(d);
      for (OpId d : fwd.done[t]) ready.add(d);
      g.dq[t] = b.buffer_like(q, me, "dq", DType::kF32, /*zero_init=*/true);
      g.dk[t] = b.buffer_like(k, me, "dk", DType::kF32, /*zero_init=*/true);
      g.dv[t] = b.buffer_like(v, me, "dv", DType::kF32, /*zero_init=*/true);
      // Own state gradient first: member P-1 can start the reverse chain.
      std::optional<OpId> dstate_made;
      BufferId dstate{};
      if (t > 0) {
        dstate = lasp_state_buffer(b, w, me, "dstate", /*zero_init=*/true);
        dstate_made = b.lin_dstate(st.compute, q, dout, dstate, ready);
      }
      OpId last = b.lin_intra_bwd(st.compute, q, k, v, dout, g.dq[t], g.dk[t], g.dv[t], true, ready);
      std::optional<OpId> to_send = dstate_made;
      if (t + 1 < P) {
        const BufferId suffix = lasp_state_buffer(b, w, me, "dsuffix_recv", /*zero_init=*/false);
        const OpId got = b.recv(st.recv, suffix, ctx.ranks[t + 1], chain_tag(ctx.layer, ChainMessage::kStateGrad));
        if (t > 0) to_send = b.accumulate(st.compute, suffix, dstate, {got, dstate_made});
        last = b.lin_state_bwd(st.compute, k, v, suffix, g.dk[t], g.dv[t], {got, last});
      }
      if (!fwd.saved[t].empty()) last = b.lin_inter_bwd(st.compute, dout, fwd.saved[t][0], g.dq[t], {last});
      if (t > 0) b.send(st.send, dstate, ctx.ranks[t - 1], chain_tag(ctx.layer, ChainMessage::kStateGrad), {to_send});
      g.done[t] = {last};
    }
    b.set_step(0);
    return g;
  }
};

}  // namespace

std::unique_ptr<Strategy> make_lasp1_strategy() { return std::make_unique<Lasp1Strategy>(); }

}  // namespace spsim
