// `zigzag`: the load-balanced causal ring (ring-flash-attn
// zigzag_ring_flash_attn.py; TransformerEngine's p2p context parallelism).
// Each sequence is cut into 2P chunks and member i holds chunks i and 2P-1-i.
// Step 0 is the local causal block; at step s <= i the full Q attends the
// early half of the visiting K,V; at step s > i the late half of Q attends the
// whole visiting block. Every step costs the same.
#include "strategies/ring_schedule.h"
#include "strategies/strategy_factories.h"

namespace spsim {

std::unique_ptr<Strategy> make_zigzag_strategy() {
  return make_ring_variant(
      {"zigzag", "Zigzag ring: chunks i and 2P-1-i per rank, half-blocks per step, balanced causal load",
       "S divisible by 2P; P <= S", 2, zigzag_shard, [](bool causal) -> RingBlockRule {
         return [causal](std::uint32_t member, std::uint32_t step, std::uint32_t) -> RingBlock {
           if (!causal || step == 0) return {};
           if (step <= member) return {RowHalf::kAll, RowHalf::kEarly};
           return {RowHalf::kLate, RowHalf::kAll};
         };
       }});
}

}  // namespace spsim
