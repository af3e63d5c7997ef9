#pragma once
// Times in Chrome trace files, written so that viewers show them as meant
// (shared by every trace spsim writes):
// - microseconds with three decimals from integer nanoseconds, offset by
//   1 us (the DevTools trace engine leaves events at ts 0 out of the range);
// - a slice's duration as the double that, added to its start's double as
//   viewers do, never passes its end's (DevTools and Perfetto nest slices of
//   a thread by ts + dur in floating point: a sum rounded past the next
//   slice's ts drops that slice). Same input, same text.

#include <cstdint>
#include <string>

namespace spsim {

// Trace time of simulated time 0.
inline constexpr std::int64_t kTraceOriginNs = 1000;

// Simulated seconds as trace nanoseconds (origin added).
std::int64_t trace_ns(double seconds);
// Nanoseconds as the "ts" text: "12.345".
std::string trace_us_text(std::int64_t ns);
// The "dur" text of a slice [start_ns, end_ns) (see the file comment).
std::string trace_dur_text(std::int64_t start_ns, std::int64_t end_ns);

}  // namespace spsim
