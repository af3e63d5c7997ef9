#pragma once
// How fast an attention kernel runs on a block: efficiency curves fitted to
// published FlashAttention figures, applied per block through the tile model
// of attention_tiles.h.
//
// The model. A kernel keeps one tile of the "outer" side on chip and streams
// the other side through it (forward: query tile outer, keys streamed;
// backward: key tile outer, queries streamed). Its efficiency grows with the
// length of that inner loop, amortizing per-tile setup:
//   L = computed pairs / outer rows          (mean keys per query row, forward)
// — the "work per tile row". For the published S x S benchmarks L = S
// (non-causal) and L = C(S)/S ≈ (S + 128)/2 (causal), where C(S) is the
// pairs the kernel computes (attention_tiles.h).
//
// Two curves per kernel, both per *computed* pair:
//   full   : blocks with no partially masked tile (every tile fully visible);
//   causal : causal squares, converted from the published numbers (which
//            count S²/2 pairs) by C(S)/(S²/2), so the curve holds only the
//            kernel's real slowness on the diagonal, not the masked work.
// A causal square has exactly one band of cut tiles per outer row (width
// causal_partial_band(), in pairs per row). Charging cut tiles an extra
// cost per pair, and matching both curves, gives for any block
//   time per computed pair ∝ 1/eff_full(L) + α · (1/eff_causal(L) − 1/eff_full(L)),
//   α = partial pairs / (outer rows · band)   (0: full block, 1: causal square)
// so a zigzag half, a striped block or an offset causal block is costed by
// how many cut tiles it really has. The bracket is clamped at 0 (a cut tile
// never makes a kernel faster).
//
// Not modelled (calibrate): head dims other than 128 (the curves are fitted
// at D = 128; other D only change the FLOP count), and wave quantization when
// a block has fewer tiles than the device has SMs.

#include <cstdint>
#include <vector>

#include "costmodel/attention_tiles.h"
#include "costmodel/efficiency_fit.h"
#include "costmodel/published_attention.h"
#include "costmodel/saturation_curve.h"

namespace spsim {

struct AttentionKernelModel {
  std::uint32_t tile_q = 128;  // query rows per tile
  std::uint32_t tile_k = 128;  // key rows per tile
  SaturationCurve full;        // per computed pair, blocks without cut tiles
  SaturationCurve causal;      // per computed pair, causal squares
  friend bool operator==(const AttentionKernelModel&, const AttentionKernelModel&) = default;
};

// L = computed_pairs / outer_rows (0 when outer_rows <= 0).
double attention_effective_length(const AttentionTileCounts& tiles, double outer_rows);

// Fraction of peak the kernel reaches per computed pair on a block with
// these tile counts (see above). outer_rows: query rows (forward) or key rows
// (backward) of the block. 0 when nothing is computed.
double attention_block_efficiency(const AttentionKernelModel& model, const AttentionTileCounts& tiles,
                                  double outer_rows);

// The (L, TFLOP/s per computed pair) points a curve is fitted to, from a
// published series for a kernel with these tiles: non-causal points pass
// unchanged (L = S); causal points become L = C(S)/S and TFLOP/s · C(S)/(S²/2).
std::vector<ThroughputPoint> attention_curve_points(const AttentionBenchmarkSeries& series,
                                                    std::uint32_t tile_q, std::uint32_t tile_k);

struct AttentionKernelFit {
  AttentionKernelModel model;
  CurveFit full;    // fit of the full curve, residuals per published point
  CurveFit causal;  // fit of the causal curve
};

// Fits both curves of a kernel with these tiles to a non-causal and a causal
// series measured on a device with the given dense peak FLOP/s.
AttentionKernelFit fit_attention_kernel(const AttentionBenchmarkSeries& full,
                                        const AttentionBenchmarkSeries& causal, std::uint32_t tile_q,
                                        std::uint32_t tile_k, double peak_flop_per_s);

}  // namespace spsim
