#pragma once
// The algorithms a collective can run with (NCCL's and HCCL's families).
//
//   kRing            members in a ring 0 -> 1 -> ... -> n-1 -> 0 (NCCL's
//                    default, HCCL "Ring"); all-to-all as n-1 shifted pairwise
//                    rounds; broadcast as a pipelined chain from the root.
//   kDirect          every member talks to every other at once (HCCL "Mesh" on
//                    a full mesh of links; NCCL's all-to-all of send/recv pairs).
//   kHalvingDoubling recursive halving / doubling in log2(n) rounds (HCCL
//                    "RHD"; Rabenseifner's all-reduce); all-to-all as Bruck's
//                    algorithm, broadcast as a binomial tree. Needs n a power
//                    of two: for other n it runs as kRing (see
//                    effective_collective_algorithm), as HCCL falls back to
//                    ring when the member count is not a power of two.
//   kNvls            NVLink SHARP all-reduce (NVSwitch gen3+: H100, H200,
//                    B200 nodes): the switch reduces what the GPUs read and
//                    multicasts what they write (costmodel/nvls.h). All-reduce
//                    only; any other kind runs as kRing.

#include <cstdint>
#include <optional>
#include <string_view>

namespace spsim {

enum class CollectiveAlgorithm : std::uint8_t { kRing, kDirect, kHalvingDoubling, kNvls };

// "ring", "direct", "halving_doubling", "nvls".
std::string_view collective_algorithm_name(CollectiveAlgorithm a);
// Parses the names above; nullopt otherwise.
std::optional<CollectiveAlgorithm> parse_collective_algorithm(std::string_view s);

constexpr bool is_power_of_two(std::uint32_t n) { return n != 0 && (n & (n - 1)) == 0; }

// The algorithm that really runs for n members: kHalvingDoubling becomes
// kRing when n is not a power of two; everything else is itself.
CollectiveAlgorithm effective_collective_algorithm(CollectiveAlgorithm a, std::uint32_t n);

}  // namespace spsim
