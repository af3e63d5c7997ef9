// `ring`: Ring Attention with contiguous chunks (Liu et al., arXiv 2310.01889;
// ring-flash-attn ring_flash_attn.py). Member i holds tokens [iC, (i+1)C) of
// every sequence. Under a causal mask the blocks from later members are fully
// masked and skipped, so member 0 idles while member P-1 computes every step.
#include "strategies/ring_schedule.h"
#include "strategies/strategy_factories.h"

namespace spsim {

std::unique_ptr<Strategy> make_ring_strategy() {
  return make_ring_variant(
      {"ring",
       "Ring Attention: K,V blocks circulate r->r+1 for P-1 steps, overlapped with flash blocks; contiguous chunks",
       "S divisible by P; P <= S", 1, contiguous_shard,
       [](bool) -> RingBlockRule { return [](std::uint32_t, std::uint32_t, std::uint32_t) { return RingBlock{}; }; }});
}

}  // namespace spsim
