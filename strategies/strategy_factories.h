#pragma once
// Factories of the built-in strategies, one per strategy file; the registry
// (registry.cc) lists them in display order. Internal to strategies/.

#include <memory>

#include "strategies/strategy.h"

namespace spsim {

std::unique_ptr<Strategy> make_rsa_strategy();
std::unique_ptr<Strategy> make_ring_strategy();
std::unique_ptr<Strategy> make_zigzag_strategy();
std::unique_ptr<Strategy> make_striped_strategy();
std::unique_ptr<Strategy> make_allgather_strategy();
std::unique_ptr<Strategy> make_ulysses_strategy();
std::unique_ptr<Strategy> make_lasp1_strategy();
std::unique_ptr<Strategy> make_lasp2_strategy();
std::unique_ptr<Strategy> make_lasp2h_strategy();
std::unique_ptr<Strategy> make_tokenring_strategy();
std::unique_ptr<Strategy> make_usp_strategy();
std::unique_ptr<Strategy> make_double_ring_strategy();

}  // namespace spsim
