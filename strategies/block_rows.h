#pragma once
// Row selection shared by the schedules that compute zigzag half-blocks
// outside ring_schedule.cc: `tokenring` (Q moves instead of K,V), `double-ring`
// (the visit order is not one ring) and `usp` (a zigzag ring per head slice).
//
// Zigzag layout (token_layout.h zigzag_shard): member m of P holds chunks m and
// 2P-1-m of every sequence, the early chunk's rows first. For the query rows of
// member a and the key/value rows of member c under a causal mask:
//   c == a  the local block, causal;
//   c <  a  key chunk c precedes both query chunks and key chunk 2P-1-c follows
//           both: every query row attends the early key half only;
//   c >  a  key chunks c and 2P-1-c both follow query chunk a and precede query
//           chunk 2P-1-a: only the late query half attends, to all keys.
// Both non-local cases cost C^2/2 pairs, so every step of a zigzag schedule
// costs the same. This is zigzag.cc's ring rule (the block visiting member i at
// step s came from c = i-s) written for a pair of members.

#include "strategies/ring_schedule.h"

namespace spsim {

// Rows of a zigzag block to compute for query member `q_member` and key/value
// member `kv_member`; all rows when `causal` is false.
RingBlock zigzag_pair_block(std::uint32_t q_member, std::uint32_t kv_member, bool causal);

// Rows of `buf` selected by `half`: a row view of the early or late half, or
// `buf` itself for RowHalf::kAll. `buf` must have an even row count for halves.
BufferId half_rows(ProgramBuilder& b, BufferId buf, RowHalf half);

// True when the mask leaves at least one (query, key) pair between the rows
// of q and of k (a block with none is skipped by every schedule).
bool has_visible_pairs(const ProgramBuilder& b, BufferId q, BufferId k, bool causal);

}  // namespace spsim
