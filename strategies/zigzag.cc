// `zigzag`: the load-balanced causal ring (ring-flash-attn
// zigzag_ring_flash_attn.py; TransformerEngine's p2p context parallelism).
// Each sequence is cut into 2P chunks and member i holds chunks i and 2P-1-i.
// Step 0 is the local causal block; at step s <= i the full Q attends the
// early half of the visiting K,V; at step s > i the late half of Q attends the
// whole visiting block. Every step costs the same.
#include "strategies/ring_schedule.h"
#include "strategies/strategy_factories.h"

namespace spsim {
namespace {

class ZigzagStrategy final : public Strategy {
 public:
  std::string_view name() const override { return "zigzag"; }
  std::string_view summary() const override {
    return "Zigzag ring: chunks i and 2P-1-i per rank, half-blocks per step, balanced causal load";
  }
  std::string_view constraints() const override { return "S divisible by 2P; P <= S"; }
  std::optional<std::string> refuse(const Workload& w, const StrategyOptions& o) const override {
    if (auto r = refuse_degree(w, o)) return r;
    return refuse_indivisible(w, 2 * std::int64_t{o.sp}, "2P");
  }
  TokenLayout shard_layout(const Workload& w, const StrategyOptions& o, std::uint32_t member) const override {
    return zigzag_shard(w.seq_lens, o.sp, member);
  }
  LayerForward forward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in) const override {
    return ring_forward(b, ctx, in, rule(ctx.workload.causal));
  }
  LayerBackward backward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                         const LayerForward& fwd, const LayerBackwardInputs& grad) const override {
    return ring_backward(b, ctx, in, fwd, grad, rule(ctx.workload.causal));
  }

 private:
  static RingBlockRule rule(bool causal) {
    return [causal](std::uint32_t member, std::uint32_t step, std::uint32_t) -> RingBlock {
      if (!causal || step == 0) return {};
      if (step <= member) return {RowHalf::kAll, RowHalf::kEarly};
      return {RowHalf::kLate, RowHalf::kAll};
    };
  }
};

}  // namespace

std::unique_ptr<Strategy> make_zigzag_strategy() { return std::make_unique<ZigzagStrategy>(); }

}  // namespace spsim
