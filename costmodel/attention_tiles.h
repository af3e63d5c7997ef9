#pragma once
// What a tiled attention kernel (FlashAttention) actually computes for a block.
//
// Op::work counts the (query, key) pairs the mask leaves visible. A real
// kernel cuts the block into tile_q x tile_k tiles and skips only tiles that
// are masked *entirely*: a tile the causal boundary cuts is computed in full
// and masked afterwards. So a causal block costs more than its visible pairs.
//
// Tiling convention. Rows are tiled run by run (token_layout.h): query run a
// and key run b of the same sequence form a sub-block tiled from their first
// rows; runs of different sequences never meet (the kernel's varlen/batch
// form, where each sequence is its own problem). For the layouts strategies
// produce (contiguous chunks, zigzag halves, striped runs) this is how the
// kernels are called: zigzag passes each half as its own block and striped
// blocks are causal in row space. Strided runs are handled exactly: the mask
// is decided on global positions, tiles on rows.

#include <cstdint>
#include <span>

#include "program/token_layout.h"

namespace spsim {

struct AttentionTileCounts {
  // Pairs inside the tiles the kernel computes (per head). Non-causal blocks:
  // every same-sequence pair.
  std::int64_t computed_pairs = 0;
  // The part of computed_pairs lying in tiles the mask cuts (some pair
  // visible, some not): the tiles that pay for masking.
  std::int64_t partial_pairs = 0;
  friend bool operator==(const AttentionTileCounts&, const AttentionTileCounts&) = default;
};

// Tile counts of the block q x k. tile_q, tile_k >= 1. Cost O(runs_q · runs_k · log).
AttentionTileCounts attention_tile_counts(std::span<const TokenRun> q, std::span<const TokenRun> k,
                                          bool causal, std::uint32_t tile_q, std::uint32_t tile_k);

// Width, in keys, of the band of cut tiles that one query row crosses in a
// causal square (positions 0..S-1 against 0..S-1, S a multiple of both
// tiles): partial_pairs / S. It is max(tile_q, tile_k) when one tile size
// divides the other (128 for 128x128, 128x64 and 64x128 tiles).
double causal_partial_band(std::uint32_t tile_q, std::uint32_t tile_k);

}  // namespace spsim
