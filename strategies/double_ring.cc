// `double-ring`: LoongTrain's double-ring attention (arXiv 2406.18485;
// InternEvo zigzag_ring_flash_attn_with_sliding_window.py).
//
// The P members form W = P/w windows of w consecutive members. Member i
// (window i/w, position i%w) starts outer step j holding the K,V block of
// member i - j*w (its "start block"). During outer step j:
//   - the start block goes on to member i+w, for its outer step j+1, on the
//     streams "inter_send"/"inter_recv" (one inter-window transfer per outer
//     step, overlapping the whole inner ring);
//   - an inner ring of w steps runs inside the window: the block held moves
//     to the window neighbour (position +1 mod w) on "send"/"recv" while the
//     flash block of the current one computes on "compute".
// Global step j*w + t visits the block of member ((i - t) mod w in i's window)
// - j*w, so after W outer steps every member has seen every block. With w = P
// this is the plain ring; with w = 1 the outer ring is the plain ring.
//
// Causal: the zigzag layout over all P members; each block computes the rows
// block_rows.h gives for (i, owner), so every step costs the same.
//
// Backward: K,V move as in the forward. Inside the window, fp32 dK,dV
// accumulators travel with the block (as in ring_schedule's ring-flash-attn
// form: the kernel writes block gradients, added into the accumulator held
// once it has arrived) and come back to
// the start member after w hops with the window's contribution. That member
// adds the accumulator of the same block coming from the previous window
// (received on "inter_dkv_recv" during the inner ring) and passes the sum to
// i+w ("inter_dkv_send"); after the last outer step the sum reaches the
// block's owner. Unlike InternEvo, which waits for the incoming inter-window
// accumulator right after the first block of the next outer step, the sum is
// formed after the inner ring, so the inter-window gradient transfer overlaps a
// whole inner ring.
//
// Dependencies for buffer reuse: an inner receive reuses the memory of the
// block computed two steps back (as ring_schedule); the start block of step
// j+1 is received into the memory of the start block of step j-1, once its
// readers (its first block, its inner and outer sends) are done; the incoming
// inter-window accumulator of step j reuses that of step j-1 once added.
#include <algorithm>

#include "strategies/block_rows.h"
#include "strategies/ring_schedule.h"
#include "strategies/strategy_factories.h"

namespace spsim {
namespace {

enum class DoubleRingMessage : std::uint32_t { kK, kV, kDK, kDV, kOuterK, kOuterV, kOuterDK, kOuterDV };

// Unique per (layer, message, step) for layers < 512 and steps < 2^20.
std::uint32_t double_ring_tag(std::uint16_t layer, DoubleRingMessage kind, std::uint32_t step) {
  return (std::uint32_t{layer} * 8 + static_cast<std::uint32_t>(kind)) << 20 | (step & 0xfffff);
}

struct DoubleRingStreams {
  StreamId compute, send, recv, inter_send, inter_recv, dkv_send, dkv_recv;
  explicit DoubleRingStreams(ProgramBuilder& b)
      : compute(b.stream("compute")),
        send(b.stream("send")),
        recv(b.stream("recv")),
        inter_send(b.stream("inter_send")),
        inter_recv(b.stream("inter_recv")),
        dkv_send(b.stream("inter_dkv_send")),
        dkv_recv(b.stream("inter_dkv_recv")) {}
};

// Default window: the largest divisor of P not above 8, the GPUs of one
// DGX/HGX node (../shared/reference/hardware.md, "DGX A100/H100: 8 compute
// NICs per node, one per GPU"), so the inner ring stays inside a node.
constexpr std::uint32_t kDefaultMaxWindow = 8;

std::uint32_t default_window(std::uint32_t P) {
  for (std::uint32_t w = std::min(P, kDefaultMaxWindow); w > 1; --w)
    if (P % w == 0) return w;
  return 1;
}

// Member arithmetic of windows of w consecutive members.
struct Windows {
  std::uint32_t P, w;
  static std::uint32_t wrap(std::int64_t x, std::int64_t n) { return static_cast<std::uint32_t>(((x % n) + n) % n); }
  // The member `shift` positions further round i's window.
  std::uint32_t inner(std::uint32_t i, std::int64_t shift) const {
    return i - i % w + wrap(std::int64_t{i % w} + shift, w);
  }
  // The member `shift` windows further on.
  std::uint32_t outer(std::uint32_t i, std::int64_t shift) const {
    return wrap(std::int64_t{i} + shift * std::int64_t{w}, P);
  }
  // Owner of the block member i holds at outer step j, inner step t.
  std::uint32_t owner(std::uint32_t i, std::uint32_t j, std::uint32_t t) const {
    return outer(inner(i, -std::int64_t{t}), -std::int64_t{j});
  }
};

class DoubleRingStrategy final : public Strategy {
 public:
  std::string_view name() const override { return "double-ring"; }
  std::string_view summary() const override {
    return "Double ring (LoongTrain): inner zigzag ring inside windows of w ranks, one inter-window K,V "
           "transfer overlapping each inner ring";
  }
  std::string_view constraints() const override {
    return "window w divides P (default: largest divisor of P <= 8); S divisible by 2P; P <= S";
  }
  std::int64_t sequence_multiple(const Workload&, const StrategyOptions& o) const override {
    return 2 * std::int64_t{o.sp};
  }
  std::optional<std::string> refuse(const Workload& w, const StrategyOptions& o) const override {
    if (auto r = refuse_degree(w, o)) return r;
    if (o.window) {
      if (*o.window == 0) return "the double-ring window must be at least 1";
      if (o.sp % *o.window != 0)
        return "the double-ring window w = " + std::to_string(*o.window) + " does not divide the SP degree P = " +
               std::to_string(o.sp);
    }
    return refuse_indivisible(w, 2 * std::int64_t{o.sp}, "2P (zigzag layout)");
  }
  TokenLayout shard_layout(const Workload& w, const StrategyOptions& o, std::uint32_t member) const override {
    return zigzag_shard(w.seq_lens, o.sp, member);
  }
  LayerForward forward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in) const override;
  LayerBackward backward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                         const LayerForward& fwd, const LayerBackwardInputs& grad) const override;

 private:
  static Windows windows(const StrategyOptions& o) { return {o.sp, o.window.value_or(default_window(o.sp))}; }
};

// A K,V block a member holds (the start block of an outer step, or the one
// held at an inner step), and the ops after which it is valid.
struct KvBlock {
  BufferId k, v;
  Deps ready;
};

// Posts the outer transfer of outer step j: sends `cur` to member i+w and
// receives the next start block from i-w. Returns the next block (when there
// is a next outer step) and appends the sends to `reads`.
std::optional<KvBlock> outer_exchange(ProgramBuilder& b, const DoubleRingStreams& st, const LayerContext& ctx,
                                         const LayerInputs& in, const Windows& win, std::uint32_t i,
                                         std::uint32_t j, const KvBlock& cur, const Deps& reuse, Deps& reads) {
  const std::uint32_t W = win.P / win.w;
  if (j + 1 >= W) return std::nullopt;
  const RankId me = ctx.ranks[i], to = ctx.ranks[win.outer(i, 1)], from = ctx.ranks[win.outer(i, -1)];
  reads.add(b.send(st.inter_send, cur.k, to, double_ring_tag(ctx.layer, DoubleRingMessage::kOuterK, j), cur.ready));
  reads.add(b.send(st.inter_send, cur.v, to, double_ring_tag(ctx.layer, DoubleRingMessage::kOuterV, j), cur.ready));
  const std::uint32_t owner = win.owner(i, j + 1, 0);
  KvBlock nxt{b.buffer_like(in.k[owner], me, "k_outer_recv"), b.buffer_like(in.v[owner], me, "v_outer_recv"), {}};
  nxt.ready.add(b.recv(st.inter_recv, nxt.k, from, double_ring_tag(ctx.layer, DoubleRingMessage::kOuterK, j), reuse));
  nxt.ready.add(b.recv(st.inter_recv, nxt.v, from, double_ring_tag(ctx.layer, DoubleRingMessage::kOuterV, j), reuse));
  return nxt;
}

// Inner step t of outer step j for member i, which holds (k, v), valid after
// `ready`: sends it to the window neighbour i+1 and receives the block the
// neighbour i-1 holds, posted once the block computed two steps back is done
// (`computed`). Returns the block held at step t+1 (none after the window's
// last step); at t == 0 the sends read the start block and join `start_reads`.
std::optional<KvBlock> inner_pass(ProgramBuilder& b, const DoubleRingStreams& st, const LayerContext& ctx,
                                  const LayerInputs& in, const Windows& win, std::uint32_t i, std::uint32_t j,
                                  std::uint32_t t, BufferId k, BufferId v, const Deps& ready,
                                  std::optional<OpId> computed, Deps& start_reads) {
  if (t + 1 >= win.w) return std::nullopt;
  const std::uint32_t step = j * win.w + t;
  const RankId me = ctx.ranks[i], next = ctx.ranks[win.inner(i, 1)], prev = ctx.ranks[win.inner(i, -1)];
  const OpId sk = b.send(st.send, k, next, double_ring_tag(ctx.layer, DoubleRingMessage::kK, step), ready);
  const OpId sv = b.send(st.send, v, next, double_ring_tag(ctx.layer, DoubleRingMessage::kV, step), ready);
  if (t == 0) {
    start_reads.add(sk);
    start_reads.add(sv);
  }
  const std::uint32_t owner = win.owner(i, j, t + 1);
  KvBlock nxt{b.buffer_like(in.k[owner], me, "k_recv"), b.buffer_like(in.v[owner], me, "v_recv"), {}};
  nxt.ready = Deps{b.recv(st.recv, nxt.k, prev, double_ring_tag(ctx.layer, DoubleRingMessage::kK, step), {computed}),
                   b.recv(st.recv, nxt.v, prev, double_ring_tag(ctx.layer, DoubleRingMessage::kV, step), {computed})};
  return nxt;
}

Deps joined(const Deps& a, const Deps& c) {
  Deps out(a);
  for (OpId d : c.ids()) out.add(d);
  return out;
}

LayerForward DoubleRingStrategy::forward(ProgramBuilder& b, const LayerContext& ctx,
                                         const LayerInputs& in) const {
  const DoubleRingStreams st(b);
  const Windows win = windows(ctx.options);
  const std::uint32_t P = win.P, w = win.w, W = P / w;
  const bool causal = ctx.workload.causal;
  LayerForward f = LayerForward::sized(P, /*with_lse=*/true);
  for (std::uint32_t i = 0; i < P; ++i) {
    const RankId me = ctx.ranks[i];
    const BufferId q = in.q[i];
    f.out[i] = b.buffer_like(q, me, "out");
    const Buffer& qb = b.program().buffer(q);
    f.lse[i] = b.token_buffer(me, "lse", DType::kF32, *qb.layout, qb.head_begin, qb.heads, 1);
    KvBlock start{in.k[i], in.v[i], Deps(in.ready[i])};
    Deps prev_start_reads;  // readers of the previous outer step's start block
    std::optional<OpId> last_compute, prev_compute;
    bool out_written = false;
    for (std::uint32_t j = 0; j < W; ++j) {
      Deps start_reads;
      b.set_step(j * w);
      const std::optional<KvBlock> next_start =
          outer_exchange(b, st, ctx, in, win, i, j, start, prev_start_reads, start_reads);
      BufferId k = start.k, v = start.v;
      Deps kv_ready = start.ready;
      for (std::uint32_t t = 0; t < w; ++t) {
        const std::uint32_t step = j * w + t;
        b.set_step(step);
        const std::optional<KvBlock> held_next =
            inner_pass(b, st, ctx, in, win, i, j, t, k, v, kv_ready, prev_compute, start_reads);
        const RingBlock blk = zigzag_pair_block(i, win.owner(i, j, t), causal);
        const BufferId qs = half_rows(b, q, blk.q), ks = half_rows(b, k, blk.kv), vs = half_rows(b, v, blk.kv);
        std::optional<OpId> compute;
        // The local block always runs (it writes out and lse, even when every
        // query is padding).
        if (step == 0 || has_visible_pairs(b, qs, ks, causal)) {
          Deps deps(kv_ready);
          deps.add(last_compute);
          if (!out_written) {
            if (blk.q != RowHalf::kAll)
              throw ProgramError("double ring: the first computed block must cover all query rows");
            compute = b.attn_fwd(st.compute, qs, ks, vs, f.out[i], f.lse[i], causal, deps);
            out_written = true;
          } else {
            const BufferId part_out = b.buffer_like(qs, me, "part_out", DType::kF32);
            const Buffer& pb = b.program().buffer(qs);
            const BufferId part_lse = b.token_buffer(me, "part_lse", DType::kF32, *pb.layout, pb.head_begin, pb.heads, 1);
            const OpId fwd = b.attn_fwd(st.compute, qs, ks, vs, part_out, part_lse, causal, deps);
            compute = b.attn_merge(st.compute, half_rows(b, f.out[i], blk.q), half_rows(b, f.lse[i], blk.q),
                                   part_out, part_lse, {fwd});
          }
          prev_compute = last_compute;
          last_compute = compute;
          if (t == 0) start_reads.add(compute);
        }
        if (held_next) {
          k = held_next->k;
          v = held_next->v;
          kv_ready = held_next->ready;
        }
      }
      if (next_start) start = *next_start;
      prev_start_reads = start_reads;
    }
    if (!out_written) throw ProgramError("double ring: member " + std::to_string(i) + " computed nothing");
    f.done[i] = {*last_compute};
  }
  b.set_step(0);
  return f;
}

LayerBackward DoubleRingStrategy::backward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                                           const LayerForward& fwd, const LayerBackwardInputs& grad) const {
  const DoubleRingStreams st(b);
  const Windows win = windows(ctx.options);
  const std::uint32_t P = win.P, w = win.w, W = P / w;
  const bool causal = ctx.workload.causal;
  LayerBackward g = LayerBackward::sized(P);
  for (std::uint32_t i = 0; i < P; ++i) {
    const RankId me = ctx.ranks[i], next = ctx.ranks[win.inner(i, 1)], prev = ctx.ranks[win.inner(i, -1)];
    const RankId outer_next = ctx.ranks[win.outer(i, 1)], outer_prev = ctx.ranks[win.outer(i, -1)];
    const BufferId q = in.q[i], lse = fwd.lse[i], dout = grad.dout[i];
    const Buffer& qb = b.program().buffer(q);
    const BufferId delta = b.token_buffer(me, "delta", DType::kF32, *qb.layout, qb.head_begin, qb.heads, 1);
    Deps prep_deps(fwd.done[i]);
    for (OpId d : grad.ready[i]) prep_deps.add(d);
    for (OpId d : in.ready[i]) prep_deps.add(d);
    const OpId prep = b.attn_bwd_prep(st.compute, fwd.out[i], dout, delta, prep_deps);
    g.dq[i] = b.buffer_like(q, me, "dq", DType::kF32, /*zero_init=*/true);

    KvBlock start{in.k[i], in.v[i], Deps(in.ready[i])};
    Deps prev_start_reads;
    std::optional<OpId> last_compute = prep, prev_compute;
    std::optional<OpId> last_added;  // accumulate of the previous outer step's incoming dK
    BufferId dk{}, dv{};             // after outer step j: this window's gradient of its start block
    Deps dkv_ready;
    for (std::uint32_t j = 0; j < W; ++j) {
      Deps start_reads;
      b.set_step(j * w);
      const std::optional<KvBlock> next_start =
          outer_exchange(b, st, ctx, in, win, i, j, start, prev_start_reads, start_reads);
      // The accumulator of the same block from the previous window, posted
      // early so that it travels during this inner ring.
      BufferId in_dk{}, in_dv{};
      Deps in_dkv_ready;
      const std::uint32_t start_owner = win.owner(i, j, 0);
      if (j > 0) {
        in_dk = b.buffer_like(in.k[start_owner], me, "dk_outer_recv", DType::kF32);
        in_dv = b.buffer_like(in.v[start_owner], me, "dv_outer_recv", DType::kF32);
        in_dkv_ready = Deps{b.recv(st.dkv_recv, in_dk, outer_prev, double_ring_tag(ctx.layer, DoubleRingMessage::kOuterDK, j - 1), {last_added}),
                            b.recv(st.dkv_recv, in_dv, outer_prev, double_ring_tag(ctx.layer, DoubleRingMessage::kOuterDV, j - 1), {last_added})};
      }

      BufferId k = start.k, v = start.v;
      Deps kv_ready = start.ready;
      dk = b.buffer_like(start.k, me, "dk_acc", DType::kF32, /*zero_init=*/true);
      dv = b.buffer_like(start.v, me, "dv_acc", DType::kF32, /*zero_init=*/true);
      dkv_ready = Deps{};
      for (std::uint32_t t = 0; t < w; ++t) {
        const std::uint32_t step = j * w + t;
        b.set_step(step);
        const std::optional<KvBlock> held_next =
            inner_pass(b, st, ctx, in, win, i, j, t, k, v, kv_ready, prev_compute, start_reads);
        const RingBlock blk = zigzag_pair_block(i, win.owner(i, j, t), causal);
        const BufferId qs = half_rows(b, q, blk.q), ks = half_rows(b, k, blk.kv), vs = half_rows(b, v, blk.kv);
        Deps acc_ready(dkv_ready);
        if (has_visible_pairs(b, qs, ks, causal)) {
          // As ring_schedule (InternEvo likewise): the kernel writes block
          // gradients of its own and waits for its K,V only; the add into the
          // accumulator held waits for that accumulator.
          Deps deps(kv_ready);
          deps.add(last_compute);
          const BlockBackward bb = block_backward(
              b, st.compute, me,
              {qs, ks, vs, half_rows(b, dout, blk.q), half_rows(b, lse, blk.q), half_rows(b, delta, blk.q),
               half_rows(b, g.dq[i], blk.q), half_rows(b, dk, blk.kv), half_rows(b, dv, blk.kv)},
              causal, deps, dkv_ready);
          prev_compute = last_compute;
          last_compute = bb.add_dv;
          acc_ready = Deps{bb.add_dk, bb.add_dv};
          if (t == 0) start_reads.add(bb.kernel);
        }
        if (w > 1) {
          // Pass the accumulators round the window; after w hops they are back here.
          b.send(st.send, dk, next, double_ring_tag(ctx.layer, DoubleRingMessage::kDK, step), acc_ready);
          b.send(st.send, dv, next, double_ring_tag(ctx.layer, DoubleRingMessage::kDV, step), acc_ready);
          const std::uint32_t owner = win.owner(i, j, t + 1);  // the block inner-prev held at step t
          const BufferId dk_next = b.buffer_like(in.k[owner], me, "dk_recv", DType::kF32);
          const BufferId dv_next = b.buffer_like(in.v[owner], me, "dv_recv", DType::kF32);
          // Posted after this step's adds (InternEvo's send_recv after `dk += dk_buffer`).
          dkv_ready = Deps{b.recv(st.recv, dk_next, prev, double_ring_tag(ctx.layer, DoubleRingMessage::kDK, step), {last_compute}),
                           b.recv(st.recv, dv_next, prev, double_ring_tag(ctx.layer, DoubleRingMessage::kDV, step), {last_compute})};
          dk = dk_next;
          dv = dv_next;
        } else {
          dkv_ready = acc_ready;
        }
        if (held_next) {
          k = held_next->k;
          v = held_next->v;
          kv_ready = held_next->ready;
        }
      }
      if (W > 1) {
        Deps send_deps(dkv_ready);
        if (j > 0) {
          const OpId add_k = b.accumulate(st.compute, in_dk, dk, joined(in_dkv_ready, dkv_ready));
          const OpId add_v = b.accumulate(st.compute, in_dv, dv, joined(in_dkv_ready, dkv_ready));
          last_added = add_v;
          send_deps = Deps{add_k, add_v};
        }
        b.send(st.dkv_send, dk, outer_next, double_ring_tag(ctx.layer, DoubleRingMessage::kOuterDK, j), send_deps);
        b.send(st.dkv_send, dv, outer_next, double_ring_tag(ctx.layer, DoubleRingMessage::kOuterDV, j), send_deps);
      }
      if (next_start) start = *next_start;
      prev_start_reads = start_reads;
    }
    if (W > 1) {
      // The sum over all windows of this member's own block arrives last.
      dk = b.buffer_like(in.k[i], me, "dk", DType::kF32);
      dv = b.buffer_like(in.v[i], me, "dv", DType::kF32);
      dkv_ready = Deps{b.recv(st.dkv_recv, dk, outer_prev, double_ring_tag(ctx.layer, DoubleRingMessage::kOuterDK, W - 1), {last_added}),
                       b.recv(st.dkv_recv, dv, outer_prev, double_ring_tag(ctx.layer, DoubleRingMessage::kOuterDV, W - 1), {last_added})};
    }
    g.dk[i] = dk;
    g.dv[i] = dv;
    g.done[i].assign(dkv_ready.ids().begin(), dkv_ready.ids().end());
    g.done[i].push_back(*last_compute);
  }
  b.set_step(0);
  return g;
}

}  // namespace

std::unique_ptr<Strategy> make_double_ring_strategy() { return std::make_unique<DoubleRingStrategy>(); }

}  // namespace spsim
