#include "costmodel/attention_tiles.h"

#include <algorithm>
#include <cassert>
#include <numeric>

namespace spsim {
namespace {

using i128 = __int128;

// floor(x / y) for y > 0, any sign of x.
std::int64_t floor_div(std::int64_t x, std::int64_t y) {
  const std::int64_t q = x / y;
  return (x % y != 0 && x < 0) ? q - 1 : q;
}

// sum_{j=0}^{n-1} floor((a*j + b) / m) for n, a, b >= 0 and m > 0: the
// classic Euclid-like reduction (each round swaps the roles of a and m).
i128 floor_sum(i128 n, i128 m, i128 a, i128 b) {
  i128 total = 0;
  while (n > 0) {
    total += (a / m) * n * (n - 1) / 2 + (b / m) * n;
    a %= m;
    b %= m;
    const i128 top = a * n + b;  // the last term's numerator, reduced
    if (top < m) break;
    n = top / m;
    b = top % m;
    std::swap(a, m);
  }
  return total;
}

// Smallest i in [0, n] with a*i + b >= target (a >= 0); n if none.
std::int64_t first_reaching(std::int64_t a, std::int64_t b, std::int64_t target, std::int64_t n) {
  if (b >= target) return 0;
  if (a == 0) return n;
  const std::int64_t i = -floor_div(-(target - b), a);  // ceil((target - b) / a)
  return std::min(i, n);
}

// sum_{i=0}^{n-1} clamp(floor((a*i + b) / m), 0, cmax) for a >= 0, m > 0, cmax >= 0.
i128 sum_clamped_floor(std::int64_t n, std::int64_t a, std::int64_t b, std::int64_t m,
                       std::int64_t cmax) {
  if (n <= 0 || cmax <= 0) return 0;
  const std::int64_t lo = first_reaching(a, b, m, n);         // value >= 1 from here
  const std::int64_t hi = first_reaching(a, b, cmax * m, n);  // value >= cmax from here
  i128 total = static_cast<i128>(cmax) * (n - hi);
  if (hi > lo) total += floor_sum(hi - lo, m, a, b + a * lo);
  return total;
}

// Tile counts of one query run against one key run of the same sequence,
// causal. Query row i sees key row j iff t*j <= d + s*i (d = q.start - k.start).
//   For a query tile with rows [first, last]:
//   computed key tiles: J with t*J*tk <= d + s*last, i.e.
//     c = clamp(floor((d + s*last + t*tk) / (t*tk)), 0, NJ); keys c*tk, or m when c = NJ;
//   fully visible key tiles: all of them (m keys) when d + s*first >= t*(m-1),
//     else those inside the v = floor((d + s*first)/t) + 1 keys the first row
//     sees: floor(v/tk) = floor((d + s*first + t) / (t*tk)) tiles of tk keys.
AttentionTileCounts causal_run_tiles(const TokenRun& q, const TokenRun& k, std::int64_t tq,
                                     std::int64_t tk) {
  const std::int64_t n = q.count, m = k.count, s = q.stride, t = k.stride, d = q.start - k.start;
  if (n <= 0 || m <= 0) return {};
  const std::int64_t nj = (m + tk - 1) / tk;
  const std::int64_t M = t * tk;
  const std::int64_t short_tile = nj * tk - m;  // keys missing from the last key tile

  // One query tile, evaluated directly (the ragged last tile).
  auto one_tile = [&](std::int64_t first, std::int64_t last) -> std::pair<i128, i128> {
    const std::int64_t c = std::clamp<std::int64_t>(floor_div(d + s * last + M, M), 0, nj);
    const std::int64_t keys_computed = c == nj ? m : c * tk;
    const std::int64_t keys_full =
        d + s * first >= t * (m - 1) ? m : tk * std::max<std::int64_t>(0, floor_div(d + s * first + t, M));
    return {keys_computed, keys_full};
  };

  const std::int64_t ni = n / tq;  // whole query tiles
  // Whole query tiles I: first = I*tq, last = I*tq + tq - 1.
  const std::int64_t a = s * tq;
  i128 computed_keys = 0, full_keys = 0;
  {
    const std::int64_t b = d + s * (tq - 1) + M;
    const i128 sum_c = sum_clamped_floor(ni, a, b, M, nj);
    const std::int64_t reach_all = first_reaching(a, b, nj * M, ni);
    computed_keys = static_cast<i128>(tk) * sum_c - static_cast<i128>(short_tile) * (ni - reach_all);
  }
  {
    const std::int64_t all_from = first_reaching(a, d, t * (m - 1), ni);
    full_keys = static_cast<i128>(tk) * sum_clamped_floor(all_from, a, d + t, M, nj) +
                static_cast<i128>(m) * (ni - all_from);
  }
  i128 computed = computed_keys * tq, full = full_keys * tq;
  if (n % tq != 0) {
    const auto [kc, kf] = one_tile(ni * tq, n - 1);
    computed += kc * (n - ni * tq);
    full += kf * (n - ni * tq);
  }
  return {static_cast<std::int64_t>(computed), static_cast<std::int64_t>(computed - full)};
}

}  // namespace

AttentionTileCounts attention_tile_counts(std::span<const TokenRun> q, std::span<const TokenRun> k,
                                          bool causal, std::uint32_t tile_q, std::uint32_t tile_k) {
  assert(tile_q >= 1 && tile_k >= 1 && "attention_tile_counts: tiles must be >= 1");
  AttentionTileCounts total;
  for_each_same_sequence_run_pair(q, k, [&](const TokenRun& qr, const TokenRun& kr) {
    if (qr.count <= 0 || kr.count <= 0) return;
    if (!causal) {
      total.computed_pairs += qr.count * kr.count;
      return;
    }
    const AttentionTileCounts c = causal_run_tiles(qr, kr, tile_q, tile_k);
    total.computed_pairs += c.computed_pairs;
    total.partial_pairs += c.partial_pairs;
  });
  return total;
}

double causal_partial_band(std::uint32_t tile_q, std::uint32_t tile_k) {
  const std::int64_t side = std::lcm<std::int64_t>(tile_q, tile_k);
  const TokenRun square{0, 0, side, 1};
  const TokenRun one[] = {square};
  const AttentionTileCounts c = attention_tile_counts(one, one, true, tile_q, tile_k);
  return static_cast<double>(c.partial_pairs) / static_cast<double>(side);
}

}  // namespace spsim
