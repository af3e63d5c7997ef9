#pragma once
// Readable units for topology listings: "450 GB/s", "12.5 GB/s", "1.5 us".
// Four significant digits, decimal GB (1e9 bytes), as in hardware.md.

#include <string>

namespace spsim {

std::string bandwidth_text(double bytes_per_s);  // "450 GB/s"; "inf" for +infinity
std::string latency_text(double seconds);        // "1.5 us"

}  // namespace spsim
