// What spsim plot draws: the gnuplot script's data blocks, series and axes,
// from small CSV tables and run outputs written out by hand.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/tools/input_error_of.h"
#include "tools/csv_table.h"
#include "tools/plot.h"

namespace spsim::cli {
namespace {


const char* kSweep =
    "config,seq,nodes,strategy,status,step_time_s,reason\n"
    "0,8192,1,ring,ok,0.5,\n"
    "1,8192,1,zigzag,ok,0.25,\n"
    "2,4096,1,ring,ok,0.125,\n"
    "3,4096,1,zigzag,skipped,,\"no, not this one\"\n"
    "4,8192,2,ring,ok,0.75,\n";

PlotOptions options(std::string x, std::string y, std::string by = "") {
  PlotOptions o;
  o.out = "f.svg";
  o.x = std::move(x);
  o.y = std::move(y);
  o.by = std::move(by);
  return o;
}

TEST_CASE("plot: a line per group in first-seen order, points sorted by x, rows without metrics left out") {
  const CsvTable t = parse_csv_table(kSweep, "s.csv");
  PlotOptions o = options("seq", "step_time_s", "strategy");
  o.where = parse_plot_filter("nodes=1", "--where");
  const PlotScript ps = line_plot_script(t, o, "s.csv");
  CHECK(ps.series == 2);
  CHECK(ps.points == 3);
  CHECK(ps.dropped == 1);   // zigzag at 4096: skipped
  CHECK(ps.filtered == 1);  // nodes=2
  // ring: (4096, 0.125), (8192, 0.5), sorted; zigzag: (8192, 0.25).
  CHECK(ps.script.find("$d0 << EOD\n4096 0.125\n8192 0.5\nEOD\n") != std::string::npos);
  CHECK(ps.script.find("$d1 << EOD\n8192 0.25\nEOD\n") != std::string::npos);
  CHECK(ps.script.find("title 'ring'") != std::string::npos);
  CHECK(ps.script.find("title 'zigzag'") != std::string::npos);
  CHECK(ps.script.find("set output 'f.svg'") != std::string::npos);
  CHECK(ps.script.find("set terminal svg") != std::string::npos);
  CHECK(ps.script.find("logscale") == std::string::npos);
}

TEST_CASE("plot: log axes, categorical x, quotes in titles") {
  const CsvTable t = parse_csv_table(kSweep, "s.csv");
  PlotOptions o = options("strategy", "step_time_s");
  o.where = {{"seq", "8192"}, {"nodes", "1"}};
  o.log_y = true;
  o.out = "it's.png";
  const PlotScript ps = line_plot_script(t, o, "s.csv");
  CHECK(ps.points == 2);
  CHECK(ps.script.find("set xtics ('ring' 0, 'zigzag' 1)") != std::string::npos);
  CHECK(ps.script.find("$d0 << EOD\n0 0.5\n1 0.25\nEOD\n") != std::string::npos);
  CHECK(ps.script.find("set logscale y\n") != std::string::npos);
  CHECK(ps.script.find("set output 'it''s.png'") != std::string::npos);
  CHECK(ps.script.find("set terminal pngcairo") != std::string::npos);
}

TEST_CASE("plot: what cannot be drawn is refused, naming the column or the lines") {
  const CsvTable t = parse_csv_table(kSweep, "s.csv");
  CHECK(test::input_error_of([&] { line_plot_script(t, options("seqq", "step_time_s"), "s.csv"); }) ==
        "--x: no column 'seqq' in s.csv; its columns: config, seq, nodes, strategy, status, step_time_s, reason");
  CHECK(test::input_error_of([&] { line_plot_script(t, options("seq", "step_time_s", "strategy"), "s.csv"); }) ==
        "s.csv: lines 2 and 6: both give seq=8192 for strategy=ring: they differ in nodes; fix it with --where or "
        "draw it with --by");
  PlotOptions reason = options("seq", "reason");
  CHECK(test::input_error_of([&] { line_plot_script(t, reason, "s.csv"); }) == "s.csv: line 2: column reason is not a number: ''");
  PlotOptions none = options("seq", "step_time_s");
  none.where = {{"nodes", "3"}};
  CHECK(test::input_error_of([&] { line_plot_script(t, none, "s.csv"); }) ==
        "s.csv: no row to draw (0 without metrics, 5 left out by --where)");
  PlotOptions pdf = options("seq", "step_time_s");
  pdf.where = {{"nodes", "2"}};
  pdf.out = "f.pdf";
  CHECK(test::input_error_of([&] { line_plot_script(t, pdf, "s.csv"); }) == "--out: expected a file ending in .svg or .png, got 'f.pdf'");
  CHECK(test::input_error_of([] { parse_plot_filter("nodes", "--where"); }) ==
        "--where: expected NAME=VALUE[,NAME=VALUE...], got 'nodes'");
  CHECK(test::input_error_of([] { parse_csv_table("a,b\n1\n", "c.csv"); }) == "c.csv: line 2: 1 fields; the header has 2");
}

TEST_CASE("plot --breakdown: compute, exposed communication and idle of each strategy that ran, in ms") {
  const nlohmann::json run = nlohmann::json::parse(R"({"model": "m", "workload": "S=8", "topology": "t",
      "strategies": [
        {"strategy": "ring", "critical_path": {"compute_s": 0.5, "comm_s": 0.25, "idle_s": 0.125}},
        {"strategy": "lasp1", "skipped": "softmax"},
        {"strategy": "zigzag", "critical_path": {"compute_s": 0.75, "comm_s": 0.0, "idle_s": 0.0}}]})");
  const PlotScript ps = breakdown_plot_script(run, options("", ""), "r.json");
  CHECK(ps.points == 2);
  CHECK(ps.dropped == 1);
  CHECK(ps.script.find("$b << EOD\n\"ring\" 500 250 125\n\"zigzag\" 750 0 0\nEOD\n") != std::string::npos);
  CHECK(ps.script.find("set title 'step time along the critical path: m S=8 on t'") != std::string::npos);
  CHECK(ps.script.find("rowstacked") != std::string::npos);
  CHECK(test::input_error_of([] { breakdown_plot_script(nlohmann::json::parse(R"({"strategies": [{"strategy": "ring"}]})"),
                                            options("", ""), "r.json"); }) ==
        "r.json: strategy ring: no critical_path.compute_s");
}

}  // namespace
}  // namespace spsim::cli
