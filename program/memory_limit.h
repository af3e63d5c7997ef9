#pragma once
// Host memory limits: work whose estimated memory exceeds the limit is
// refused before it allocates, in one line that gives the estimate and the
// limit (the bad-input contract: never a bad_alloc, never swapping for
// minutes). Commands take the limit from --memory-limit; the default is half
// of this machine's physical memory.

#include <string>
#include <string_view>

namespace spsim {

// This machine's physical memory in bytes (sysconf), or 0 when unknown.
double machine_memory_bytes();

// Half of machine_memory_bytes(); 8 GB when that is unknown.
double default_memory_limit_bytes();

// Throws InputError("--memory-limit", ...) when `estimate_bytes` exceeds
// `limit_bytes`; `what` says what needs the memory ("spsim verify of ring
// at B=1 S=100000 ...") and `lower` what the user can lower ("--seq").
void check_memory_estimate(double estimate_bytes, double limit_bytes, std::string_view what,
                           std::string_view lower);

}  // namespace spsim
