#pragma once
// Position-level comparisons of layouts, shared by the program checker and the
// executors.

#include <span>

#include "program/token_layout.h"

namespace spsim {

// True iff both layouts list the same positions in the same order. Cheap when
// the canonical run lists are equal (the common case); expands otherwise.
bool same_positions(std::span<const TokenRun> a, std::span<const TokenRun> b);

// True iff every position of `sub` occurs in `super` (order ignored).
bool positions_subset(std::span<const TokenRun> sub, std::span<const TokenRun> super);

}  // namespace spsim
