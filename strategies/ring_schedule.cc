#include "strategies/ring_schedule.h"

namespace spsim {
namespace {

struct Streams {
  StreamId compute, send, recv;
  explicit Streams(ProgramBuilder& b)
      : compute(b.stream("compute")), send(b.stream("send")), recv(b.stream("recv")) {}
};

// Rows of `buf` selected by `half` (a view, or the buffer itself).
BufferId rows(ProgramBuilder& b, BufferId buf, RowHalf half) {
  if (half == RowHalf::kAll) return buf;
  const std::uint32_t n = b.program().buffer(buf).rows / 2;
  return b.row_view(buf, half == RowHalf::kEarly ? 0 : n, n);
}

bool visible(const ProgramBuilder& b, BufferId q, BufferId k, bool causal) {
  const Program& p = b.program();
  return unmasked_pairs(p.layout(*p.buffer(q).layout), p.layout(*p.buffer(k).layout), causal) > 0;
}

}  // namespace

std::uint32_t ring_tag(std::uint16_t layer, RingMessage kind, std::uint32_t step) {
  return (std::uint32_t{layer} * 4 + static_cast<std::uint32_t>(kind)) << 20 | (step & 0xfffff);
}

LayerForward ring_forward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                          const RingBlockRule& rule) {
  const Streams st(b);
  const std::uint32_t P = ctx.options.sp;
  const bool causal = ctx.workload.causal;
  LayerForward f;
  f.out.resize(P);
  f.lse.resize(P);
  f.done.resize(P);
  f.saved.resize(P);
  for (std::uint32_t i = 0; i < P; ++i) {
    const RankId me = ctx.ranks[i], next = ctx.ranks[(i + 1) % P], prev = ctx.ranks[(i + P - 1) % P];
    const BufferId q = in.q[i];
    const Buffer qb = b.program().buffer(q);  // a copy: buffer_like() below may move the buffer table
    f.out[i] = b.buffer_like(q, me, "out");
    f.lse[i] = b.token_buffer(me, "lse", DType::kF32, *qb.layout, qb.head_begin, qb.heads, 1);
    BufferId k = in.k[i], v = in.v[i];
    Deps kv_ready(in.ready[i]);
    std::optional<OpId> last_compute, prev_compute;  // compute ops of steps s-1 and s-2
    bool out_written = false;
    for (std::uint32_t s = 0; s < P; ++s) {
      b.set_step(s);
      BufferId k_next{}, v_next{};
      std::optional<OpId> recv_k, recv_v;
      if (s + 1 < P) {
        b.send(st.send, k, next, ring_tag(ctx.layer, RingMessage::kK, s), kv_ready);
        b.send(st.send, v, next, ring_tag(ctx.layer, RingMessage::kV, s), kv_ready);
        // The block arriving now started on member i-s-1.
        const std::uint32_t owner = (i + 2 * P - s - 1) % P;
        k_next = b.buffer_like(in.k[owner], me, "k_recv");
        v_next = b.buffer_like(in.v[owner], me, "v_recv");
        // Double buffering: the block received now reuses the memory of the
        // block computed two steps ago.
        recv_k = b.recv(st.recv, k_next, prev, ring_tag(ctx.layer, RingMessage::kK, s), {prev_compute});
        recv_v = b.recv(st.recv, v_next, prev, ring_tag(ctx.layer, RingMessage::kV, s), {prev_compute});
      }
      const RingBlock blk = rule(i, s, P);
      const BufferId qs = rows(b, q, blk.q), ks = rows(b, k, blk.kv), vs = rows(b, v, blk.kv);
      std::optional<OpId> compute;
      if (visible(b, qs, ks, causal)) {
        Deps deps(kv_ready);
        deps.add(last_compute);
        if (!out_written) {
          if (blk.q != RowHalf::kAll)
            throw ProgramError("ring schedule: the first computed block must cover all query rows");
          compute = b.attn_fwd(st.compute, qs, ks, vs, f.out[i], f.lse[i], causal, deps);
          out_written = true;
        } else {
          const BufferId part_out = b.buffer_like(qs, me, "part_out", DType::kF32);
          const Buffer& qb = b.program().buffer(qs);
          const BufferId part_lse = b.token_buffer(me, "part_lse", DType::kF32, *qb.layout, qb.head_begin, qb.heads, 1);
          const OpId fwd = b.attn_fwd(st.compute, qs, ks, vs, part_out, part_lse, causal, deps);
          compute = b.attn_merge(st.compute, rows(b, f.out[i], blk.q), rows(b, f.lse[i], blk.q),
                                 part_out, part_lse, {fwd});
        }
      }
      if (compute) {
        prev_compute = last_compute;
        last_compute = compute;
      }
      if (s + 1 < P) {
        k = k_next;
        v = v_next;
        kv_ready = Deps{recv_k, recv_v};
      }
    }
    if (!out_written) throw ProgramError("ring schedule: member " + std::to_string(i) + " computed nothing");
    f.done[i] = {*last_compute};
  }
  b.set_step(0);
  return f;
}

LayerBackward ring_backward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                            const LayerForward& fwd, const LayerBackwardInputs& grad,
                            const RingBlockRule& rule) {
  const Streams st(b);
  const std::uint32_t P = ctx.options.sp;
  const bool causal = ctx.workload.causal;
  LayerBackward g;
  g.dq.resize(P);
  g.dk.resize(P);
  g.dv.resize(P);
  g.done.resize(P);
  for (std::uint32_t i = 0; i < P; ++i) {
    const RankId me = ctx.ranks[i], next = ctx.ranks[(i + 1) % P], prev = ctx.ranks[(i + P - 1) % P];
    const BufferId q = in.q[i], out = fwd.out[i], lse = fwd.lse[i], dout = grad.dout[i];
    const Buffer& qb = b.program().buffer(q);
    const BufferId delta = b.token_buffer(me, "delta", DType::kF32, *qb.layout, qb.head_begin, qb.heads, 1);
    Deps prep_deps(fwd.done[i]);
    for (OpId d : grad.ready[i]) prep_deps.add(d);
    for (OpId d : in.ready[i]) prep_deps.add(d);
    const OpId prep = b.attn_bwd_prep(st.compute, out, dout, delta, prep_deps);
    g.dq[i] = b.buffer_like(q, me, "dq", DType::kF32, /*zero_init=*/true);

    BufferId k = in.k[i], v = in.v[i];
    Deps kv_ready(in.ready[i]);
    // dK,dV accumulators travelling with the block held at this step.
    BufferId dk = b.buffer_like(k, me, "dk_acc", DType::kF32, /*zero_init=*/true);
    BufferId dv = b.buffer_like(v, me, "dv_acc", DType::kF32, /*zero_init=*/true);
    Deps dkv_ready;
    std::optional<OpId> last_compute = prep, prev_compute;
    for (std::uint32_t s = 0; s < P; ++s) {
      b.set_step(s);
      BufferId k_next{}, v_next{};
      std::optional<OpId> recv_k, recv_v;
      if (s + 1 < P) {
        b.send(st.send, k, next, ring_tag(ctx.layer, RingMessage::kK, s), kv_ready);
        b.send(st.send, v, next, ring_tag(ctx.layer, RingMessage::kV, s), kv_ready);
        // The block arriving now started on member i-s-1.
        const std::uint32_t owner = (i + 2 * P - s - 1) % P;
        k_next = b.buffer_like(in.k[owner], me, "k_recv");
        v_next = b.buffer_like(in.v[owner], me, "v_recv");
        recv_k = b.recv(st.recv, k_next, prev, ring_tag(ctx.layer, RingMessage::kK, s), {prev_compute});
        recv_v = b.recv(st.recv, v_next, prev, ring_tag(ctx.layer, RingMessage::kV, s), {prev_compute});
      }
      const RingBlock blk = rule(i, s, P);
      const BufferId qs = rows(b, q, blk.q), ks = rows(b, k, blk.kv), vs = rows(b, v, blk.kv);
      Deps acc_ready(dkv_ready);
      if (visible(b, qs, ks, causal)) {
        Deps deps(kv_ready);
        for (OpId d : dkv_ready.ids()) deps.add(d);
        deps.add(last_compute);
        const OpId op = b.attn_bwd(st.compute, qs, ks, vs, rows(b, dout, blk.q), rows(b, lse, blk.q),
                                   rows(b, delta, blk.q), rows(b, g.dq[i], blk.q), rows(b, dk, blk.kv),
                                   rows(b, dv, blk.kv), causal, deps);
        prev_compute = last_compute;
        last_compute = op;
        acc_ready = Deps{op};
      }
      if (P == 1) break;  // no ring: the accumulators are the gradients
      // Pass the accumulators on: after the last step they reach their owner.
      b.send(st.send, dk, next, ring_tag(ctx.layer, RingMessage::kDK, s), acc_ready);
      b.send(st.send, dv, next, ring_tag(ctx.layer, RingMessage::kDV, s), acc_ready);
      // The accumulator arriving now belongs to the block of member i-s-1.
      const std::uint32_t owner = (i + 2 * P - s - 1) % P;
      const BufferId dk_next = b.buffer_like(in.k[owner], me, "dk_recv", DType::kF32);
      const BufferId dv_next = b.buffer_like(in.v[owner], me, "dv_recv", DType::kF32);
      const OpId recv_dk = b.recv(st.recv, dk_next, prev, ring_tag(ctx.layer, RingMessage::kDK, s), {prev_compute});
      const OpId recv_dv = b.recv(st.recv, dv_next, prev, ring_tag(ctx.layer, RingMessage::kDV, s), {prev_compute});
      dk = dk_next;
      dv = dv_next;
      dkv_ready = Deps{recv_dk, recv_dv};
      if (s + 1 < P) {
        k = k_next;
        v = v_next;
        kv_ready = Deps{recv_k, recv_v};
      }
    }
    g.dk[i] = dk;
    g.dv[i] = dv;
    g.done[i].assign(dkv_ready.ids().begin(), dkv_ready.ids().end());
    g.done[i].push_back(*last_compute);
  }
  b.set_step(0);
  return g;
}

}  // namespace spsim
