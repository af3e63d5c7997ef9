#pragma once
// Collective time in closed form (α-β; the analytical network model).
//
// bytes_per_member = B, the *input* bytes of one member, as in
// program/comm_volume.h: AllGather its block (the output is n·B), ReduceScatter
// its full vector (it keeps B/n), AllToAll its whole send buffer (B/n to each
// member), AllReduce its vector, Broadcast the root's buffer. α: cost of one
// step (LinkModel); β: bandwidth of the link each step uses.
//
// n members, k = log2 n:
//   kind            ring                      direct (full mesh)   halving-doubling
//   AllGather       (n−1)(α + B/β)            α + B/β              kα + (n−1)·B/β
//   ReduceScatter   (n−1)(α + B/(nβ))         α + B/(nβ)           kα + (n−1)/n·B/β
//   AllReduce       2(n−1)(α + B/(nβ))        2(α + B/(nβ))        2kα + 2(n−1)/n·B/β
//   AllToAll        (n−1)(α + B/(nβ))         α + B/(nβ)           k(α + B/(2β))
//   Broadcast       2(n−1)(α + B/(nβ))        α + B/β              k(α + B/β)
// Ring rows are NCCL's ((n−1) steps, 2(n−1) for all-reduce; hardware.md) and
// HCCL's Ring all-gather (p−1)α + (p−1)/p·(total)β; the direct row is HCCL's
// Mesh, α + (total)β/p, every pair on its own link (hicann/hccl
// coll_algo_intro, quoted in hardware.md); reductions' compute (γ) is not
// counted. Ring broadcast is a chain pipelined in n chunks of B/n; ring
// all-to-all is n−1 shifted pairwise rounds (NCCL's send/recv all-to-all).
// NVLS (costmodel/nvls.h), AllReduce: α + B(1 + 1/n)/β, α and β NVLS's own
// (the network models pass kNvlsLatencyS and the NVLink rate × its NVLS
// efficiency); other kinds the ring row.
// Each row is exactly Σ over the phases of collective_flows() of
// (α + largest flow / β). n = 1: 0. Halving-doubling for n not a power of
// two: the ring row (effective_collective_algorithm).
//
// The closed forms assume the links each algorithm is designed for (a ring of
// links, a full mesh); contention on shared links is what the flow network
// model adds.

#include <cstdint>

#include "costmodel/collective_algorithm.h"
#include "program/op_kind.h"

namespace spsim {

// Seconds for one collective. Requires n >= 1, bytes_per_member >= 0,
// alpha_s >= 0, beta_bytes_per_s > 0 (asserted).
double collective_seconds(CollectiveKind kind, CollectiveAlgorithm algorithm, std::uint32_t n,
                          double bytes_per_member, double alpha_s, double beta_bytes_per_s);

}  // namespace spsim
