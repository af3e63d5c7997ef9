// Batches: length files (lines and JSON; errors name file and line), global
// batch sizes, maximum context, token counts as written on the command line.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

#include "planner/batch.h"
#include "planner/token_count.h"
#include "program/input_error.h"
#include "tests/support/test_files.h"
#include "tests/tools/input_error_of.h"

namespace spsim {
namespace {

TEST_CASE("token counts: K and M are binary multiples") {
  CHECK(parse_token_count("4096", "--x") == 4096);
  CHECK(parse_token_count("384K", "--x") == 393216);
  CHECK(parse_token_count("2m", "--x") == 2097152);
  CHECK(token_count_text(393216) == "384K");
  CHECK(token_count_text(2097152) == "2M");
  CHECK(token_count_text(1000) == "1000");
  for (const char* bad : {"", "K", "0", "-5", "1.5K", "12Q", "99999999999999999999"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_token_count(bad, "--max-context"), InputError);
  }
  CHECK(test::input_error_of([] { parse_token_count("12Q", "--max-context"); }) ==
        "--max-context: expected a positive token count such as 4096, 384K or 2M, got '12Q'");
}

TEST_CASE("length files: one per line with comments, or a JSON list") {
  const auto lines = test::write_temp("spsim_batch_test_lines.txt", "# lengths\n100\n\n 37 \n5\n");
  CHECK(read_lengths_file(lines, 1000) == std::vector<std::int64_t>{100, 37, 5});
  const auto json = test::write_temp("spsim_batch_test_list.json", "  [100, 37, 5]\n");
  CHECK(read_lengths_file(json, 1000) == std::vector<std::int64_t>{100, 37, 5});
}

TEST_CASE("length files: errors name the file and the line or entry") {
  const auto bad_line = test::write_temp("spsim_batch_test_bad.txt", "100\n37\nabc\n");
  CHECK(test::input_error_of([&] { read_lengths_file(bad_line, 1000); }) ==
        bad_line + ":3: expected one positive integer sequence length per line, got 'abc'");
  const auto zero = test::write_temp("spsim_batch_test_zero.txt", "100\n0\n");
  CHECK(test::input_error_of([&] { read_lengths_file(zero, 1000); }) == zero + ":2: expected a positive sequence length, got 0");
  const auto long_one = test::write_temp("spsim_batch_test_long.txt", "100\n5000\n");
  CHECK(test::input_error_of([&] { read_lengths_file(long_one, 1000); }) ==
        long_one + ":2: sequence length 5000 exceeds the maximum context 1000 (--max-context)");
  const auto bad_json = test::write_temp("spsim_batch_test_bad.json", "[100, \"x\"]");
  CHECK(test::input_error_of([&] { read_lengths_file(bad_json, 1000); }) ==
        bad_json + ": entry 2: expected a positive integer sequence length, got \"x\"");
  const auto empty = test::write_temp("spsim_batch_test_empty.txt", "# nothing\n");
  CHECK(test::input_error_of([&] { read_lengths_file(empty, 1000); }) == empty + ": the lengths file lists no sequence");
  CHECK_THROWS_AS(read_lengths_file("/nonexistent/lengths.txt", 1000), InputError);
}

TEST_CASE("batches from a file: whole, or cut to a global batch size") {
  const std::vector<std::int64_t> lengths{100, 37, 5, 60};
  CHECK(batch_from_lengths(lengths, std::nullopt, "f").lengths == lengths);
  // 120 tokens: 100, then 20 of the 37 (cut so the sum is exact).
  CHECK(batch_from_lengths(lengths, BatchSize{BatchSize::Unit::kTokens, 120}, "f").lengths ==
        std::vector<std::int64_t>{100, 20});
  CHECK(batch_from_lengths(lengths, BatchSize{BatchSize::Unit::kSequences, 3}, "f").lengths ==
        std::vector<std::int64_t>{100, 37, 5});
  CHECK(test::input_error_of([&] { batch_from_lengths(lengths, BatchSize{BatchSize::Unit::kTokens, 1000}, "f"); }) ==
        "--global-batch-tokens: 1000 requested but f holds only 202");
}

TEST_CASE("drawn batches: exact token totals, clipped at the maximum context, reproducible") {
  const LengthDistribution& w = find_length_distribution("wikipedia");
  const Batch a = draw_batch(w, 3, BatchSize{BatchSize::Unit::kTokens, 1 << 20}, 8192);
  const Batch b = draw_batch(w, 3, BatchSize{BatchSize::Unit::kTokens, 1 << 20}, 8192);
  CHECK(a.lengths == b.lengths);
  CHECK(a.total_tokens() == (1 << 20));
  CHECK(*std::max_element(a.lengths.begin(), a.lengths.end()) <= 8192);
  // ≈1.6% of draws exceed 8K (strategies.md: ≈98.4% <= 8K): of ~1000 draws, some are clipped.
  CHECK(a.clipped > 0);
  const Batch c = draw_batch(w, 3, BatchSize{BatchSize::Unit::kSequences, 512}, 393216);
  CHECK(c.lengths.size() == 512);
  CHECK(c.origin == "wikipedia seed 3");
}

}  // namespace
}  // namespace spsim
