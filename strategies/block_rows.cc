#include "strategies/block_rows.h"

namespace spsim {

RingBlock zigzag_pair_block(std::uint32_t q_member, std::uint32_t kv_member, bool causal) {
  if (!causal || q_member == kv_member) return {};
  if (kv_member < q_member) return {RowHalf::kAll, RowHalf::kEarly};
  return {RowHalf::kLate, RowHalf::kAll};
}

BufferId half_rows(ProgramBuilder& b, BufferId buf, RowHalf half) {
  if (half == RowHalf::kAll) return buf;
  const std::uint32_t rows = b.program().buffer(buf).rows;
  if (rows % 2 != 0) throw ProgramError("half_rows of " + b.program().describe_buffer(buf) + ", which has an odd row count");
  const std::uint32_t n = rows / 2;
  return b.row_view(buf, half == RowHalf::kEarly ? 0 : n, n);
}

bool has_visible_pairs(const ProgramBuilder& b, BufferId q, BufferId k, bool causal) {
  const Program& p = b.program();
  return unmasked_pairs(p.layout(*p.buffer(q).layout), p.layout(*p.buffer(k).layout), causal) > 0;
}

}  // namespace spsim
