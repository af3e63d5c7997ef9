#pragma once
// Times in Chrome trace files, written so that viewers show them as meant
// (shared by every trace spsim writes):
// - microseconds on a binary grid of 2^-10 µs (a "tick", 0.9765625 ns): every
//   time and duration printed is a multiple of 2^-10 written out exactly
//   (at most 10 decimals), so it parses to exactly that double, and every sum
//   or difference a viewer forms of them is exact too (below 2^43 ticks,
//   about 99 days). Viewers nest a thread's slices by ts + dur in floating
//   point — DevTools and Perfetto on the absolute times, speedscope after
//   subtracting the thread's first ts — and a sum rounded past the next
//   slice's ts drops or mis-nests that slice; on the grid none rounds.
// - offset by 1 µs (the DevTools trace engine leaves events at ts 0 out of
//   the range).
// Same input, same text.

#include <cstdint>
#include <string>

namespace spsim {

inline constexpr std::int64_t kTraceTicksPerUs = 1024;
// Trace time of simulated time 0: 1 µs.
inline constexpr std::int64_t kTraceOriginTicks = kTraceTicksPerUs;

// Simulated seconds as trace ticks (origin added), to the nearest tick.
std::int64_t trace_ticks(double seconds);
// Ticks as the exact microseconds text: 1024 -> "1", 1536 -> "1.5",
// 1 -> "0.0009765625".
std::string trace_us_text(std::int64_t ticks);
// The "dur" text of a slice [start, end) in ticks: exactly end − start.
std::string trace_dur_text(std::int64_t start_ticks, std::int64_t end_ticks);

}  // namespace spsim
