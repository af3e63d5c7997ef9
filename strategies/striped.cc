// `striped`: Striped Attention (Brandon et al., arXiv 2311.09431). Token t of
// each sequence lives on member t mod P; the ring schedule is unchanged. Every
// causal step then has about c(c+-1)/2 visible pairs, so load is balanced
// without splitting blocks (real kernels skip only whole tiles, which the
// cost model accounts for).
#include "strategies/ring_schedule.h"
#include "strategies/strategy_factories.h"

namespace spsim {

std::unique_ptr<Strategy> make_striped_strategy() {
  return make_ring_variant(
      {"striped", "Striped ring: token t on rank t mod P, ring schedule unchanged, balanced causal load",
       "S divisible by P; P <= S", 1, striped_shard,
       [](bool) -> RingBlockRule { return [](std::uint32_t, std::uint32_t, std::uint32_t) { return RingBlock{}; }; }});
}

}  // namespace spsim
