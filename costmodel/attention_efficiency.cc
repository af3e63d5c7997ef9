#include "costmodel/attention_efficiency.h"

#include <algorithm>
#include <cassert>

namespace spsim {

double attention_effective_length(const AttentionTileCounts& tiles, double outer_rows) {
  if (outer_rows <= 0) return 0;
  return static_cast<double>(tiles.computed_pairs) / outer_rows;
}

double attention_block_efficiency(const AttentionKernelModel& model, const AttentionTileCounts& tiles,
                                  double outer_rows) {
  if (tiles.computed_pairs <= 0 || outer_rows <= 0) return 0;
  const double L = attention_effective_length(tiles, outer_rows);
  const double eff_full = model.full.efficiency(L);
  const double eff_causal = model.causal.efficiency(L);
  if (!(eff_full > 0)) return 0;
  double inverse = 1.0 / eff_full;
  const double band = tiles.partial_pairs > 0 ? causal_partial_band(model.tile_q, model.tile_k) : 0.0;
  if (band > 0 && eff_causal > 0) {
    const double alpha = static_cast<double>(tiles.partial_pairs) / (outer_rows * band);
    inverse += alpha * std::max(0.0, 1.0 / eff_causal - 1.0 / eff_full);
  }
  return 1.0 / inverse;
}

std::vector<ThroughputPoint> attention_curve_points(const AttentionBenchmarkSeries& series,
                                                    std::uint32_t tile_q, std::uint32_t tile_k) {
  std::vector<ThroughputPoint> out;
  out.reserve(series.points.size());
  for (const ThroughputPoint& pt : series.points) {
    if (!series.causal) {
      out.push_back(pt);
      continue;
    }
    const auto S = static_cast<std::int64_t>(pt.length);
    const TokenRun run[] = {TokenRun{0, 0, S, 1}};
    const AttentionTileCounts c = attention_tile_counts(run, run, true, tile_q, tile_k);
    const double computed = static_cast<double>(c.computed_pairs);
    const double published_pairs = static_cast<double>(S) * static_cast<double>(S) / 2;
    out.push_back({computed / static_cast<double>(S), pt.tflop_per_s * computed / published_pairs});
  }
  return out;
}

AttentionKernelFit fit_attention_kernel(const AttentionBenchmarkSeries& full,
                                        const AttentionBenchmarkSeries& causal, std::uint32_t tile_q,
                                        std::uint32_t tile_k, double peak_flop_per_s) {
  assert(!full.causal && causal.causal && "fit_attention_kernel: series in the wrong slots");
  AttentionKernelFit f;
  const auto full_pts = attention_curve_points(full, tile_q, tile_k);
  const auto causal_pts = attention_curve_points(causal, tile_q, tile_k);
  f.full = fit_saturation_curve(full_pts, peak_flop_per_s);
  f.causal = fit_saturation_curve(causal_pts, peak_flop_per_s);
  f.model.tile_q = tile_q;
  f.model.tile_k = tile_k;
  f.model.full = f.full.curve;
  f.model.causal = f.causal.curve;
  return f;
}

}  // namespace spsim
