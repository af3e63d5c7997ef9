#pragma once
// Global token positions of a buffer's rows, described compactly.
//
// A layout is a list of runs; run i covers `count` tokens of sequence `seq` at
// positions start, start+stride, ..., start+(count-1)*stride. The buffer's rows
// are the runs' tokens in order. Contiguous chunks (ring), two chunks per rank
// (zigzag), every P-th token (striped), batches (one sequence id per batch
// entry) and packed variable-length sequences (cu_seqlens) are all short run
// lists, so no strategy needs a special case: attention masks and the number of
// unmasked (q, k) pairs follow from positions alone.
//
// Mask contract: query token (sq, pq) may attend key token (sk, pk) iff
// sq == sk, neither is padding, and (not causal or pk <= pq). Attention never
// crosses sequences.
//
// Padding. Strategies that cut sequences into equal chunks pad each sequence
// to the multiple they need, as TransformerEngine's THD format and Megatron
// do (pad_to_multiple()). A padding token of sequence s at position p has
// sequence id padding_seq(s) (s with kPaddingFlag set) and keeps its
// position, so positions stay unique: it occupies rows of buffers (memory,
// messages, dense layers), is never attended and attends nothing, and is not
// part of the global tensors executors bind.

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace spsim {

struct TokenRun {
  std::uint32_t seq = 0;    // sequence id (batch entry or packed sequence)
  std::int64_t start = 0;   // position of the first token within its sequence
  std::int64_t count = 0;   // number of tokens, >= 0
  std::int64_t stride = 1;  // distance between consecutive positions, >= 1
  friend bool operator==(const TokenRun&, const TokenRun&) = default;
};

// One token: sequence id and position within it.
struct TokenPos {
  std::uint32_t seq;
  std::int64_t pos;
  friend auto operator<=>(const TokenPos&, const TokenPos&) = default;
};

using TokenLayout = std::vector<TokenRun>;

inline constexpr std::uint32_t kPaddingFlag = 0x80000000u;
constexpr bool is_padding(std::uint32_t seq) { return (seq & kPaddingFlag) != 0; }
constexpr std::uint32_t padding_seq(std::uint32_t seq) { return seq | kPaddingFlag; }

// Each length rounded up to a multiple of `multiple` (>= 1).
std::vector<std::int64_t> pad_to_multiple(std::span<const std::int64_t> seq_lens, std::int64_t multiple);

// The layout with every token of sequence s at a position >= real_lens[s]
// turned into padding (runs split where they cross the real length).
// Padding runs and sequence ids beyond real_lens are left as they are, so
// applying it twice changes nothing.
TokenLayout mark_padding(std::span<const TokenRun> runs, std::span<const std::int64_t> real_lens);

// Total number of tokens (rows) of a layout.
std::int64_t token_count(std::span<const TokenRun> runs);

// Canonical form: drops empty runs, gives single-token runs stride 1, and fuses
// a run into its predecessor when it continues it (same sequence and stride).
// Two layouts list the same positions in the same order iff their canonical
// forms are equal.
TokenLayout canonical_layout(std::span<const TokenRun> runs);

// Rows [offset, offset + count) of a layout. Requires offset + count <= tokens.
TokenLayout slice_layout(std::span<const TokenRun> runs, std::int64_t offset,
                         std::int64_t count);

// Every position, in row order. For executors and tests, not hot paths.
std::vector<TokenPos> expand_layout(std::span<const TokenRun> runs);

// Calls fn(q_run, k_run) for every pair of runs of the same sequence, padding
// excluded (the only pairs a mask can leave visible), in q order then k order. Packed
// layouts of many sequences cost O((runs_q + runs_k) log runs_k), not the
// product.
template <class Fn>
void for_each_same_sequence_run_pair(std::span<const TokenRun> q, std::span<const TokenRun> k, Fn&& fn) {
  if (q.size() * k.size() <= 64) {
    for (const TokenRun& qr : q)
      for (const TokenRun& kr : k)
        if (qr.seq == kr.seq && !is_padding(qr.seq)) fn(qr, kr);
    return;
  }
  std::vector<std::uint32_t> order(k.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return k[a].seq < k[b].seq; });
  for (const TokenRun& qr : q) {
    if (is_padding(qr.seq)) continue;
    auto it = std::lower_bound(order.begin(), order.end(), qr.seq,
                               [&](std::uint32_t i, std::uint32_t seq) { return k[i].seq < seq; });
    for (; it != order.end() && k[*it].seq == qr.seq; ++it) fn(qr, k[*it]);
  }
}

// Number of (query, key) pairs a mask leaves unmasked between a query layout
// and a key layout (per head). Cost is O(runs_q * runs_k * log) thanks to a
// closed-form floor sum, so it is cheap enough to evaluate per op.
std::int64_t unmasked_pairs(std::span<const TokenRun> q, std::span<const TokenRun> k,
                            bool causal);

// Rank r's share when each sequence is cut into `parts` equal chunks and the
// rank takes chunk r of every sequence (ring and ulysses layouts). Requires
// every length divisible by parts.
TokenLayout contiguous_shard(std::span<const std::int64_t> seq_lens, std::uint32_t parts,
                             std::uint32_t r);

// Zigzag share: each sequence in 2*parts chunks, rank r takes chunks r and
// 2*parts-1-r. Rows list chunk r of every sequence, then chunk 2*parts-1-r of
// every sequence, so rows [0, n/2) are the early half and [n/2, n) the late
// half. Requires every length divisible by 2*parts.
TokenLayout zigzag_shard(std::span<const std::int64_t> seq_lens, std::uint32_t parts,
                         std::uint32_t r);

// Striped share: token t of each sequence goes to rank t mod parts. Requires
// every length divisible by parts.
TokenLayout striped_shard(std::span<const std::int64_t> seq_lens, std::uint32_t parts,
                          std::uint32_t r);

}  // namespace spsim
