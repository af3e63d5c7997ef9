// `rsa`: Ring Self-Attention, the original sequence parallelism (Li et al.,
// arXiv 2105.13120; ColossalAI legacy parallel_sequence/_operation.py RingQK
// and RingAV). Not memory-efficient: each member materializes its rows of the
// score matrix, [C, H, S] per sequence.
//
// Member i holds tokens [iC, (i+1)C) of every sequence (all heads). Forward:
//   1. K ring: the member's K block and the P-1 blocks that reach it over the
//      ring r -> r+1 fill Q_i K^T column block by column block (scaled,
//      masked entries -inf);
//   2. row-wise softmax over all S columns -> probs (kept for the backward);
//   3. V ring: out_i = sum over the visiting V blocks of probs[:, block] V.
// Backward (the autograd of RingAV, then RingQK):
//   1. dV_full = probs^T dout over all S key positions, all-reduced over the
//      group, own shard copied out; then a V ring fills dprobs = dout V^T;
//   2. dscores = softmax backward of (probs, dprobs);
//   3. dK_full = scale dscores^T Q, all-reduced, own shard copied out; then a
//      K ring accumulates dq += scale dscores[:, block] K.
// Volume (elements, GQA uses Hkv for the K/V terms): forward 2(P-1)·B·C·Hkv·D
// (two rings); backward 2(P-1)·B·C·Hkv·D (two rings) + 2 all-reduces of
// B·S·Hkv·D, i.e. 6(P-1)·B·C·Hkv·D in all, the paper's 6(P-1)·B·H·C·D for MHA.
// Everything, gradients and collectives included, stays in the workload dtype
// as in the reference (autograd tensors of the activation dtype).
//
// As in the reference, communication and compute alternate: each ring step's
// transfer starts after the previous matmul and the next matmul waits for it
// (ring_forward is a blocking send/recv pair), and the second ring of the
// backward starts after the all-reduce before it (one communicator, one
// stream). The own rows of the all-reduced dK_full, dV_full are copied out on
// the collective stream (the reference slices a view), so no compute op
// depends on an all-reduce directly (the next ring's transfers do). RSA has
// no lse, so LayerForward::lse is empty.
//
// Scores are kept per sequence (the reference's (B·H, C, S) score tensor), so
// a batch costs B score blocks per step rather than one score matrix over all
// B·S columns.
#include <functional>

#include "strategies/strategy_factories.h"

namespace spsim {
namespace {

enum class RsaMessage : std::uint32_t { kFwdK, kFwdV, kBwdV, kBwdK };

std::uint32_t rsa_tag(std::uint16_t layer, RsaMessage kind, std::uint32_t step) {
  return (std::uint32_t{layer} * 4 + static_cast<std::uint32_t>(kind)) << 20 | (step & 0xfffff);
}

struct RsaStreams {
  StreamId compute, send, recv, coll;
  explicit RsaStreams(ProgramBuilder& b)
      : compute(b.stream("compute")), send(b.stream("send")), recv(b.stream("recv")), coll(b.stream("coll")) {}
};

// Where sequence `seq` sits in a member's shard rows and in a full-sequence buffer.
struct SeqRows {
  std::uint32_t shard_offset, shard_count;  // rows of the member's shard
  std::uint32_t full_offset, full_count;    // rows of a buffer holding every sequence whole
};

std::vector<SeqRows> seq_rows(const Workload& w, std::uint32_t P) {
  std::vector<SeqRows> rows;
  std::uint32_t shard = 0, full = 0;
  for (std::int64_t s : w.seq_lens) {
    const auto c = static_cast<std::uint32_t>(s / P), n = static_cast<std::uint32_t>(s);
    rows.push_back({shard, c, full, n});
    shard += c;
    full += n;
  }
  return rows;
}

// Rows of sequence `seq` in a shard buffer (the buffer itself for one sequence).
BufferId shard_rows(ProgramBuilder& b, BufferId buf, const std::vector<SeqRows>& rows, std::size_t seq) {
  if (rows.size() == 1) return buf;
  return b.row_view(buf, rows[seq].shard_offset, rows[seq].shard_count);
}
BufferId full_rows(ProgramBuilder& b, BufferId buf, const std::vector<SeqRows>& rows, std::size_t seq) {
  if (rows.size() == 1) return buf;
  return b.row_view(buf, rows[seq].full_offset, rows[seq].full_count);
}

// Every position of every sequence, sequence by sequence.
TokenLayout full_layout(const Workload& w) {
  TokenLayout all;
  for (std::size_t s = 0; s < w.seq_lens.size(); ++s)
    all.push_back(TokenRun{static_cast<std::uint32_t>(s), 0, w.seq_lens[s], 1});
  return all;
}

// Every key position of each sequence: the columns of its score rows.
std::vector<LayoutId> per_sequence_layouts(ProgramBuilder& b, const Workload& w) {
  std::vector<LayoutId> out;
  for (std::size_t s = 0; s < w.seq_lens.size(); ++s) {
    const TokenRun run{static_cast<std::uint32_t>(s), 0, w.seq_lens[s], 1};
    out.push_back(b.layout(std::span<const TokenRun>(&run, 1)));
  }
  return out;
}

// Adds the ops of one ring step for the block `blk` held at that step (after
// `deps`) and returns the last of them.
using StepOps = std::function<OpId(BufferId blk, const Deps& deps)>;

// One ring pass of member i over the blocks `blocks` (one per member; the
// member's own first): at step s it holds the block of member i-s, runs
// `step`, then (s < P-1) sends the block on to i+1 and receives the next from
// i-1. The transfer waits for the step's compute and for `comm_after`; the
// next step waits for the transfer (the reference's blocking ring).
OpId ring_pass(ProgramBuilder& b, const RsaStreams& st, const LayerContext& ctx, std::uint32_t i,
               const std::vector<BufferId>& blocks, const OpList& ready, std::optional<OpId> comm_after,
               RsaMessage kind, std::string_view recv_name, const StepOps& step) {
  const std::uint32_t P = ctx.options.sp;
  const RankId me = ctx.ranks[i], next = ctx.ranks[(i + 1) % P], prev = ctx.ranks[(i + P - 1) % P];
  BufferId held = blocks[i];
  Deps held_ready(ready);
  OpId last{};
  for (std::uint32_t s = 0; s < P; ++s) {
    b.set_step(s);
    last = step(held, held_ready);
    if (s + 1 == P) break;
    Deps send_deps(held_ready);
    send_deps.add(last);
    send_deps.add(comm_after);
    b.send(st.send, held, next, rsa_tag(ctx.layer, kind, s), send_deps);
    // The block arriving now started on member i-s-1.
    const BufferId arriving = b.buffer_like(blocks[(i + 2 * P - s - 1) % P], me, recv_name);
    const OpId recv = b.recv(st.recv, arriving, prev, rsa_tag(ctx.layer, kind, s), {last, comm_after});
    held = arriving;
    held_ready = Deps{recv};
  }
  b.set_step(0);
  return last;
}

class RsaStrategy final : public Strategy {
 public:
  std::string_view name() const override { return "rsa"; }
  std::string_view summary() const override {
    return "Ring Self-Attention (2105.13120): K ring builds QK^T, softmax, V ring; backward all-reduces full dK,dV";
  }
  std::string_view constraints() const override { return "S divisible by P; P <= S"; }
  std::optional<std::string> refuse(const Workload& w, const StrategyOptions& o) const override {
    if (auto r = refuse_degree(w, o)) return r;
    return refuse_indivisible(w, o.sp, "P");
  }
  TokenLayout shard_layout(const Workload& w, const StrategyOptions& o, std::uint32_t member) const override {
    return contiguous_shard(w.seq_lens, o.sp, member);
  }

  LayerForward forward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in) const override {
    const Workload& w = ctx.workload;
    const std::uint32_t P = ctx.options.sp, B = static_cast<std::uint32_t>(w.seq_lens.size());
    const RsaStreams st(b);
    const auto rows = seq_rows(w, P);
    const auto seq_layouts = per_sequence_layouts(b, w);
    LayerForward f = LayerForward::sized(P, /*with_lse=*/false);
    for (std::uint32_t i = 0; i < P; ++i) {
      const RankId me = ctx.ranks[i];
      std::vector<BufferId> q(B), scores(B), probs(B);
      for (std::uint32_t s = 0; s < B; ++s) {
        q[s] = shard_rows(b, in.q[i], rows, s);
        scores[s] = b.score_buffer(me, "scores", w.dtype, *b.program().buffer(q[s]).layout, seq_layouts[s], 0,
                                   w.heads, /*zero_init=*/true);
      }
      const std::uint8_t mask = w.causal ? kOpCausal : 0;
      OpId last = ring_pass(b, st, ctx, i, in.k, in.ready[i], std::nullopt, RsaMessage::kFwdK, "k_recv",
                            [&](BufferId k, const Deps& deps) {
                              OpId op{};
                              for (std::uint32_t s = 0; s < B; ++s) {
                                const BufferId ops[] = {q[s], shard_rows(b, k, rows, s), scores[s]};
                                op = b.op(OpKind::kRsaScores, st.compute, ops, deps, mask);
                              }
                              return op;
                            });
      for (std::uint32_t s = 0; s < B; ++s) {
        probs[s] = b.buffer_like(scores[s], me, "probs");
        const BufferId ops[] = {scores[s], probs[s]};
        last = b.op(OpKind::kRsaSoftmax, st.compute, ops, {last});
      }
      f.out[i] = b.buffer_like(in.q[i], me, "out", w.dtype, /*zero_init=*/true);
      last = ring_pass(b, st, ctx, i, in.v, in.ready[i], std::nullopt, RsaMessage::kFwdV, "v_recv",
                       [&](BufferId v, const Deps& deps) {
                         OpId op{};
                         for (std::uint32_t s = 0; s < B; ++s) {
                           const BufferId ops[] = {probs[s], shard_rows(b, v, rows, s), shard_rows(b, f.out[i], rows, s)};
                           op = b.op(OpKind::kRsaProbsV, st.compute, ops, deps);
                         }
                         return op;
                       });
      f.done[i] = {last};
      f.saved[i] = probs;
    }
    return f;
  }

  LayerBackward backward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                         const LayerForward& fwd, const LayerBackwardInputs& grad) const override {
    const Workload& w = ctx.workload;
    const std::uint32_t P = ctx.options.sp, B = static_cast<std::uint32_t>(w.seq_lens.size());
    const RsaStreams st(b);
    const GroupId group = b.group(ctx.ranks);
    const auto rows = seq_rows(w, P);
    const LayoutId full = b.layout(full_layout(w));
    const CollectiveSpec all_reduce{CollectiveKind::kAllReduce, Axis::kRows, Axis::kRows, 0};
    LayerBackward g = LayerBackward::sized(P);
    for (std::uint32_t i = 0; i < P; ++i) {
      const RankId me = ctx.ranks[i];
      const std::vector<BufferId>& probs = fwd.saved[i];
      if (probs.size() != B) throw ProgramError("rsa backward: forward state of member " + std::to_string(i) + " is missing");
      Deps start(fwd.done[i]);
      for (OpId d : grad.ready[i]) start.add(d);
      for (OpId d : in.ready[i]) start.add(d);
      std::vector<BufferId> q(B), dout(B), dprobs(B), dscores(B);
      for (std::uint32_t s = 0; s < B; ++s) {
        q[s] = shard_rows(b, in.q[i], rows, s);
        dout[s] = shard_rows(b, grad.dout[i], rows, s);
      }

      // 1. dV: full-sequence gradient, all-reduced, own rows copied out.
      const BufferId dv_full = b.token_buffer(me, "dv_full", w.dtype, full, 0, w.kv_heads, w.head_dim, /*zero_init=*/true);
      OpId last{};
      for (std::uint32_t s = 0; s < B; ++s) {
        const BufferId ops[] = {probs[s], dout[s], full_rows(b, dv_full, rows, s)};
        last = b.op(OpKind::kRsaDVFull, st.compute, ops, start);
      }
      const OpId reduce_dv = b.collective(st.coll, all_reduce, group, dv_full, dv_full, {last});
      g.dv[i] = b.buffer_like(in.v[i], me, "dv");
      const OpId copy_dv = b.copy(st.coll, dv_full, g.dv[i], {reduce_dv});
      // ... then the V ring fills dprobs.
      for (std::uint32_t s = 0; s < B; ++s) dprobs[s] = b.buffer_like(probs[s], me, "dprobs", w.dtype, /*zero_init=*/true);
      last = ring_pass(b, st, ctx, i, in.v, in.ready[i], reduce_dv, RsaMessage::kBwdV, "v_recv",
                       [&](BufferId v, const Deps& deps) {
                         OpId op{};
                         for (std::uint32_t s = 0; s < B; ++s) {
                           const BufferId ops[] = {dout[s], shard_rows(b, v, rows, s), dprobs[s]};
                           op = b.op(OpKind::kRsaDProbs, st.compute, ops, deps);
                         }
                         return op;
                       });

      // 2. Softmax backward.
      for (std::uint32_t s = 0; s < B; ++s) {
        dscores[s] = b.buffer_like(probs[s], me, "dscores");
        const BufferId ops[] = {probs[s], dprobs[s], dscores[s]};
        last = b.op(OpKind::kRsaSoftmaxBwd, st.compute, ops, {last});
      }

      // 3. dK: full-sequence gradient, all-reduced, own rows copied out ...
      const BufferId dk_full = b.token_buffer(me, "dk_full", w.dtype, full, 0, w.kv_heads, w.head_dim, /*zero_init=*/true);
      for (std::uint32_t s = 0; s < B; ++s) {
        const BufferId ops[] = {dscores[s], q[s], full_rows(b, dk_full, rows, s)};
        last = b.op(OpKind::kRsaDKFull, st.compute, ops, {last});
      }
      const OpId reduce_dk = b.collective(st.coll, all_reduce, group, dk_full, dk_full, {last});
      g.dk[i] = b.buffer_like(in.k[i], me, "dk");
      const OpId copy_dk = b.copy(st.coll, dk_full, g.dk[i], {reduce_dk});
      // ... then the K ring accumulates dq.
      g.dq[i] = b.buffer_like(in.q[i], me, "dq", w.dtype, /*zero_init=*/true);
      last = ring_pass(b, st, ctx, i, in.k, in.ready[i], reduce_dk, RsaMessage::kBwdK, "k_recv",
                       [&](BufferId k, const Deps& deps) {
                         OpId op{};
                         for (std::uint32_t s = 0; s < B; ++s) {
                           const BufferId ops[] = {dscores[s], shard_rows(b, k, rows, s), shard_rows(b, g.dq[i], rows, s)};
                           op = b.op(OpKind::kRsaDQ, st.compute, ops, deps);
                         }
                         return op;
                       });
      g.done[i] = {copy_dv, copy_dk, last};
    }
    return g;
  }
};

}  // namespace

std::unique_ptr<Strategy> make_rsa_strategy() { return std::make_unique<RsaStrategy>(); }

}  // namespace spsim
