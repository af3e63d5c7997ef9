#include "program/token_layout.h"

#include <algorithm>
#include <cassert>

namespace spsim {
namespace {

using i128 = __int128;

// floor(x / y) for y > 0 and any sign of x.
std::int64_t floor_div(std::int64_t x, std::int64_t y) {
  std::int64_t q = x / y;
  if ((x % y != 0) && (x < 0)) --q;
  return q;
}
std::int64_t ceil_div(std::int64_t x, std::int64_t y) { return -floor_div(-x, y); }

// sum_{i=0}^{n-1} floor((a*i + b) / m) for n, a, b >= 0 and m > 0 (the
// Euclid-like reduction; O(log) iterations).
i128 floor_sum(i128 n, i128 m, i128 a, i128 b) {
  i128 ans = 0;
  while (true) {
    if (a >= m) {
      ans += n * (n - 1) / 2 * (a / m);
      a %= m;
    }
    if (b >= m) {
      ans += n * (b / m);
      b %= m;
    }
    const i128 y_max = a * n + b;
    if (y_max < m) break;
    n = y_max / m;
    b = y_max % m;
    std::swap(m, a);
  }
  return ans;
}

// Causal pairs between query run q and key run k of the same sequence:
// sum over query rows i of #{j : k.start + j*k.stride <= q.start + i*q.stride}.
std::int64_t causal_run_pairs(const TokenRun& q, const TokenRun& k) {
  const std::int64_t n = q.count, m = k.count, s = q.stride, t = k.stride;
  if (n <= 0 || m <= 0) return 0;
  const std::int64_t d = q.start - k.start;
  // keys visible to row i: f(i) = floor((d + i*s)/t) + 1, clamped to [0, m].
  const std::int64_t i0 = std::clamp<std::int64_t>(ceil_div(-d, s), 0, n);  // f(i0) >= 1
  const std::int64_t i1 =
      std::clamp<std::int64_t>(ceil_div((m - 1) * t - d, s), i0, n);  // f(i1) >= m
  const std::int64_t len = i1 - i0;
  i128 total = static_cast<i128>(n - i1) * m;
  if (len > 0) total += len + floor_sum(len, t, s, d + i0 * s);
  return static_cast<std::int64_t>(total);
}

}  // namespace

std::int64_t token_count(std::span<const TokenRun> runs) {
  std::int64_t n = 0;
  for (const auto& r : runs) n += r.count;
  return n;
}

TokenLayout canonical_layout(std::span<const TokenRun> runs) {
  TokenLayout out;
  out.reserve(runs.size());
  for (TokenRun r : runs) {
    if (r.count <= 0) continue;
    if (r.count == 1) r.stride = 1;
    if (!out.empty()) {
      TokenRun& a = out.back();
      const std::int64_t last = a.start + (a.count - 1) * a.stride;
      const std::int64_t gap = r.start - last;
      if (a.seq == r.seq && gap >= 1 && (a.count == 1 || a.stride == gap) &&
          (r.count == 1 || r.stride == gap)) {
        a.stride = gap;
        a.count += r.count;
        continue;
      }
    }
    out.push_back(r);
  }
  return out;
}

TokenLayout slice_layout(std::span<const TokenRun> runs, std::int64_t offset,
                         std::int64_t count) {
  assert(offset >= 0 && count >= 0 && offset + count <= token_count(runs));
  TokenLayout out;
  for (const auto& r : runs) {
    if (count == 0) break;
    if (offset >= r.count) {
      offset -= r.count;
      continue;
    }
    const std::int64_t take = std::min(count, r.count - offset);
    out.push_back(TokenRun{r.seq, r.start + offset * r.stride, take, r.stride});
    count -= take;
    offset = 0;
  }
  return canonical_layout(out);
}

std::vector<std::int64_t> pad_to_multiple(std::span<const std::int64_t> seq_lens, std::int64_t multiple) {
  std::vector<std::int64_t> out(seq_lens.begin(), seq_lens.end());
  if (multiple <= 1) return out;
  for (auto& s : out) s = (s + multiple - 1) / multiple * multiple;
  return out;
}

TokenLayout mark_padding(std::span<const TokenRun> runs, std::span<const std::int64_t> real_lens) {
  TokenLayout out;
  out.reserve(runs.size());
  for (const TokenRun& r : runs) {
    if (is_padding(r.seq) || r.seq >= real_lens.size() || r.count == 0) {
      out.push_back(r);
      continue;
    }
    const std::int64_t len = real_lens[r.seq];
    // Tokens start + i*stride < len: i < ceil((len - start) / stride).
    const std::int64_t real = len <= r.start ? 0 : std::min(r.count, (len - r.start + r.stride - 1) / r.stride);
    if (real > 0) out.push_back(TokenRun{r.seq, r.start, real, r.stride});
    if (real < r.count) out.push_back(TokenRun{padding_seq(r.seq), r.start + real * r.stride, r.count - real, r.stride});
  }
  return out;
}

std::vector<TokenPos> expand_layout(std::span<const TokenRun> runs) {
  std::vector<TokenPos> out;
  out.reserve(static_cast<std::size_t>(token_count(runs)));
  for (const auto& r : runs)
    for (std::int64_t i = 0; i < r.count; ++i) out.push_back({r.seq, r.start + i * r.stride});
  return out;
}

std::int64_t unmasked_pairs(std::span<const TokenRun> q, std::span<const TokenRun> k,
                            bool causal) {
  std::int64_t total = 0;
  for_each_same_sequence_run_pair(q, k, [&](const TokenRun& qr, const TokenRun& kr) {
    total += causal ? causal_run_pairs(qr, kr) : qr.count * kr.count;
  });
  return total;
}

TokenLayout contiguous_shard(std::span<const std::int64_t> seq_lens, std::uint32_t parts,
                             std::uint32_t r) {
  TokenLayout out;
  for (std::size_t i = 0; i < seq_lens.size(); ++i) {
    const std::int64_t chunk = seq_lens[i] / parts;
    out.push_back(TokenRun{static_cast<std::uint32_t>(i), r * chunk, chunk, 1});
  }
  return canonical_layout(out);
}

TokenLayout zigzag_shard(std::span<const std::int64_t> seq_lens, std::uint32_t parts,
                         std::uint32_t r) {
  // All "early" chunks first, then all "late" chunks, so that the late half of
  // a rank's rows is one contiguous row range even for batches / packed input.
  TokenLayout out;
  const std::int64_t two_p = 2 * std::int64_t{parts};
  for (int half = 0; half < 2; ++half)
    for (std::size_t i = 0; i < seq_lens.size(); ++i) {
      const std::int64_t chunk = seq_lens[i] / two_p;
      const std::int64_t index = half == 0 ? r : two_p - 1 - r;
      out.push_back(TokenRun{static_cast<std::uint32_t>(i), index * chunk, chunk, 1});
    }
  return canonical_layout(out);
}

TokenLayout striped_shard(std::span<const std::int64_t> seq_lens, std::uint32_t parts,
                          std::uint32_t r) {
  TokenLayout out;
  for (std::size_t i = 0; i < seq_lens.size(); ++i)
    out.push_back(TokenRun{static_cast<std::uint32_t>(i), r, seq_lens[i] / parts, parts});
  return canonical_layout(out);
}

}  // namespace spsim
