// `lasp2`: LASP-2 (arXiv 2502.07563; Linear-MoE lasp2_with_mask_triton_op.py),
// linear attention with ONE all-gather of the chunks' memory states per pass,
// its size independent of S; see lasp_schedule.h for the schedule.
#include "strategies/lasp_schedule.h"
#include "strategies/strategy_factories.h"

namespace spsim {
namespace {

class Lasp2Strategy final : public Strategy {
 public:
  std::string_view name() const override { return "lasp2"; }
  std::string_view summary() const override {
    return "LASP-2 linear attention: one all-gather of fp32 chunk states (size independent of S), overlapped with the intra-chunk term";
  }
  std::string_view constraints() const override { return "linear attention; S divisible by P; P <= S"; }
  std::optional<std::string> refuse(const Workload& w, const StrategyOptions& o) const override {
    return refuse_lasp(w, o);
  }
  AttentionKind attention_kind(const StrategyOptions&) const override { return AttentionKind::kLinear; }
  TokenLayout shard_layout(const Workload& w, const StrategyOptions& o, std::uint32_t member) const override {
    return contiguous_shard(w.seq_lens, o.sp, member);
  }
  LayerForward forward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in) const override {
    return lasp2_forward(b, ctx, in);
  }
  LayerBackward backward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                         const LayerForward& fwd, const LayerBackwardInputs& grad) const override {
    return lasp2_backward(b, ctx, in, fwd, grad);
  }
};

}  // namespace

std::unique_ptr<Strategy> make_lasp2_strategy() { return std::make_unique<Lasp2Strategy>(); }

}  // namespace spsim
