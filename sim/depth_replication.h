#pragma once
// Fast repeated layers: a model's layers are identical, so once a simulated
// step reaches its steady state — layer l+p runs exactly as layer l, every op
// shifted by one period (forward ops later, backward ops earlier) — each
// further p layers add exactly what p layers added. (p = 1 for most
// schedules; p = 2 where compute slowed by concurrent communication settles
// into alternating layers, as the ring's does.) A study then simulates k and
// k+p layers, checks the steady state on the second, and replicates the
// difference instead of simulating the other layers (L - k a multiple of p):
//   X(L) = X(k+p) + (L - k - p) / p * (X(k+p) - X(k))
// for every quantity that sums over the timeline (step time, busy, exposed,
// overlapped and waiting time per rank, link bytes and busy time, critical
// path seconds per label). Exact when the steady state holds (the check is
// to 1 ns); tests/sim/depth_replication_test.cc compares it with the whole
// simulation for every strategy and both network models.

#include <cstdint>
#include <optional>

#include "program/program.h"
#include "sim/critical_path.h"
#include "sim/metrics.h"
#include "sim/timeline.h"

namespace spsim {

// How far the steady state's check allows an op's shift, or its duration,
// to differ from the others': floating-point noise, not a schedule's change.
inline constexpr double kSteadyToleranceS = 1e-9;

// The shift of a steady state: how much later a forward op of layer l+p
// runs than its layer-l twin, and how much earlier a backward op.
struct LayerPeriod {
  double forward_s = 0;
  double backward_s = 0;
};

// Whether layers first .. first + 2 period of `timeline` are in a steady
// state of `period` layers: on every (rank, stream), the ops of each layer l
// (first <= l <= first + period) match those of l + period one to one (same
// kinds and work, same durations) and every op's start and ready time shift
// by the same forward (later) or backward (earlier) amount, the same for all
// these pairs. nullopt when not.
std::optional<LayerPeriod> steady_period(const Program& program, const Timeline& timeline, std::uint32_t first,
                                         std::uint32_t period);

// The metrics of a step `more` periods deeper than `deeper`, from those of k
// (`base`) and k+p layers (`deeper`) in the steady state. Peak memory is left
// as `deeper`'s (the study extrapolates it by what a layer holds).
Metrics replicate_metrics(const Metrics& base, const Metrics& deeper, double more);
CriticalPath replicate_critical_path(const CriticalPath& base, const CriticalPath& deeper, double more);

}  // namespace spsim
