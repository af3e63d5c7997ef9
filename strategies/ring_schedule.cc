#include "strategies/ring_schedule.h"

#include <array>
#include <map>

namespace spsim {
namespace {

struct RingStreams {
  StreamId compute, send, recv;
  explicit RingStreams(ProgramBuilder& b)
      : compute(b.stream("compute")), send(b.stream("send")), recv(b.stream("recv")) {}
};

// Rows of a buffer selected by a RowHalf: the buffer itself or a row view,
// made once per (buffer, half) so per-step selections of long-lived buffers
// (q, out, dq, ...) do not create a view per step.
class RowSelector {
 public:
  explicit RowSelector(ProgramBuilder& b) : b_(b) {}
  BufferId operator()(BufferId buf, RowHalf half) {
    if (half == RowHalf::kAll) return buf;
    const auto key = std::make_pair(static_cast<std::uint32_t>(idx(buf)), half);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    const std::uint32_t n = b_.program().buffer(buf).rows / 2;
    const BufferId view = b_.row_view(buf, half == RowHalf::kEarly ? 0 : n, n);
    cache_.emplace(key, view);
    return view;
  }

 private:
  ProgramBuilder& b_;
  std::map<std::pair<std::uint32_t, RowHalf>, BufferId> cache_;
};

bool visible(const ProgramBuilder& b, BufferId q, BufferId k, bool causal) {
  const Program& p = b.program();
  return unmasked_pairs(p.layout(*p.buffer(q).layout), p.layout(*p.buffer(k).layout), causal) > 0;
}

// The K,V block a member holds at the next step, and the receive that brings
// it (none after the last step).
struct NextKv {
  BufferId k{}, v{};
  std::optional<OpId> recv;
};

// Step s of the K,V pass for member i, which holds (k, v), ready after
// `ready`: K and V go to the next member as one message (one batched NCCL
// group, as the reference does), and the block arriving from the previous
// member — it started on member i-s-1 — is received. Double buffering, as the
// reference: that receive is posted once the previous step's block has been
// computed (`computed`), so at most two blocks are live (the one computing and
// the one arriving).
NextKv pass_kv(ProgramBuilder& b, const RingStreams& st, const LayerContext& ctx, const LayerInputs& in,
               std::uint32_t i, std::uint32_t s, BufferId k, BufferId v, const Deps& ready,
               std::optional<OpId> computed) {
  const std::uint32_t P = ctx.options.sp;
  if (s + 1 >= P) return {};
  const RankId me = ctx.ranks[i], next = ctx.ranks[(i + 1) % P], prev = ctx.ranks[(i + P - 1) % P];
  b.send(st.send, {k, v}, next, ring_tag(ctx.layer, RingMessage::kKV, s), ready);
  const std::uint32_t owner = (i + 2 * P - s - 1) % P;
  NextKv out;
  out.k = b.buffer_like(in.k[owner], me, "k_recv");
  out.v = b.buffer_like(in.v[owner], me, "v_recv");
  out.recv = b.recv(st.recv, {out.k, out.v}, prev, ring_tag(ctx.layer, RingMessage::kKV, s), {computed});
  return out;
}

class RingVariantStrategy final : public Strategy {
 public:
  explicit RingVariantStrategy(const RingVariant& v) : v_(v) {}
  std::string_view name() const override { return v_.name; }
  std::string_view summary() const override { return v_.summary; }
  std::string_view constraints() const override { return v_.constraints; }
  std::optional<std::string> refuse(const Workload& w, const StrategyOptions& o) const override {
    if (auto r = refuse_degree(w, o)) return r;
    return refuse_indivisible(w, std::int64_t{v_.chunks_per_member} * o.sp, v_.chunks_per_member == 1 ? "P" : "2P");
  }
  std::int64_t sequence_multiple(const Workload&, const StrategyOptions& o) const override {
    return std::int64_t{v_.chunks_per_member} * o.sp;
  }
  TokenLayout shard_layout(const Workload& w, const StrategyOptions& o, std::uint32_t member) const override {
    return v_.layout(w.seq_lens, o.sp, member);
  }
  LayerForward forward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in) const override {
    return ring_forward(b, ctx, in, v_.rule(ctx.workload.causal));
  }
  LayerBackward backward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                         const LayerForward& fwd, const LayerBackwardInputs& grad) const override {
    return ring_backward(b, ctx, in, fwd, grad, v_.rule(ctx.workload.causal));
  }

 private:
  RingVariant v_;
};

}  // namespace

std::unique_ptr<Strategy> make_ring_variant(const RingVariant& variant) {
  return std::make_unique<RingVariantStrategy>(variant);
}

std::uint32_t ring_tag(std::uint16_t layer, RingMessage kind, std::uint32_t step) {
  return (std::uint32_t{layer} * 4 + static_cast<std::uint32_t>(kind)) << 20 | (step & 0xfffff);
}

LayerForward ring_forward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                          const RingBlockRule& rule) {
  const RingStreams st(b);
  const std::uint32_t P = ctx.options.sp;
  const bool causal = ctx.workload.causal;
  LayerForward f = LayerForward::sized(P, /*with_lse=*/true);
  struct Partial {
    std::optional<BufferId> out, lse;
  };
  // What each member carries from one step to the next.
  struct Member {
    BufferId k, v;
    Deps kv_ready;
    std::optional<OpId> last_compute, prev_compute;  // compute ops of steps s-1 and s-2
    bool out_written = false;
    std::array<Partial, 3> partial{};  // by RowHalf
  };
  std::vector<Member> m(P);
  std::vector<RowSelector> rows(P, RowSelector(b));
  for (std::uint32_t i = 0; i < P; ++i) {
    const BufferId q = in.q[i];
    const Buffer qb = b.program().buffer(q);  // a copy: buffer_like() below may move the buffer table
    f.out[i] = b.buffer_like(q, ctx.ranks[i], "out");
    f.lse[i] = b.token_buffer(ctx.ranks[i], "lse", DType::kF32, *qb.layout, qb.head_begin, qb.heads, 1);
    m[i].k = in.k[i];
    m[i].v = in.v[i];
    m[i].kv_ready = Deps(in.ready[i]);
  }
  // Step-major emission: all members' ops of step s, then step s+1 — the
  // order the ops run in, which keeps large schedules cache-friendly to simulate.
  for (std::uint32_t s = 0; s < P; ++s) {
    b.set_step(s);
    for (std::uint32_t i = 0; i < P; ++i) {
      Member& mi = m[i];
      const RankId me = ctx.ranks[i];
      const NextKv kv = pass_kv(b, st, ctx, in, i, s, mi.k, mi.v, mi.kv_ready, mi.last_compute);
      const RingBlock blk = rule(i, s, P);
      const BufferId qs = rows[i](in.q[i], blk.q), ks = rows[i](mi.k, blk.kv), vs = rows[i](mi.v, blk.kv);
      std::optional<OpId> compute;
      // The local block always runs: it writes out and lse even for a member
      // whose queries are all padding (a kernel with no visible pair).
      if (s == 0 || visible(b, qs, ks, causal)) {
        Deps deps(mi.kv_ready);
        deps.add(mi.last_compute);
        if (!mi.out_written) {
          if (blk.q != RowHalf::kAll)
            throw ProgramError("ring schedule: the first computed block must cover all query rows");
          compute = b.attn_fwd(st.compute, qs, ks, vs, f.out[i], f.lse[i], causal, deps);
          mi.out_written = true;
        } else {
          // One partial per rank and row selection, reused every step: the
          // compute stream orders each step's write after the last merge read it.
          Partial& part = mi.partial[static_cast<std::size_t>(blk.q)];
          if (!part.out) {
            const Buffer qb = b.program().buffer(qs);
            part.out = b.buffer_like(qs, me, "part_out", DType::kF32);
            part.lse = b.token_buffer(me, "part_lse", DType::kF32, *qb.layout, qb.head_begin, qb.heads, 1);
          }
          const BufferId part_out = *part.out, part_lse = *part.lse;
          const OpId fwd = b.attn_fwd(st.compute, qs, ks, vs, part_out, part_lse, causal, deps);
          compute = b.attn_merge(st.compute, rows[i](f.out[i], blk.q), rows[i](f.lse[i], blk.q),
                                 part_out, part_lse, {fwd});
        }
      }
      if (compute) {
        mi.prev_compute = mi.last_compute;
        mi.last_compute = compute;
      }
      if (kv.recv) {
        mi.k = kv.k;
        mi.v = kv.v;
        mi.kv_ready = Deps{kv.recv};
      }
    }
  }
  for (std::uint32_t i = 0; i < P; ++i) {
    if (!m[i].out_written) throw ProgramError("ring schedule: member " + std::to_string(i) + " computed nothing");
    f.done[i] = {*m[i].last_compute};
    // The block held last (member i+1's): the TransformerEngine backward
    // starts from it, so there the forward ends when it has arrived, even if
    // the mask skipped it (TE waits for every receive of its loop).
    f.saved[i] = {m[i].k, m[i].v};
    if (ctx.options.ring_backward == RingBackward::kTransformerEngine)
      for (OpId d : m[i].kv_ready.ids()) f.done[i].push_back(d);
  }
  b.set_step(0);
  return f;
}

namespace {

// delta = rowsum(out * dout) once per member, before the ring (the references
// recompute it inside every block kernel; once is the same arithmetic).
OpId backward_prep(ProgramBuilder& b, const RingStreams& st, const LayerInputs& in, const LayerForward& fwd,
                   const LayerBackwardInputs& grad, std::uint32_t i, BufferId delta) {
  Deps prep_deps(fwd.done[i]);
  for (OpId d : grad.ready[i]) prep_deps.add(d);
  for (OpId d : in.ready[i]) prep_deps.add(d);
  return b.attn_bwd_prep(st.compute, fwd.out[i], grad.dout[i], delta, prep_deps);
}

// ring-flash-attn's ring_flash_attn_backward (and the zigzag / stripe forms).
LayerBackward ring_backward_rfa(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                                const LayerForward& fwd, const LayerBackwardInputs& grad,
                                const RingBlockRule& rule) {
  const RingStreams st(b);
  const std::uint32_t P = ctx.options.sp;
  const bool causal = ctx.workload.causal;
  LayerBackward g = LayerBackward::sized(P);
  struct Member {
    BufferId delta, k, v;
    BufferId dk, dv;  // the accumulator of the block held now (received, or the own one at step 0)
    Deps kv_ready, dkv_ready;
    std::optional<OpId> last_compute;  // last op of the compute stream
  };
  std::vector<Member> m(P);
  std::vector<RowSelector> rows(P, RowSelector(b));
  for (std::uint32_t i = 0; i < P; ++i) {
    const RankId me = ctx.ranks[i];
    const BufferId q = in.q[i];
    const Buffer qb = b.program().buffer(q);
    Member& mi = m[i];
    mi.delta = b.token_buffer(me, "delta", DType::kF32, *qb.layout, qb.head_begin, qb.heads, 1);
    mi.last_compute = backward_prep(b, st, in, fwd, grad, i, mi.delta);
    g.dq[i] = b.buffer_like(q, me, "dq", DType::kF32, /*zero_init=*/true);
    mi.k = in.k[i];
    mi.v = in.v[i];
    mi.kv_ready = Deps(in.ready[i]);
    mi.dk = b.buffer_like(mi.k, me, "dk_acc", DType::kF32, /*zero_init=*/true);
    mi.dv = b.buffer_like(mi.v, me, "dv_acc", DType::kF32, /*zero_init=*/true);
  }
  for (std::uint32_t s = 0; s < P; ++s) {
    b.set_step(s);
    for (std::uint32_t i = 0; i < P; ++i) {
      Member& mi = m[i];
      const RankId me = ctx.ranks[i], next = ctx.ranks[(i + 1) % P], prev = ctx.ranks[(i + P - 1) % P];
      const NextKv kv = pass_kv(b, st, ctx, in, i, s, mi.k, mi.v, mi.kv_ready, mi.last_compute);
      const RingBlock blk = rule(i, s, P);
      const BufferId qs = rows[i](in.q[i], blk.q), ks = rows[i](mi.k, blk.kv), vs = rows[i](mi.v, blk.kv);
      // What the accumulator sent on after this step waits for.
      Deps acc_ready(mi.dkv_ready);
      if (visible(b, qs, ks, causal)) {
        // The accumulator held is added to once it has arrived (the
        // reference's d_kv_comm.wait() before `dk = block_dk_buffer + next_dk`).
        Deps deps(mi.kv_ready);
        deps.add(mi.last_compute);
        const BlockBackward bb = block_backward(
            b, st.compute, me,
            {qs, ks, vs, rows[i](grad.dout[i], blk.q), rows[i](fwd.lse[i], blk.q), rows[i](mi.delta, blk.q),
             rows[i](g.dq[i], blk.q), rows[i](mi.dk, blk.kv), rows[i](mi.dv, blk.kv)},
            causal, deps, mi.dkv_ready);
        mi.last_compute = bb.add_dv;
        acc_ready = Deps{bb.add_dk, bb.add_dv};
      }
      if (P == 1) continue;  // no ring: the accumulators are the gradients
      // Pass the accumulator on (after the last step it reaches its owner),
      // and post the receive of the one arriving for the next step after this
      // step's work, as the reference's send_recv at the end of the step.
      b.send(st.send, {mi.dk, mi.dv}, next, ring_tag(ctx.layer, RingMessage::kDKV, s), acc_ready);
      // The accumulator arriving now belongs to the block of member i-s-1.
      const std::uint32_t owner = (i + 2 * P - s - 1) % P;
      const BufferId dk_next = b.buffer_like(in.k[owner], me, "dk_recv", DType::kF32);
      const BufferId dv_next = b.buffer_like(in.v[owner], me, "dv_recv", DType::kF32);
      Deps recv_deps(acc_ready);
      recv_deps.add(mi.last_compute);
      const OpId recv_dkv = b.recv(st.recv, {dk_next, dv_next}, prev, ring_tag(ctx.layer, RingMessage::kDKV, s), recv_deps);
      mi.dk = dk_next;
      mi.dv = dv_next;
      mi.dkv_ready = Deps{recv_dkv};
      if (kv.recv) {
        mi.k = kv.k;
        mi.v = kv.v;
        mi.kv_ready = Deps{kv.recv};
      }
    }
  }
  for (std::uint32_t i = 0; i < P; ++i) {
    g.dk[i] = m[i].dk;
    g.dv[i] = m[i].dv;
    g.done[i].assign(m[i].dkv_ready.ids().begin(), m[i].dkv_ready.ids().end());
    g.done[i].push_back(*m[i].last_compute);
  }
  b.set_step(0);
  return g;
}


// TransformerEngine's AttnFuncWithCPAndKVP2P.backward: the ring runs the
// other way (member i sends to i-1, receives from i+1) and starts from the
// block the forward held last, member i+1's, so member i holds the block of
// member i+1+s at step s and its own block last. The block computed at step s
// is the forward's step P-1-s (the same rows of the rule). One message per
// step: at step 0 K,V; at steps 0 < s < P-1 [K,V of this step's block ; the
// dK,dV accumulator of the previous step's block]; at the last step the
// accumulator only. Each accumulator thus travels one hop behind its K,V and
// arrives at its owner in the last message, where the owner's diagonal block
// is added: P-1 hops, none after the loop. Accumulators, dq and the block
// gradients are in the input dtype (TE allocates them like kv and q).
LayerBackward ring_backward_te(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                               const LayerForward& fwd, const LayerBackwardInputs& grad,
                               const RingBlockRule& rule) {
  const RingStreams st(b);
  const std::uint32_t P = ctx.options.sp;
  const bool causal = ctx.workload.causal;
  LayerBackward g = LayerBackward::sized(P);
  struct Member {
    BufferId delta, k, v;
    Deps kv_ready;
    // The accumulator of the previous step's block (sent with the next
    // message), and of this step's block (received in this step's message).
    std::optional<BufferId> dk_prev, dv_prev;
    std::optional<OpId> last_compute;
  };
  std::vector<Member> m(P);
  std::vector<RowSelector> rows(P, RowSelector(b));
  for (std::uint32_t i = 0; i < P; ++i) {
    const RankId me = ctx.ranks[i];
    const Buffer qb = b.program().buffer(in.q[i]);
    Member& mi = m[i];
    mi.delta = b.token_buffer(me, "delta", DType::kF32, *qb.layout, qb.head_begin, qb.heads, 1);
    mi.last_compute = backward_prep(b, st, in, fwd, grad, i, mi.delta);
    g.dq[i] = b.buffer_like(in.q[i], me, "dq", std::nullopt, /*zero_init=*/true);
    if (P > 1 && fwd.saved[i].size() < 2)
      throw ProgramError("ring backward (transformer-engine): the forward did not keep member " + std::to_string(i) +
                         "'s last K,V block");
    mi.k = P > 1 ? fwd.saved[i][0] : in.k[i];
    mi.v = P > 1 ? fwd.saved[i][1] : in.v[i];
    mi.kv_ready = Deps(in.ready[i]);
    for (OpId d : fwd.done[i]) mi.kv_ready.add(d);
  }
  for (std::uint32_t s = 0; s < P; ++s) {
    b.set_step(s);
    for (std::uint32_t i = 0; i < P; ++i) {
      Member& mi = m[i];
      const RankId me = ctx.ranks[i], to = ctx.ranks[(i + P - 1) % P], from = ctx.ranks[(i + 1) % P];
      const std::uint32_t held = (i + 1 + s) % P, arriving = (i + 2 + s) % P;
      // This step's message, posted once the previous step's work is done
      // (TE waits for the previous message, then reuses its buffer).
      const std::uint32_t tag = ring_tag(ctx.layer, RingMessage::kKV, s);
      const bool first = s == 0, last = s + 1 == P;
      // The next K,V (none at the last step), and the accumulator of the block
      // held now: started here at step 0 (zero), received with the message after.
      BufferId next_k{}, next_v{};
      if (!last) {
        next_k = b.buffer_like(in.k[arriving], me, "k_recv");
        next_v = b.buffer_like(in.v[arriving], me, "v_recv");
      }
      const BufferId acc_k = b.buffer_like(in.k[held], me, first ? "dk_acc" : "dk_recv", std::nullopt, first);
      const BufferId acc_v = b.buffer_like(in.v[held], me, first ? "dv_acc" : "dv_recv", std::nullopt, first);
      std::optional<OpId> message;
      Deps post(mi.kv_ready);
      post.add(mi.last_compute);
      if (P > 1 && first) {
        b.send(st.send, {mi.k, mi.v}, to, tag, post);
        message = b.recv(st.recv, {next_k, next_v}, from, tag, post);
      } else if (P > 1 && !last) {
        b.send(st.send, {mi.k, mi.v, *mi.dk_prev, *mi.dv_prev}, to, tag, post);
        message = b.recv(st.recv, {next_k, next_v, acc_k, acc_v}, from, tag, post);
      } else if (P > 1) {
        b.send(st.send, {*mi.dk_prev, *mi.dv_prev}, to, tag, post);
        message = b.recv(st.recv, {acc_k, acc_v}, from, tag, post);
      }
      const RingBlock blk = rule(i, P - 1 - s, P);
      const BufferId qs = rows[i](in.q[i], blk.q), ks = rows[i](mi.k, blk.kv), vs = rows[i](mi.v, blk.kv);
      if (visible(b, qs, ks, causal)) {
        // The add waits for this step's whole message (TE's req.wait()).
        Deps deps(mi.kv_ready);
        deps.add(mi.last_compute);
        mi.last_compute = block_backward(b, st.compute, me,
                                         {qs, ks, vs, rows[i](grad.dout[i], blk.q), rows[i](fwd.lse[i], blk.q),
                                          rows[i](mi.delta, blk.q), rows[i](g.dq[i], blk.q), rows[i](acc_k, blk.kv),
                                          rows[i](acc_v, blk.kv)},
                                         causal, deps, {message})
                              .add_dv;
      } else {
        // Masked block: the accumulator is sent on as received. Order the
        // compute stream after the message so the next post waits for it.
        mi.last_compute = message.value_or(*mi.last_compute);
      }
      mi.dk_prev = acc_k;
      mi.dv_prev = acc_v;
      if (message) mi.kv_ready = Deps{message};
      if (!last) {
        mi.k = next_k;
        mi.v = next_v;
      }
    }
  }
  for (std::uint32_t i = 0; i < P; ++i) {
    g.dk[i] = *m[i].dk_prev;
    g.dv[i] = *m[i].dv_prev;
    g.done[i] = {*m[i].last_compute};
    for (OpId d : m[i].kv_ready.ids()) g.done[i].push_back(d);
  }
  b.set_step(0);
  return g;
}

}  // namespace

BlockBackward block_backward(ProgramBuilder& b, StreamId compute, RankId me, const BlockBackwardOperands& o,
                             bool causal, const Deps& kernel_deps, const Deps& acc_deps) {
  const BufferId dq_blk = b.buffer_like(o.q, me, "dq_blk", std::nullopt, /*zero_init=*/true);
  const BufferId dk_blk = b.buffer_like(o.k, me, "dk_blk", std::nullopt, /*zero_init=*/true);
  const BufferId dv_blk = b.buffer_like(o.v, me, "dv_blk", std::nullopt, /*zero_init=*/true);
  BlockBackward r;
  r.kernel = b.attn_bwd(compute, o.q, o.k, o.v, o.dout, o.lse, o.delta, dq_blk, dk_blk, dv_blk, causal, kernel_deps);
  b.accumulate(compute, dq_blk, o.dq, {r.kernel});
  Deps add_deps(acc_deps);
  add_deps.add(r.kernel);
  r.add_dk = b.accumulate(compute, dk_blk, o.acc_dk, add_deps);
  r.add_dv = b.accumulate(compute, dv_blk, o.acc_dv, {r.add_dk});
  return r;
}

LayerBackward ring_backward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                            const LayerForward& fwd, const LayerBackwardInputs& grad,
                            const RingBlockRule& rule) {
  switch (ctx.options.ring_backward) {
    case RingBackward::kRingFlashAttn: return ring_backward_rfa(b, ctx, in, fwd, grad, rule);
    case RingBackward::kTransformerEngine: return ring_backward_te(b, ctx, in, fwd, grad, rule);
  }
  throw ProgramError("ring backward: unknown form");
}

}  // namespace spsim
