#pragma once
// The strategies spsim knows, by name.

#include <span>
#include <string>
#include <string_view>

#include "strategies/strategy.h"

namespace spsim {

// Every built-in strategy, in display order. Owned by the registry (static).
std::span<const Strategy* const> all_strategies();

// The strategy called `name`, or nullptr.
const Strategy* find_strategy(std::string_view name);

// "rsa, ring, zigzag, ..." for messages.
std::string strategy_names();

}  // namespace spsim
