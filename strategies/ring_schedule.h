#pragma once
// The ring schedule shared by `ring`, `zigzag` and `striped` (ring-flash-attn's
// ring_flash_attn.py / zigzag_ring_flash_attn.py; Liu et al. 2310.01889).
//
// Forward, member i of P: Q_i stays; the K,V block that started on member j
// visits i at step s = (i - j) mod P. Each step sends the block it holds to
// member i+1 (stream "send") and receives the next from i-1 (stream "recv"),
// overlapping the flash-attention block of this step (stream "compute"); the
// partial (out, lse) merges into the running result. A received block is a
// fresh buffer; its receive is posted when the previous step's block has been
// computed (double buffering, as the reference), so two blocks are live: the
// one computing and the one arriving.
//
// Backward, in the form StrategyOptions::ring_backward names (docs/
// strategies.md, "ring"): ring-flash-attn's (K,V travel the same ring again;
// the block kernel writes block gradients of its own, which are then added
// into the fp32 dK,dV accumulator of that block, received from i-1 and
// passed on to i+1; after P hops each accumulator is back at its owner) or
// TransformerEngine's (the ring reversed, the accumulator one hop behind its
// K,V in the same message, the owner's own block last: P-1 hops). dQ
// accumulates locally.
//
// K and V travel as one message, and so do the dK, dV accumulators. The
// partial (out, lse) buffers are allocated once per rank and reused.
//
// A RingBlockRule picks which rows of Q and of the visiting block a step
// computes (zigzag computes halves); blocks the mask hides entirely are skipped.

#include <functional>
#include <memory>
#include <span>

#include "strategies/strategy.h"

namespace spsim {

enum class RowHalf : std::uint8_t { kAll, kEarly, kLate };

struct RingBlock {
  RowHalf q = RowHalf::kAll;
  RowHalf kv = RowHalf::kAll;
};

// (member, step, P) -> rows to compute at that step.
using RingBlockRule = std::function<RingBlock(std::uint32_t, std::uint32_t, std::uint32_t)>;

LayerForward ring_forward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                          const RingBlockRule& rule);
LayerBackward ring_backward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                            const LayerForward& fwd, const LayerBackwardInputs& grad,
                            const RingBlockRule& rule);

// One block of a ring backward as ring-flash-attention, TransformerEngine
// and InternEvo run it: the kernel writes block gradients of its own (fresh,
// zero-initialised buffers: AttnBwd accumulates) after `kernel_deps`, so it
// never waits for an accumulator; then dq += the block dq, and — after the
// kernel and `acc_deps` (the accumulator's arrival) — acc_dk += the block dK
// and acc_dv += the block dV. Operands are the rows the step computes
// (row views where it computes halves), all on rank `me`.
struct BlockBackwardOperands {
  BufferId q, k, v, dout, lse, delta;  // the block's inputs
  BufferId dq, acc_dk, acc_dv;         // what it adds into
};
struct BlockBackward {
  OpId kernel, add_dk, add_dv;  // add_dv is the last op, on `compute`
};
BlockBackward block_backward(ProgramBuilder& b, StreamId compute, RankId me, const BlockBackwardOperands& o,
                             bool causal, const Deps& kernel_deps, const Deps& acc_deps);

// The ring family (ring, zigzag, striped) differs only in its token layout
// and its block rule: one Strategy class serves all three.
struct RingVariant {
  std::string_view name, summary, constraints;
  std::uint32_t chunks_per_member;  // each sequence must divide into P x this many chunks
  TokenLayout (*layout)(std::span<const std::int64_t> seq_lens, std::uint32_t parts, std::uint32_t member);
  RingBlockRule (*rule)(bool causal);
};
std::unique_ptr<Strategy> make_ring_variant(const RingVariant& variant);

// Message tags: unique per (layer, message kind, step) for steps < 2^20.
enum class RingMessage : std::uint32_t { kKV, kDKV };
std::uint32_t ring_tag(std::uint16_t layer, RingMessage kind, std::uint32_t step);

}  // namespace spsim
