#pragma once
// One training step's batch of sequence lengths: read from a file or drawn
// from a named distribution, cut to a global batch size and a maximum context.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "planner/length_distribution.h"

namespace spsim {

// A global batch size: in tokens (sequences are taken until their lengths
// sum to the value; the last one is cut so the sum is exact) or in sequences.
struct BatchSize {
  enum class Unit : std::uint8_t { kTokens, kSequences };
  Unit unit = Unit::kTokens;
  std::int64_t value = 0;
};

struct Batch {
  std::vector<std::int64_t> lengths;  // in the order drawn or read
  std::size_t clipped = 0;            // draws longer than the maximum context, cut to it
  std::string origin;                 // "wikipedia seed 1" / the file name

  std::int64_t total_tokens() const;
};

// Lengths from a file: either a JSON list of positive integers, or one
// positive integer per line (blank lines and lines starting with '#' are
// skipped). Throws InputError naming the file and line ("lengths.txt:7"), or
// the file and entry of a JSON list, for an unreadable file, a malformed
// entry, a length <= 0, an empty list, or a length above `max_context`.
// More than kMaxSequences entries are refused too. `limit` says what
// max_context is in that message ("exceeds <limit>"; empty: "the maximum
// context N (--max-context)", the planner's).
std::vector<std::int64_t> read_lengths_file(const std::string& path, std::int64_t max_context,
                                            std::string_view limit = {});
// The same for the text of such a file; `where` names it in messages.
std::vector<std::int64_t> parse_lengths(std::string_view text, const std::string& where, std::int64_t max_context,
                                        std::string_view limit = {});

// The most sequences a batch may hold (the largest --global-batch-seqs).
inline constexpr std::size_t kMaxSequences = std::size_t{1} << 24;

// The batch of a file's lengths: all of them without `size`, else the first
// ones up to `size` (tokens: the last cut to fit). Throws
// InputError("--global-batch-tokens" / "--global-batch-seqs", ...) when the
// file holds fewer.
Batch batch_from_lengths(std::vector<std::int64_t> lengths, const std::optional<BatchSize>& size,
                         std::string origin);

// A batch drawn from `dist` with `seed`: draws longer than max_context are
// cut to it (counted in Batch::clipped), as a data loader truncates them.
Batch draw_batch(const LengthDistribution& dist, std::uint64_t seed, const BatchSize& size,
                 std::int64_t max_context);

}  // namespace spsim
