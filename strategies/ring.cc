// `ring`: Ring Attention with contiguous chunks (Liu et al., arXiv 2310.01889;
// ring-flash-attn ring_flash_attn.py). Member i holds tokens [iC, (i+1)C) of
// every sequence. Under a causal mask the blocks from later members are fully
// masked and skipped, so member 0 idles while member P-1 computes every step.
#include "strategies/ring_schedule.h"
#include "strategies/strategy_factories.h"

namespace spsim {
namespace {

class RingStrategy final : public Strategy {
 public:
  std::string_view name() const override { return "ring"; }
  std::string_view summary() const override {
    return "Ring Attention: K,V blocks circulate r->r+1 for P-1 steps, overlapped with flash blocks; contiguous chunks";
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

std::unique_ptr<Strategy> make_ring_strategy() { return std::make_unique<RingStrategy>(); }

}  // namespace spsim
