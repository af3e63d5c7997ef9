// The nccl-tests reader on the real outputs of ../shared/reference/data/nccl-tests/
// (counts taken by reading each file, written beside the assertions) and on
// small synthetic tables for the variants those files do not show.

#include "traces/nccl_tests.h"

#include <doctest/doctest.h>

#include <numeric>
#include <string>

#include "program/input_error.h"
#include "tests/support/test_files.h"

namespace spsim {
namespace {

// The mean busbw of a run's rows: nccl-tests' "# Avg bus bandwidth" is the
// mean over every out-of-place and in-place row, so a reader that drops or
// misreads a row does not reproduce it (to the 0.005 GB/s of the printed rows).
double mean_busbw(const NcclTestRun& r) {
  double sum = 0;
  for (const auto& row : r.rows) sum += row.busbw_gb_per_s;
  return sum / static_cast<double>(r.rows.size());
}

TEST_CASE("nccl-tests: the H100 node's five tests, newer format") {
  const auto runs = read_nccl_tests(test::reference_data("nccl-tests/h100_1node8gpu_5collectives_xxrjun_N1_G8.txt"));
  // Five "Collective test starting" blocks, each 10 sizes (32 MiB .. 16 GiB,
  // factor 2) x out-of-place + in-place, 8 "Rank" lines each.
  REQUIRE(runs.size() == 5);
  const char* names[] = {"all_reduce", "all_gather", "reduce_scatter", "alltoall", "sendrecv"};
  for (std::size_t i = 0; i < 5; ++i) {
    CAPTURE(i);
    CHECK(runs[i].test == names[i]);
    CHECK_FALSE(runs[i].test_inferred);
    CHECK(runs[i].num_ranks() == 8);
    CHECK(runs[i].rows.size() == 20);
    CHECK(runs[i].rows.front().bytes == 33554432);
    CHECK(runs[i].rows.back().bytes == 17179869184ull);
    CHECK(runs[i].nccl_tests_version == "2.17.8");
    CHECK(runs[i].nccl_version == "2.29.2");  // nccl-library=22902
    CHECK_FALSE(runs[i].old_format);
    REQUIRE(runs[i].avg_busbw_gb_per_s);
    CHECK(mean_busbw(runs[i]) == doctest::Approx(*runs[i].avg_busbw_gb_per_s).epsilon(1e-5));
  }
  // The first all_reduce line: 33554432 4194304 double sum -1 | 182.87 183.49 321.10 0 | 182.88 183.48 321.08 0
  const auto& first = runs[0].rows[0];
  CHECK(first.count == 4194304);
  CHECK(first.type == "double");
  CHECK(first.redop == "sum");
  CHECK_FALSE(first.root);
  CHECK_FALSE(first.in_place);
  CHECK(first.time_us == 182.87);
  CHECK(first.algbw_gb_per_s == 183.49);
  CHECK(first.busbw_gb_per_s == 321.10);
  CHECK(runs[0].rows[1].in_place);
  CHECK(runs[0].rows[1].time_us == 182.88);
  CHECK(runs[0].ranks[7].device_name == "NVIDIA H100 80GB HBM3");
  CHECK(runs[0].ranks[7].host == "cnode3-002");
  // busbw = algbw x 2(n-1)/n = 183.49 x 1.75 = 321.1.
  CHECK(*nccl_test_bus_factor("all_reduce", 8) * first.algbw_gb_per_s == doctest::Approx(first.busbw_gb_per_s).epsilon(1e-3));
}

TEST_CASE("nccl-tests: the old format (no root, an error column, SHARP lines) names its test by its bus factor") {
  const auto runs = read_nccl_tests(test::reference_data("nccl-tests/a100_2node16gpu_ib_sharp_abci_allreduce_oldformat.txt"));
  // One table: 8 B .. 2 GiB in factors of 2 = 29 sizes, 16 "Rank N Pid" lines.
  REQUIRE(runs.size() == 1);
  const auto& r = runs[0];
  CHECK(r.old_format);
  CHECK(r.num_ranks() == 16);
  CHECK(r.rows.size() == 58);
  CHECK(r.rows.front().bytes == 8);
  CHECK(r.rows.back().bytes == 2147483648ull);
  // No test line: busbw/algbw = 105.46/56.25 = 1.875 = 2(16-1)/16 with a
  // reduction: all_reduce, the only test with that factor.
  CHECK(r.test == "all_reduce");
  CHECK(r.test_inferred);
  CHECK(r.ranks[8].host == "a0001");
  CHECK_FALSE(r.ranks[8].group);
  CHECK(r.rows.back().time_us == 38163);  // in-place of the last line
  CHECK(mean_busbw(r) == doctest::Approx(*r.avg_busbw_gb_per_s).epsilon(1e-4));
}

TEST_CASE("nccl-tests: NCCL_DEBUG=INFO lines interleaved with the table are skipped") {
  const auto runs = read_nccl_tests(test::reference_data("nccl-tests/a100pcie_2node_ib_1gpupernode_sendrecv_thomaslie210.txt"));
  // 15 linear steps of 524288000 B from 1 GiB; 152 "NCCL INFO" lines around them.
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].test == "sendrecv");
  CHECK(runs[0].num_ranks() == 2);
  CHECK(runs[0].rows.size() == 30);
  CHECK(runs[0].rows[2].bytes == 1073741824ull + 524288000ull);
  CHECK(runs[0].nccl_version == "2.16.5");
  CHECK(runs[0].ranks[1].host == "n014");
  CHECK(mean_busbw(runs[0]) == doctest::Approx(*runs[0].avg_busbw_gb_per_s).epsilon(1e-3));
}

TEST_CASE("nccl-tests: two nodes, alltoall then sendrecv") {
  const auto runs = read_nccl_tests(test::reference_data("nccl-tests/h100_2node16gpu_alltoall_sendrecv_xxrjun_pairwise_N2_G8.txt"));
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].test == "alltoall");
  CHECK(runs[1].test == "sendrecv");
  for (const auto& r : runs) {
    CHECK(r.num_ranks() == 16);
    CHECK(r.rows.size() == 6);  // 4, 8, 16 GiB
    CHECK(mean_busbw(r) == doctest::Approx(*r.avg_busbw_gb_per_s).epsilon(1e-4));
  }
}

// A small table in the newer layout; `rows` replaces the data lines.
std::string table(const std::string& rank_lines, const std::string& rows, const std::string& test = "all_gather") {
  return "# nccl-tests version 2.17.8 nccl-headers=22902 nccl-library=22902\n"
         "# Collective test starting: " + test + "_perf\n"
         "# nThread 1 nGpus 1 minBytes 1024 maxBytes 4096 step: 2(factor) warmup iters: 5 iters: 20\n#\n# Using devices\n" +
         rank_lines +
         "#\n#       size         count      type   redop    root     time   algbw   busbw  #wrong     time   algbw   busbw  #wrong\n"
         "#        (B)    (elements)                               (us)  (GB/s)  (GB/s)             (us)  (GB/s)  (GB/s)\n" +
         rows + "# Collective test concluded: " + test + "_perf\n";
}

const std::string kTwoRanks =
    "#  Rank  0 Group  0 Pid 100 on hostA device  0 [0000:1b:00] NVIDIA H100 80GB HBM3\n"
    "#  Rank  1 Group  0 Pid 101 on hostA device  1 [0000:43:00] NVIDIA H100 80GB HBM3\n";
const std::string kRows =
    "        1024           128     float    none      -1    10.00    0.10    0.05       0    10.00    0.10    0.05    N/A\n"
    "        2048           256     float    none      -1    11.00    0.19    0.09       0    11.00    0.19    0.09    N/A\n";

TEST_CASE("nccl-tests: Open MPI --tag-output prefixes are removed") {
  std::string tagged;
  const std::string plain = table(kTwoRanks, kRows);
  std::size_t pos = 0;
  while (pos < plain.size()) {
    const auto end = plain.find('\n', pos);
    tagged += "[1,0]<stdout>:" + plain.substr(pos, end - pos + 1);
    pos = end + 1;
  }
  const auto runs = parse_nccl_tests(tagged, "tagged.txt");
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].rows.size() == 4);
  CHECK(runs[0].num_ranks() == 2);
}

TEST_CASE("nccl-tests: -I per-iteration columns and -S timestamps are located by the header") {
  const std::string text =
      "# nccl-tests version 2.17.8 nccl-headers=22902 nccl-library=22902\n"
      "# Collective test starting: all_reduce_perf\n"
      "# nThread 1 nGpus 2 minBytes 1024 maxBytes 1024\n" + kTwoRanks +
      "#       size         count      type   redop    root     time   algbw   busbw  #wrong    i_min    i_max    i_p99    i_cv%     time   algbw   busbw  #wrong    i_min    i_max    i_p99    i_cv%           timestamp\n"
      "        1024           256     float     sum      -1    12.50    0.08    0.08       0    11.9    13.0    13.0    2.1    12.40    0.08    0.08       0    11.8    12.9    12.9    2.0 2026-12-01 10:00:00\n";
  const auto runs = parse_nccl_tests(text, "iter.txt");
  REQUIRE(runs.size() == 1);
  REQUIRE(runs[0].rows.size() == 2);
  CHECK(runs[0].rows[0].time_us == 12.5);
  CHECK(runs[0].rows[1].time_us == 12.4);
  CHECK(runs[0].rows[1].busbw_gb_per_s == 0.08);
}

TEST_CASE("nccl-tests: -J JSON output") {
  const std::string json = R"({"version":1,"start_time":"2026-12-01 10:00:00","args":["./build/reduce_scatter_perf","-b","1K"],
    "env":[],"nccl_version":22902,
    "config":{"nthreads":1,"ngpus":2,"devices":[
      {"rank":0,"group":0,"pid":1,"hostname":"h","device":0,"device_hex":"0000:1b:00","device_info":"NVIDIA H100 80GB HBM3"},
      {"rank":1,"group":0,"pid":1,"hostname":"h","device":1,"device_hex":"0000:43:00","device_info":"NVIDIA H100 80GB HBM3"}]},
    "results":[{"size":1024,"count":128,"type":"float","redop":"sum","root":"    -1",
      "out_of_place":{"time":9.5,"alg_bw":0.11,"bus_bw":0.05,"nwrong":0},
      "in_place":{"time":9.25,"alg_bw":0.11,"bus_bw":0.06,"nwrong":null},"actual_iterations":20,"experiment_name":""}],
    "out_of_bounds":{"count":0,"okay":true},"average_bus_bandwidth":{"bandwidth":0.055,"okay":"unchecked"}})";
  const auto runs = parse_nccl_tests(json, "rs.json");
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].test == "reduce_scatter");
  CHECK(runs[0].num_ranks() == 2);
  CHECK(runs[0].nccl_version == "2.29.2");
  REQUIRE(runs[0].rows.size() == 2);
  CHECK(runs[0].rows[1].in_place);
  CHECK(runs[0].rows[1].time_us == 9.25);
}

TEST_CASE("nccl-tests: outputs of separate runs interleaved in one file are refused, naming the line") {
  SUBCASE("a rank listed by two processes") {
    const std::string ranks = kTwoRanks + "#  Rank  1 Group  0 Pid 555 on hostB device  1 [0000:43:00] NVIDIA H100 80GB HBM3\n";
    CHECK_THROWS_WITH_AS(parse_nccl_tests(table(ranks, kRows), "mixed.txt"),
                         doctest::Contains("mixed.txt: line 8: rank 1 is listed twice"), InputError);
  }
  SUBCASE("sizes that go back") {
    const std::string rows = kRows + "        1024           128     float    none      -1    10.00    0.10    0.05       0    10.00    0.10    0.05    N/A\n";
    CHECK_THROWS_WITH_AS(parse_nccl_tests(table(kTwoRanks, rows), "mixed.txt"),
                         doctest::Contains("line 13: sizes grow down a table; 1024 follows 2048"), InputError);
  }
  SUBCASE("two headers before any row") {
    const std::string text = "# nThread 1 nGpus 1 minBytes 8 maxBytes 8\n# nThread 1 nGpus 1 minBytes 8 maxBytes 8\n";
    CHECK_THROWS_WITH_AS(parse_nccl_tests(text, "mixed.txt"), doctest::Contains("line 2: a second '# nThread'"), InputError);
  }
  SUBCASE("a test concluding that did not start") {
    std::string text = table(kTwoRanks, kRows);
    text.replace(text.rfind("all_gather_perf"), 15, "all_reduce_perf");
    CHECK_THROWS_WITH_AS(parse_nccl_tests(text, "mixed.txt"), doctest::Contains("'all_reduce' concludes"), InputError);
  }
}

TEST_CASE("nccl-tests: bad tables are one InputError naming the line") {
  CHECK_THROWS_WITH_AS(parse_nccl_tests("hello\n", "x.txt"), doctest::Contains("x.txt: no nccl-tests table"), InputError);
  CHECK_THROWS_WITH_AS(parse_nccl_tests("  1024 256 float sum -1 1 1 1 0 1 1 1 0\n", "x.txt"),
                       doctest::Contains("x.txt: line 1: a table row before the table's header"), InputError);
  const std::string cut = "        4096           512     float    none      -1    10.00    0.10\n";
  CHECK_THROWS_WITH_AS(parse_nccl_tests(table(kTwoRanks, kRows + cut), "x.txt"),
                       doctest::Contains("line 13: 13 columns, as the header at line 9 says; got 7"), InputError);
  const std::string zero = "        4096           512     float    none      -1     0.00    0.10    0.05       0    10.00    0.10    0.05    N/A\n";
  CHECK_THROWS_WITH_AS(parse_nccl_tests(table(kTwoRanks, kRows + zero), "x.txt"),
                       doctest::Contains("line 13: a time in µs > 0, got '0.00'"), InputError);
  const std::string gap = "#  Rank  0 Group  0 Pid 100 on hostA device  0 [0000:1b:00] GPU\n#  Rank  2 Group  0 Pid 102 on hostA device  2 [0000:1c:00] GPU\n";
  CHECK_THROWS_WITH_AS(parse_nccl_tests(table(gap, kRows), "x.txt"), doctest::Contains("rank 1 is missing"), InputError);
  CHECK_THROWS_AS(parse_nccl_tests(R"({"args":["./all_reduce_perf"],"config":{"devices":[]},"results":[{"size":-1}]})", "x.json"),
                  InputError);
  CHECK_THROWS_AS(parse_nccl_tests("{\"args\": 1e400}", "x.json"), InputError);
}

TEST_CASE("nccl-tests: bus factors and bytes per member follow nccl-tests' formulas") {
  // all_reduce 2(n-1)/n = 14/8; all_gather (n-1)/n = 7/8; sendrecv 1.
  CHECK(*nccl_test_bus_factor("all_reduce", 8) == doctest::Approx(1.75));
  CHECK(*nccl_test_bus_factor("all_gather", 8) == doctest::Approx(0.875));
  CHECK(*nccl_test_bus_factor("sendrecv", 8) == 1.0);
  CHECK_FALSE(nccl_test_bus_factor("frobnicate", 8));
  // all_gather's size counts all 8 ranks' blocks: a member's input is size/8.
  CHECK(nccl_test_bytes_per_member("all_gather", 8, 8192) == 1024);
  CHECK(nccl_test_bytes_per_member("reduce_scatter", 8, 8192) == 8192);
  CHECK(nccl_test_collective("alltoall") == CollectiveKind::kAllToAll);
  CHECK_FALSE(nccl_test_collective("sendrecv"));
}

}  // namespace
}  // namespace spsim
