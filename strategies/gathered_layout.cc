#include "strategies/gathered_layout.h"

namespace spsim {

LayoutId gathered_layout(ProgramBuilder& b, std::span<const BufferId> shards) {
  TokenLayout all;
  for (BufferId s : shards) {
    const Buffer& buf = b.program().buffer(s);
    if (!buf.layout) throw ProgramError("gathered_layout: " + b.program().describe_buffer(s) + " has no token layout");
    const auto runs = b.program().layout(*buf.layout);
    all.insert(all.end(), runs.begin(), runs.end());
  }
  return b.layout(all);
}

}  // namespace spsim
