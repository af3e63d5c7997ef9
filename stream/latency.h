#pragma once
// Latency of a simultaneous translation: average lagging (AL; Ma et al.
// 2019, STACL, arXiv 1810.08398, section 4):
//   AL = (1 / tau) * sum_{i=1..tau} (d(i) - (i - 1) * step)
// where d(i) is the delay of the i-th target token, step the delay an ideal
// translator adds per target token, and tau the first target token whose
// delay covers the whole source (the tokens after it are not counted).
//   In tokens: d(i) = g(i), the source tokens read when target token i was
//   shown; step = |x| / |y| (1 / r); tau = the first i with g(i) = |x|.
//   In time, computation included (the computation-aware AL of Ma, Pino and
//   Koehn, "SimulMT to SimulST", AACL 2020): d(i) = the wall-clock time token
//   i was shown,
//   step = the source's interval per token times |x| / |y|, over the same
//   tau. With no computation the time form is the token form times the
//   interval.

#include <cstdint>
#include <span>

namespace spsim {

// tau: 1 + the index of the first g(i) >= n, or g.size() when none (the
// translation never saw the whole source). Requires g non-empty.
std::size_t lagging_cutoff(std::span<const std::uint32_t> g, std::uint32_t n);

// AL over d(1..tau) with the given step. Requires 1 <= tau <= d.size().
double average_lagging(std::span<const double> d, double step, std::size_t tau);

}  // namespace spsim
