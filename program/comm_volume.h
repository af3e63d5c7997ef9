#pragma once
// Bytes each rank of a Program sends: what strategies.md's closed forms
// describe, and what the per-strategy volume tests check.
//
// Send: its buffer's bytes. Collectives count the bandwidth-optimal volume a
// member must send whatever the algorithm (N members, B = a member's input
// buffer bytes unless said):
//   AllGather      B * (N - 1)                (its block must reach N-1 peers)
//   ReduceScatter  out_bytes * (N - 1)        (N-1 partial blocks leave it)
//   AllToAll       B * (N - 1) / N            (all parts but its own)
//   AllReduce      2 * B * (N - 1) / N        (reduce-scatter + all-gather)
//   Broadcast      B on the root, 0 elsewhere
// Recv ops send nothing.

#include <vector>

#include "program/program.h"

namespace spsim {

std::vector<double> bytes_sent_per_rank(const Program& program);
// The bytes op `id` sends, as above (0 for every op but Send and collectives).
double op_bytes_sent(const Program& program, OpId id);

}  // namespace spsim
