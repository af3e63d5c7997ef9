#pragma once
// A global tensor of one attention layer in float64: rows are all tokens of
// all sequences in order (sequence s starts at row seq_offset[s]), then heads,
// then columns. What executors are fed and what they return.

#include <cstdint>
#include <vector>

#include "program/token_layout.h"

namespace spsim {

struct GlobalTensor {
  std::vector<std::int64_t> seq_offset;  // size = sequences + 1
  std::uint32_t heads = 0;
  std::uint32_t cols = 0;
  std::vector<double> data;

  GlobalTensor() = default;
  GlobalTensor(const std::vector<std::int64_t>& seq_lens, std::uint32_t heads, std::uint32_t cols,
               double fill = 0.0);

  std::int64_t tokens() const { return seq_offset.back(); }
  std::size_t index(TokenPos t, std::uint32_t head, std::uint32_t col) const {
    return (static_cast<std::size_t>(seq_offset[t.seq] + t.pos) * heads + head) * cols + col;
  }
  double& at(TokenPos t, std::uint32_t head, std::uint32_t col) { return data[index(t, head, col)]; }
  double at(TokenPos t, std::uint32_t head, std::uint32_t col) const { return data[index(t, head, col)]; }
  // True iff the token exists (sequence id and position in range).
  bool contains(TokenPos t) const {
    return t.seq + 1 < seq_offset.size() && t.pos >= 0 && t.pos < seq_offset[t.seq + 1] - seq_offset[t.seq];
  }
};

// Uniform values in [-1, 1) from a seeded 64-bit Mersenne Twister (the same
// numbers on every platform).
void fill_uniform(GlobalTensor& t, std::uint64_t seed);

// max |a - b| / max |b| over all elements (0 when b is all zeros and a == b).
// Infinite entries must agree exactly (e.g. lse of rows that see no key).
double max_relative_error(const GlobalTensor& a, const GlobalTensor& b);

}  // namespace spsim
