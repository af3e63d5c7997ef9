#include "costmodel/collective_choice.h"

namespace spsim {

CollectiveAlgorithm choose_collective_algorithm(CollectiveKind kind, const CollectiveGroupShape& g,
                                                double bytes_per_member) {
  if (g.members <= 1) return CollectiveAlgorithm::kRing;
  if (kind == CollectiveKind::kAllToAll) return CollectiveAlgorithm::kDirect;
  if (g.nodes <= 1) {
    if (kind == CollectiveKind::kAllReduce && g.nvls) return CollectiveAlgorithm::kNvls;
    return g.hccs_full_mesh ? CollectiveAlgorithm::kDirect : CollectiveAlgorithm::kRing;
  }
  if (g.hccl) {
    return is_power_of_two(g.nodes) && is_power_of_two(g.members) ? CollectiveAlgorithm::kHalvingDoubling
                                                                 : CollectiveAlgorithm::kRing;
  }
  if (kind == CollectiveKind::kAllReduce && bytes_per_member <= kSmallAllReduceBytes &&
      is_power_of_two(g.members))
    return CollectiveAlgorithm::kHalvingDoubling;
  return CollectiveAlgorithm::kRing;
}

}  // namespace spsim
