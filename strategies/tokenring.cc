// `tokenring`: TokenRing (arXiv 2412.20501; github ACA-Lab-SJTU/token-ring).
// Queries travel instead of keys and values, and every partial result goes
// straight back to the owner of its queries, so both directions of the links
// carry data. The schedule, with diagrams, is in docs/strategies.md.
//
// Forward, member i of P (K_i, V_i stay put):
//   step s: Q of member j = i-s is here. Send it on to i+1 (stream "send") and
//           receive Q of i-s-1 from i-1 ("recv") while computing attention of
//           Q_j against K_i, V_i ("compute"). For s >= 1 the partial (out,
//           lse) goes directly to member j ("ret_send"), however far away.
//   The owner receives the partial of step s from member i+s ("ret_recv") and
//   merges it by log-sum-exp into an fp32 accumulator one step later (the
//   slack lets the partial travel while the next block computes); the
//   accumulator is cast to the output dtype at the end.
// Causal: the zigzag layout. Q of member j at member i computes the rows
// block_rows.h gives for the pair (j, i): late half of Q x all of K,V when
// i > j, all of Q x early half of K,V when i < j, so every step costs C^2/2.
//
// Backward (not published; designed in the same spirit): Q, dO, lse and
// delta (rowsum(out * dO), computed by the owner) travel one hop per step like
// Q in the forward; member i accumulates dK_i, dV_i locally in fp32 and sends
// the partial dQ of each visiting block straight back to its owner, which
// adds it into its dQ (kAccumulate) one step later.
//
// Buffers: a fresh buffer per received message; a receive of Q reuses the
// memory of the Q computed two steps back (as ring_schedule: up to three live),
// a partial is computed into the memory of the partial sent two steps back,
// and a returned partial is received into the memory of the one merged two
// steps back.
#include "strategies/block_rows.h"
#include "strategies/strategy_factories.h"

namespace spsim {
namespace {

enum class TokenRingMessage : std::uint32_t { kQ, kOut, kLse, kBwdQ, kBwdDOut, kBwdLse, kBwdDelta, kDQ };

// Unique per (layer, message, step) for layers < 512 and steps < 2^20.
std::uint32_t token_ring_tag(std::uint16_t layer, TokenRingMessage kind, std::uint32_t step) {
  return (std::uint32_t{layer} * 8 + static_cast<std::uint32_t>(kind)) << 20 | (step & 0xfffff);
}

struct TokenRingStreams {
  StreamId compute, send, recv, ret_send, ret_recv;
  explicit TokenRingStreams(ProgramBuilder& b)
      : compute(b.stream("compute")),
        send(b.stream("send")),
        recv(b.stream("recv")),
        ret_send(b.stream("ret_send")),
        ret_recv(b.stream("ret_recv")) {}
};

// (i - s) mod P.
std::uint32_t back(std::uint32_t i, std::uint32_t s, std::uint32_t P) { return (i + P - s % P) % P; }

// An [rows, heads, 1] fp32 buffer beside token buffer `like` (lse, delta).
BufferId row_stat(ProgramBuilder& b, BufferId like, RankId rank, std::string_view name) {
  const Buffer& lb = b.program().buffer(like);
  return b.token_buffer(rank, name, DType::kF32, *lb.layout, lb.head_begin, lb.heads, 1);
}

// The rows of member `q_member`'s queries that attend member `kv_member`'s
// keys, and whether any pair is visible at all (both the computing member and
// the owner evaluate this, so they agree on which partials exist).
struct Pair {
  RingBlock rows;
  bool visible;
};
Pair pair_rows(ProgramBuilder& b, const LayerInputs& in, std::uint32_t q_member,
               std::uint32_t kv_member, bool causal) {
  const RingBlock blk = zigzag_pair_block(q_member, kv_member, causal);
  const BufferId qs = half_rows(b, in.q[q_member], blk.q);
  const BufferId ks = half_rows(b, in.k[kv_member], blk.kv);
  return {blk, has_visible_pairs(b, qs, ks, causal)};
}

class TokenRingStrategy final : public Strategy {
 public:
  std::string_view name() const override { return "tokenring"; }
  std::string_view summary() const override {
    return "TokenRing: Q moves r->r+1 each step, each partial (out, lse) returns directly to its owner; "
           "both link directions busy; zigzag halves when causal";
  }
  std::string_view constraints() const override {
    return "S divisible by P (2P when causal); P <= S";
  }
  std::int64_t sequence_multiple(const Workload& w, const StrategyOptions& o) const override {
    return (w.causal ? 2 : 1) * std::int64_t{o.sp};
  }
  std::optional<std::string> refuse(const Workload& w, const StrategyOptions& o) const override {
    if (auto r = refuse_degree(w, o)) return r;
    if (w.causal) return refuse_indivisible(w, 2 * std::int64_t{o.sp}, "2P (causal zigzag layout)");
    return refuse_indivisible(w, o.sp, "P");
  }
  TokenLayout shard_layout(const Workload& w, const StrategyOptions& o, std::uint32_t member) const override {
    return w.causal ? zigzag_shard(w.seq_lens, o.sp, member) : contiguous_shard(w.seq_lens, o.sp, member);
  }
  LayerForward forward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in) const override;
  LayerBackward backward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                         const LayerForward& fwd, const LayerBackwardInputs& grad) const override;
};

LayerForward TokenRingStrategy::forward(ProgramBuilder& b, const LayerContext& ctx,
                                        const LayerInputs& in) const {
  const TokenRingStreams st(b);
  const std::uint32_t P = ctx.options.sp;
  const bool causal = ctx.workload.causal;
  LayerForward f = LayerForward::sized(P, /*with_lse=*/true);
  for (std::uint32_t i = 0; i < P; ++i) {
    const RankId me = ctx.ranks[i], next = ctx.ranks[(i + 1) % P], prev = ctx.ranks[back(i, 1, P)];
    f.out[i] = b.buffer_like(in.q[i], me, "out");
    f.lse[i] = row_stat(b, in.q[i], me, "lse");
    // Partials merge in fp32; with one member the only block is the output.
    const BufferId acc = P == 1 ? f.out[i] : b.buffer_like(in.q[i], me, "out_acc", DType::kF32);

    BufferId q = in.q[i];
    Deps q_ready(in.ready[i]);
    std::optional<OpId> last_attn, prev_attn;  // attention ops of the last two steps
    std::vector<Deps> partial_sent(P);         // per step: sends of the partial computed here
    std::vector<std::optional<RingBlock>> returned(P);  // per step: rows of the partial coming back
    std::vector<BufferId> ret_out(P), ret_lse(P);
    std::vector<Deps> ret_recvd(P);
    std::vector<std::optional<OpId>> merged(P);
    std::optional<OpId> last_on_compute;

    auto merge_returned = [&](std::uint32_t s) {
      if (!returned[s]) return;
      merged[s] = b.attn_merge(st.compute, half_rows(b, acc, returned[s]->q), half_rows(b, f.lse[i], returned[s]->q),
                               ret_out[s], ret_lse[s], ret_recvd[s]);
      last_on_compute = merged[s];
    };

    for (std::uint32_t s = 0; s < P; ++s) {
      b.set_step(s);
      const std::uint32_t owner = back(i, s, P);  // whose Q is here
      BufferId q_next{};
      std::optional<OpId> recv_q;
      if (s + 1 < P) {
        b.send(st.send, q, next, token_ring_tag(ctx.layer, TokenRingMessage::kQ, s), q_ready);
        q_next = b.buffer_like(in.q[back(i, s + 1, P)], me, "q_recv");
        recv_q = b.recv(st.recv, q_next, prev, token_ring_tag(ctx.layer, TokenRingMessage::kQ, s), {prev_attn});
      }

      const Pair here = pair_rows(b, in, owner, i, causal);
      std::optional<OpId> attn;
      if (s == 0) {
        attn = b.attn_fwd(st.compute, q, in.k[i], in.v[i], acc, f.lse[i], causal, Deps(in.ready[i]));
      } else if (here.visible) {
        const BufferId qs = half_rows(b, q, here.rows.q);
        const BufferId ks = half_rows(b, in.k[i], here.rows.kv), vs = half_rows(b, in.v[i], here.rows.kv);
        Deps deps(q_ready);
        for (OpId d : in.ready[i]) deps.add(d);
        if (s >= 2)
          for (OpId d : partial_sent[s - 2].ids()) deps.add(d);
        const BufferId part_out = b.buffer_like(qs, me, "part_out");
        const BufferId part_lse = row_stat(b, qs, me, "part_lse");
        attn = b.attn_fwd(st.compute, qs, ks, vs, part_out, part_lse, causal, deps);
        const RankId to = ctx.ranks[owner];
        partial_sent[s] = Deps{b.send(st.ret_send, part_out, to, token_ring_tag(ctx.layer, TokenRingMessage::kOut, s), {attn}),
                               b.send(st.ret_send, part_lse, to, token_ring_tag(ctx.layer, TokenRingMessage::kLse, s), {attn})};
      }
      if (attn) {
        prev_attn = last_attn;
        last_attn = attn;
        last_on_compute = attn;
      }

      // The partial of my Q computed at step s by member i+s.
      if (s >= 1) {
        const std::uint32_t from = (i + s) % P;
        const Pair there = pair_rows(b, in, i, from, causal);
        if (there.visible) {
          returned[s] = there.rows;
          const BufferId rows = half_rows(b, in.q[i], there.rows.q);
          ret_out[s] = b.buffer_like(rows, me, "ret_out");
          ret_lse[s] = row_stat(b, rows, me, "ret_lse");
          const std::optional<OpId> reuse = s >= 2 ? merged[s - 2] : std::nullopt;
          const RankId src = ctx.ranks[from];
          ret_recvd[s] = Deps{b.recv(st.ret_recv, ret_out[s], src, token_ring_tag(ctx.layer, TokenRingMessage::kOut, s), {reuse}),
                              b.recv(st.ret_recv, ret_lse[s], src, token_ring_tag(ctx.layer, TokenRingMessage::kLse, s), {reuse})};
        }
      }
      if (s >= 2) merge_returned(s - 1);

      if (s + 1 < P) {
        q = q_next;
        q_ready = Deps{recv_q};
      }
    }
    if (P >= 2) {
      merge_returned(P - 1);
      last_on_compute = b.copy(st.compute, acc, f.out[i], {last_on_compute});
    }
    f.done[i] = {*last_on_compute};
  }
  b.set_step(0);
  return f;
}

LayerBackward TokenRingStrategy::backward(ProgramBuilder& b, const LayerContext& ctx,
                                          const LayerInputs& in, const LayerForward& fwd,
                                          const LayerBackwardInputs& grad) const {
  const TokenRingStreams st(b);
  const std::uint32_t P = ctx.options.sp;
  const bool causal = ctx.workload.causal;
  LayerBackward g = LayerBackward::sized(P);
  for (std::uint32_t i = 0; i < P; ++i) {
    const RankId me = ctx.ranks[i], next = ctx.ranks[(i + 1) % P], prev = ctx.ranks[back(i, 1, P)];
    const BufferId delta = row_stat(b, in.q[i], me, "delta");
    Deps prep_deps(fwd.done[i]);
    for (OpId d : grad.ready[i]) prep_deps.add(d);
    for (OpId d : in.ready[i]) prep_deps.add(d);
    const OpId prep = b.attn_bwd_prep(st.compute, fwd.out[i], grad.dout[i], delta, prep_deps);
    g.dq[i] = b.buffer_like(in.q[i], me, "dq", DType::kF32, /*zero_init=*/true);
    g.dk[i] = b.buffer_like(in.k[i], me, "dk", DType::kF32, /*zero_init=*/true);
    g.dv[i] = b.buffer_like(in.v[i], me, "dv", DType::kF32, /*zero_init=*/true);

    // The travelling bundle: what the block gradient needs from the Q side.
    struct Bundle {
      BufferId q, dout, lse, delta;
    };
    Bundle cur{in.q[i], grad.dout[i], fwd.lse[i], delta};
    Deps cur_ready{prep};
    std::optional<OpId> last_attn, prev_attn;
    std::vector<std::optional<OpId>> dq_sent(P);
    std::vector<std::optional<BufferId>> ret_dq(P);
    std::vector<std::optional<OpId>> ret_recvd(P), added(P);
    std::optional<OpId> last_on_compute = prep;

    auto add_returned = [&](std::uint32_t s) {
      if (!ret_dq[s]) return;
      added[s] = b.accumulate(st.compute, *ret_dq[s], g.dq[i], {ret_recvd[s]});
      last_on_compute = added[s];
    };

    for (std::uint32_t s = 0; s < P; ++s) {
      b.set_step(s);
      const std::uint32_t owner = back(i, s, P);
      Bundle nxt{};
      Deps nxt_ready;
      if (s + 1 < P) {
        const std::uint32_t nxt_owner = back(i, s + 1, P);
        nxt = Bundle{b.buffer_like(in.q[nxt_owner], me, "q_recv"), b.buffer_like(grad.dout[nxt_owner], me, "dout_recv"),
                     b.buffer_like(fwd.lse[nxt_owner], me, "lse_recv"), b.buffer_like(fwd.lse[nxt_owner], me, "delta_recv")};
        const std::pair<BufferId, BufferId> legs[] = {{cur.q, nxt.q}, {cur.dout, nxt.dout}, {cur.lse, nxt.lse}, {cur.delta, nxt.delta}};
        const TokenRingMessage kinds[] = {TokenRingMessage::kBwdQ, TokenRingMessage::kBwdDOut, TokenRingMessage::kBwdLse, TokenRingMessage::kBwdDelta};
        for (int m = 0; m < 4; ++m) {
          b.send(st.send, legs[m].first, next, token_ring_tag(ctx.layer, kinds[m], s), cur_ready);
          nxt_ready.add(b.recv(st.recv, legs[m].second, prev, token_ring_tag(ctx.layer, kinds[m], s), {prev_attn}));
        }
      }

      const Pair here = pair_rows(b, in, owner, i, causal);
      std::optional<OpId> attn;
      if (s == 0) {
        attn = b.attn_bwd(st.compute, cur.q, in.k[i], in.v[i], cur.dout, cur.lse, cur.delta, g.dq[i], g.dk[i],
                          g.dv[i], causal, {prep});
      } else if (here.visible) {
        const RowHalf qh = here.rows.q, kh = here.rows.kv;
        const BufferId qs = half_rows(b, cur.q, qh);
        Deps deps(cur_ready);
        if (s >= 2) deps.add(dq_sent[s - 2]);
        const BufferId dq_part = b.buffer_like(qs, me, "dq_part", DType::kF32, /*zero_init=*/true);
        attn = b.attn_bwd(st.compute, qs, half_rows(b, in.k[i], kh), half_rows(b, in.v[i], kh),
                          half_rows(b, cur.dout, qh), half_rows(b, cur.lse, qh), half_rows(b, cur.delta, qh),
                          dq_part, half_rows(b, g.dk[i], kh), half_rows(b, g.dv[i], kh), causal, deps);
        dq_sent[s] = b.send(st.ret_send, dq_part, ctx.ranks[owner], token_ring_tag(ctx.layer, TokenRingMessage::kDQ, s), {attn});
      }
      if (attn) {
        prev_attn = last_attn;
        last_attn = attn;
        last_on_compute = attn;
      }

      // The partial dQ of my rows computed at step s by member i+s.
      if (s >= 1) {
        const std::uint32_t from = (i + s) % P;
        const Pair there = pair_rows(b, in, i, from, causal);
        if (there.visible) {
          ret_dq[s] = b.buffer_like(half_rows(b, in.q[i], there.rows.q), me, "dq_ret", DType::kF32);
          ret_recvd[s] = b.recv(st.ret_recv, *ret_dq[s], ctx.ranks[from], token_ring_tag(ctx.layer, TokenRingMessage::kDQ, s),
                                {s >= 2 ? added[s - 2] : std::nullopt});
        }
      }
      if (s >= 2) add_returned(s - 1);

      if (s + 1 < P) {
        cur = nxt;
        cur_ready = nxt_ready;
      }
    }
    if (P >= 2) add_returned(P - 1);
    g.done[i] = {*last_on_compute};
  }
  b.set_step(0);
  return g;
}

}  // namespace

std::unique_ptr<Strategy> make_tokenring_strategy() { return std::make_unique<TokenRingStrategy>(); }

}  // namespace spsim
