#include "costmodel/collective_algorithm.h"

namespace spsim {

std::string_view collective_algorithm_name(CollectiveAlgorithm a) {
  switch (a) {
    case CollectiveAlgorithm::kRing: return "ring";
    case CollectiveAlgorithm::kDirect: return "direct";
    case CollectiveAlgorithm::kHalvingDoubling: return "halving_doubling";
    case CollectiveAlgorithm::kNvls: return "nvls";
  }
  return "?";
}

std::optional<CollectiveAlgorithm> parse_collective_algorithm(std::string_view s) {
  for (CollectiveAlgorithm a : {CollectiveAlgorithm::kRing, CollectiveAlgorithm::kDirect,
                                CollectiveAlgorithm::kHalvingDoubling, CollectiveAlgorithm::kNvls})
    if (collective_algorithm_name(a) == s) return a;
  return std::nullopt;
}

CollectiveAlgorithm effective_collective_algorithm(CollectiveAlgorithm a, std::uint32_t n) {
  if (a == CollectiveAlgorithm::kHalvingDoubling && !is_power_of_two(n)) return CollectiveAlgorithm::kRing;
  return a;
}

}  // namespace spsim
