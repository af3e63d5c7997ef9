#include "strategies/ring_schedule.h"

#include <array>
#include <map>

namespace spsim {
namespace {

struct Streams {
  StreamId compute, send, recv;
  explicit Streams(ProgramBuilder& b)
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
NextKv pass_kv(ProgramBuilder& b, const Streams& st, const LayerContext& ctx, const LayerInputs& in,
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
  const Streams st(b);
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
      if (visible(b, qs, ks, causal)) {
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
  LayerBackward g = LayerBackward::sized(P);
  struct Member {
    BufferId delta, k, v, dk, dv;  // dk, dv: accumulators travelling with the block held now
    Deps kv_ready, dkv_ready;
    std::optional<OpId> last_compute, prev_compute;
  };
  std::vector<Member> m(P);
  std::vector<RowSelector> rows(P, RowSelector(b));
  for (std::uint32_t i = 0; i < P; ++i) {
    const RankId me = ctx.ranks[i];
    const BufferId q = in.q[i];
    const Buffer qb = b.program().buffer(q);
    Member& mi = m[i];
    mi.delta = b.token_buffer(me, "delta", DType::kF32, *qb.layout, qb.head_begin, qb.heads, 1);
    Deps prep_deps(fwd.done[i]);
    for (OpId d : grad.ready[i]) prep_deps.add(d);
    for (OpId d : in.ready[i]) prep_deps.add(d);
    mi.last_compute = b.attn_bwd_prep(st.compute, fwd.out[i], grad.dout[i], mi.delta, prep_deps);
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
      Deps acc_ready(mi.dkv_ready);
      if (visible(b, qs, ks, causal)) {
        Deps deps(mi.kv_ready);
        for (OpId d : mi.dkv_ready.ids()) deps.add(d);
        deps.add(mi.last_compute);
        const OpId op = b.attn_bwd(st.compute, qs, ks, vs, rows[i](grad.dout[i], blk.q), rows[i](fwd.lse[i], blk.q),
                                   rows[i](mi.delta, blk.q), rows[i](g.dq[i], blk.q), rows[i](mi.dk, blk.kv),
                                   rows[i](mi.dv, blk.kv), causal, deps);
        mi.prev_compute = mi.last_compute;
        mi.last_compute = op;
        acc_ready = Deps{op};
      }
      if (P == 1) continue;  // no ring: the accumulators are the gradients
      // Pass the accumulators on: after the last step they reach their owner.
      b.send(st.send, {mi.dk, mi.dv}, next, ring_tag(ctx.layer, RingMessage::kDKV, s), acc_ready);
      // The accumulator arriving now belongs to the block of member i-s-1.
      const std::uint32_t owner = (i + 2 * P - s - 1) % P;
      const BufferId dk_next = b.buffer_like(in.k[owner], me, "dk_recv", DType::kF32);
      const BufferId dv_next = b.buffer_like(in.v[owner], me, "dv_recv", DType::kF32);
      const OpId recv_dkv =
          b.recv(st.recv, {dk_next, dv_next}, prev, ring_tag(ctx.layer, RingMessage::kDKV, s), {mi.prev_compute});
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

}  // namespace spsim
