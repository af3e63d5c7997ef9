#include "program/layout_compare.h"

#include <algorithm>

namespace spsim {

bool same_positions(std::span<const TokenRun> a, std::span<const TokenRun> b) {
  if (token_count(a) != token_count(b)) return false;
  const TokenLayout ca = canonical_layout(a), cb = canonical_layout(b);
  if (ca == cb) return true;
  return expand_layout(ca) == expand_layout(cb);
}

namespace {

// True iff every position of run r lies in run R.
bool run_within(const TokenRun& r, const TokenRun& R) {
  if (r.count == 0) return true;
  if (r.seq != R.seq || R.count == 0) return false;
  const std::int64_t last = r.start + (r.count - 1) * r.stride, R_last = R.start + (R.count - 1) * R.stride;
  if (r.start < R.start || last > R_last) return false;
  if ((r.start - R.start) % R.stride != 0) return false;
  return r.count == 1 || r.stride % R.stride == 0;
}

}  // namespace

bool positions_subset(std::span<const TokenRun> sub, std::span<const TokenRun> super) {
  // Fast path: each run of `sub` inside one run of `super` (the usual case:
  // a chunk of a gathered sequence). Otherwise compare position sets.
  const bool runwise = std::all_of(sub.begin(), sub.end(), [&](const TokenRun& r) {
    return std::any_of(super.begin(), super.end(), [&](const TokenRun& R) { return run_within(r, R); });
  });
  if (runwise) return true;
  std::vector<TokenPos> s = expand_layout(sub), t = expand_layout(super);
  std::sort(s.begin(), s.end());
  std::sort(t.begin(), t.end());
  return std::includes(t.begin(), t.end(), s.begin(), s.end());
}

}  // namespace spsim
