// Padding tokens (token_layout.h): pad_to_multiple, mark_padding, and the mask.
#include <doctest/doctest.h>

#include "program/program.h"
#include "program/token_layout.h"

namespace spsim {
namespace {

TEST_CASE("pad_to_multiple rounds every length up") {
  const std::vector<std::int64_t> lens{100, 37, 5, 42};
  CHECK(pad_to_multiple(lens, 4) == std::vector<std::int64_t>{100, 40, 8, 44});
  CHECK(pad_to_multiple(lens, 8) == std::vector<std::int64_t>{104, 40, 8, 48});
  CHECK(pad_to_multiple(lens, 1) == lens);
}

TEST_CASE("mark_padding splits runs where they cross the real length") {
  const std::vector<std::int64_t> real{37};
  // Contiguous chunk 3 of 4 of the padded 40: positions 30..39; 37..39 are padding.
  CHECK(mark_padding(TokenLayout{{0, 30, 10, 1}}, real) ==
        TokenLayout{{0, 30, 7, 1}, {padding_seq(0), 37, 3, 1}});
  // Striped share r = 3 of P = 4 over 40: 3, 7, ..., 39; real 3..35 (9 tokens), padding 39.
  CHECK(mark_padding(TokenLayout{{0, 3, 10, 4}}, real) ==
        TokenLayout{{0, 3, 9, 4}, {padding_seq(0), 39, 1, 4}});
  // A chunk wholly past the end becomes padding; one wholly before stays.
  CHECK(mark_padding(TokenLayout{{0, 38, 2, 1}, {0, 0, 5, 1}}, real) ==
        TokenLayout{{padding_seq(0), 38, 2, 1}, {0, 0, 5, 1}});
  // Idempotent.
  const TokenLayout once = mark_padding(TokenLayout{{0, 30, 10, 1}}, real);
  CHECK(mark_padding(once, real) == once);
}

TEST_CASE("padding is never visible: unmasked pairs count real tokens only") {
  // Queries 30..39 of a 37-token sequence (3 padding) against keys 0..39 (3 padding):
  // full mask 7 x 37 = 259 pairs; causal: query p sees keys 0..p: sum_{p=30}^{36} (p + 1) = 238.
  const std::vector<std::int64_t> real{37};
  const TokenLayout q = mark_padding(TokenLayout{{0, 30, 10, 1}}, real);
  const TokenLayout k = mark_padding(TokenLayout{{0, 0, 40, 1}}, real);
  CHECK(unmasked_pairs(q, k, false) == 7 * 37);
  CHECK(unmasked_pairs(q, k, true) == 238);
  // Padding against padding of the same sequence: nothing.
  const TokenLayout pad{{padding_seq(0), 37, 3, 1}};
  CHECK(unmasked_pairs(pad, pad, false) == 0);
}

TEST_CASE("ProgramBuilder marks padding in every layout once real lengths are set") {
  ProgramBuilder b(1);
  b.set_real_lengths({5});
  const LayoutId l = b.layout(TokenLayout{{0, 0, 8, 1}});
  const auto runs = b.program().layout(l);
  REQUIRE(runs.size() == 2);
  CHECK(runs[0] == TokenRun{0, 0, 5, 1});
  CHECK(runs[1] == TokenRun{padding_seq(0), 5, 3, 1});
}

}  // namespace
}  // namespace spsim
