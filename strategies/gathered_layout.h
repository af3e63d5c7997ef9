#pragma once
// The row positions a collective that gathers rows produces (AllGather along
// rows, or an AllToAll that gathers the sequence): every member's shard, in
// group order. Shared by the strategies built on collectives.

#include <span>

#include "program/program.h"

namespace spsim {

// Layout of the concatenated rows of `shards` (one token buffer per member, in
// group order). Throws ProgramError if a buffer has no token layout.
LayoutId gathered_layout(ProgramBuilder& b, std::span<const BufferId> shards);

}  // namespace spsim
