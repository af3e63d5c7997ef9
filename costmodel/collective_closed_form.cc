#include "costmodel/collective_closed_form.h"

#include <bit>
#include <cassert>

namespace spsim {

double collective_seconds(CollectiveKind kind, CollectiveAlgorithm algorithm, std::uint32_t n,
                          double B, double alpha, double beta) {
  assert(n >= 1 && B >= 0 && alpha >= 0 && beta > 0 && "collective_seconds: bad arguments");
  if (n == 1) return 0;
  const double N = n;
  switch (effective_collective_algorithm(algorithm, n)) {
    case CollectiveAlgorithm::kRing:
      switch (kind) {
        case CollectiveKind::kAllGather: return (N - 1) * (alpha + B / beta);
        case CollectiveKind::kReduceScatter:
        case CollectiveKind::kAllToAll: return (N - 1) * (alpha + B / (N * beta));
        case CollectiveKind::kAllReduce:
        case CollectiveKind::kBroadcast: return 2 * (N - 1) * (alpha + B / (N * beta));
      }
      break;
    case CollectiveAlgorithm::kDirect:
      switch (kind) {
        case CollectiveKind::kAllGather:
        case CollectiveKind::kBroadcast: return alpha + B / beta;
        case CollectiveKind::kReduceScatter:
        case CollectiveKind::kAllToAll: return alpha + B / (N * beta);
        case CollectiveKind::kAllReduce: return 2 * (alpha + B / (N * beta));
      }
      break;
    case CollectiveAlgorithm::kNvls:
      if (kind == CollectiveKind::kAllReduce) return alpha + B * (1 + 1 / N) / beta;
      return collective_seconds(kind, CollectiveAlgorithm::kRing, n, B, alpha, beta);
    case CollectiveAlgorithm::kHalvingDoubling: {
      const double k = std::countr_zero(n);  // log2 n, n a power of two here
      switch (kind) {
        case CollectiveKind::kAllGather: return k * alpha + (N - 1) * B / beta;
        case CollectiveKind::kReduceScatter: return k * alpha + (N - 1) / N * B / beta;
        case CollectiveKind::kAllReduce: return 2 * k * alpha + 2 * (N - 1) / N * B / beta;
        case CollectiveKind::kAllToAll: return k * (alpha + B / (2 * beta));
        case CollectiveKind::kBroadcast: return k * (alpha + B / beta);
      }
      break;
    }
  }
  return 0;
}

}  // namespace spsim
