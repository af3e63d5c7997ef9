// `striped`: Striped Attention (Brandon et al., arXiv 2311.09431). Token t of
// each sequence lives on member t mod P; the ring schedule is unchanged. Every
// causal step then has about c(c+-1)/2 visible pairs, so load is balanced
// without splitting blocks (real kernels skip only whole tiles, which the
// cost model accounts for).
#include "strategies/ring_schedule.h"
#include "strategies/strategy_factories.h"

namespace spsim {
namespace {

class StripedStrategy final : public Strategy {
 public:
  std::string_view name() const override { return "striped"; }
  std::string_view summary() const override {
    return "Striped ring: token t on rank t mod P, ring schedule unchanged, balanced causal load";
  }
  std::string_view constraints() const override { return "S divisible by P; P <= S"; }
  std::optional<std::string> refuse(const Workload& w, const StrategyOptions& o) const override {
    if (auto r = refuse_degree(w, o)) return r;
    return refuse_indivisible(w, o.sp, "P");
  }
  TokenLayout shard_layout(const Workload& w, const StrategyOptions& o, std::uint32_t member) const override {
    return striped_shard(w.seq_lens, o.sp, member);
  }
  LayerForward forward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in) const override {
    return ring_forward(b, ctx, in, all_rows);
  }
  LayerBackward backward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                         const LayerForward& fwd, const LayerBackwardInputs& grad) const override {
    return ring_backward(b, ctx, in, fwd, grad, all_rows);
  }

 private:
  static RingBlock all_rows(std::uint32_t, std::uint32_t, std::uint32_t) { return {}; }
};

}  // namespace

std::unique_ptr<Strategy> make_striped_strategy() { return std::make_unique<StripedStrategy>(); }

}  // namespace spsim
