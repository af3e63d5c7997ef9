#include "sim/layout_compare.h"

#include <algorithm>

namespace spsim {

bool same_positions(std::span<const TokenRun> a, std::span<const TokenRun> b) {
  if (token_count(a) != token_count(b)) return false;
  const TokenLayout ca = canonical_layout(a), cb = canonical_layout(b);
  if (ca == cb) return true;
  return expand_layout(ca) == expand_layout(cb);
}

bool positions_subset(std::span<const TokenRun> sub, std::span<const TokenRun> super) {
  std::vector<TokenPos> s = expand_layout(sub), t = expand_layout(super);
  std::sort(s.begin(), s.end());
  std::sort(t.begin(), t.end());
  return std::includes(t.begin(), t.end(), s.begin(), s.end());
}

}  // namespace spsim
