// The regression gate's reading of study outputs and its verdicts, on small
// hand-made outputs whose metrics are worked out by hand.
#include <doctest/doctest.h>

#include <cmath>

#include "tests/tools/input_error_of.h"
#include "tools/regression_gate.h"

namespace spsim::cli {
namespace {


// A `run --json` output with strategies ring (two ranks) and lasp1 (skipped).
std::string run_json(double ring_step, double peak0 = 3e9) {
  return R"({"layers": 1, "model": "m", "model_layers": 2, "network_model": "flow", "scope": "model",
             "workload": "B=1 S=8", "topology": "t", "tokens": 8,
             "strategies": [
               {"strategy": "ring", "step_time_s": )" +
         std::to_string(ring_step) + R"(, "tokens_per_s": 100, "overlap_ratio": 0.5,
                "ranks": [{"peak_memory_bytes": )" +
         std::to_string(peak0) + R"(, "exposed_comm_s": 0.1, "compute_busy_s": 1.0},
                          {"peak_memory_bytes": 2e9, "exposed_comm_s": 0.3, "compute_busy_s": 0.5}]},
               {"strategy": "lasp1", "skipped": "softmax layers"}]})";
}

TEST_CASE("gate: a run's output becomes one record per strategy, with its rank maxima and means") {
  const auto in = read_gate_input(run_json(2.0), "b.json");
  REQUIRE(in.has_value());
  CHECK(in->kind == "run");
  CHECK(in->study == "m (1 of 2 layers, model) B=1 S=8 on t, network model flow");
  REQUIRE(in->records.size() == 2);
  const GateRecord& ring = in->records[0];
  CHECK(ring.key == "ring");
  CHECK(ring.metrics.at("step_time_s") == 2.0);
  CHECK(ring.metrics.at("peak_memory_gb") == 3.0);       // max of 3e9 and 2e9 bytes
  CHECK(ring.metrics.at("exposed_comm_s") == 0.3);       // max over ranks
  CHECK(ring.metrics.at("compute_share") == 0.375);      // mean busy (1.0 + 0.5) / 2 over a 2 s step
  CHECK(in->records[1].status == "skipped");
  CHECK(in->records[1].reason == "softmax layers");
}

TEST_CASE("gate: measured files and other JSON are not study outputs") {
  CHECK(!read_gate_input("# nccl-tests\n#  size count\n", "n.txt"));
  CHECK(!read_gate_input(R"({"traceEvents": []})", "k.json"));
  CHECK(!read_gate_input(R"({"spsim_timeline": 1})", "t.json"));
  CHECK(!read_gate_input("{not json", "x.json"));
  CHECK(!read_gate_input("", "e.json"));
  // spsim's own output, cut: refused, naming the file.
  CHECK(test::input_error_of([] { read_gate_input(R"({"strategies": [{"strategy": "ring"}], "workload": "w", "model": "m",
      "layers": 1, "model_layers": 1, "scope": "model", "topology": "t", "network_model": "flow"})", "c.json"); }) ==
        "c.json: not a well-formed spsim output: no key 'step_time_s'");
}

TEST_CASE("gate: verdicts by direction and tolerance") {
  const GateInput base = *read_gate_input(run_json(2.0), "b");
  GateOptions o;  // 2%
  // +1% step time: within; +5%: regressed; -5%: improved.
  CHECK(compare_gate_inputs(base, "b", *read_gate_input(run_json(2.02), "c"), "c", o).passed());
  const GateReport worse = compare_gate_inputs(base, "b", *read_gate_input(run_json(2.1), "c"), "c", o);
  CHECK(!worse.passed());
  CHECK(worse.regressed == 1);
  REQUIRE(worse.deltas.size() == 2);  // ring's step_time_s and peak_memory_gb (lasp1 has none)
  CHECK(worse.deltas[0].metric == "step_time_s");
  CHECK(worse.deltas[0].change == doctest::Approx(0.05));
  CHECK(worse.deltas[0].verdict == GateVerdict::kRegressed);
  const GateReport better = compare_gate_inputs(base, "b", *read_gate_input(run_json(1.9), "c"), "c", o);
  CHECK(better.passed());
  CHECK(better.improved == 1);
  // A per-metric tolerance wins over the global one.
  parse_gate_tolerance("2%,step_time_s=10%", "--tolerance", o);
  CHECK(compare_gate_inputs(base, "b", *read_gate_input(run_json(2.1), "c"), "c", o).passed());
  // Throughput: higher is better, so a drop regresses.
  GateOptions t;
  t.metrics = {"tokens_per_s"};
  std::string slower = run_json(2.0);
  slower.replace(slower.find("\"tokens_per_s\": 100"), 19, "\"tokens_per_s\": 90");
  const GateReport drop = compare_gate_inputs(base, "b", *read_gate_input(slower, "c"), "c", t);
  CHECK(drop.regressed == 1);
  CHECK(drop.deltas[0].change == doctest::Approx(-0.1));
}

TEST_CASE("gate: a configuration that no longer runs fails; one that runs now does not") {
  const GateInput base = *read_gate_input(run_json(2.0), "b");
  GateInput lost = base;
  lost.records[0].status = "skipped";
  lost.records[0].reason = "too big";
  lost.records[0].metrics.clear();
  const GateReport r = compare_gate_inputs(base, "b", lost, "c", GateOptions{});
  CHECK(!r.passed());
  CHECK(r.lost == std::vector<std::string>{"ring: skipped: too big"});
  const GateReport back = compare_gate_inputs(lost, "c", base, "b", GateOptions{});
  CHECK(back.passed());
  CHECK(back.recovered == std::vector<std::string>{"ring"});
}

TEST_CASE("gate: different studies, configurations or commands are bad input, named") {
  const GateInput base = *read_gate_input(run_json(2.0), "b");
  GateInput other = base;
  other.records[1].key = "lasp2";
  CHECK(test::input_error_of([&] { compare_gate_inputs(base, "b", other, "c", GateOptions{}); }) ==
        "b and c: have different configurations: only in b: lasp1; only in c: lasp2");
  other = base;
  other.study = "m2";
  CHECK(test::input_error_of([&] { compare_gate_inputs(base, "b", other, "c", GateOptions{}); }).starts_with(
      "b and c: describe different studies"));
  other = base;
  other.kind = "plan";
  CHECK(test::input_error_of([&] { compare_gate_inputs(base, "b", other, "c", GateOptions{}); }) ==
        "b and c: are the outputs of different commands (run, plan)");
}

TEST_CASE("gate: a zero baseline that grows is an infinite change") {
  std::string zero = run_json(2.0);
  GateInput base = *read_gate_input(zero, "b");
  base.records[0].metrics["exposed_comm_s"] = 0;
  GateInput cur = base;
  cur.records[0].metrics["exposed_comm_s"] = 1e-6;
  GateOptions o;
  o.metrics = {"exposed_comm_s"};
  const GateReport r = compare_gate_inputs(base, "b", cur, "c", o);
  REQUIRE(r.deltas.size() == 1);
  CHECK(std::isinf(r.deltas[0].change));
  CHECK(r.deltas[0].verdict == GateVerdict::kRegressed);
}

TEST_CASE("gate: sweep CSV rows keep their settings and quoted reasons") {
  const std::string csv =
      "config,seq,strategy,status,sp_ranks,step_time_s,tokens_per_s,compute_share,exposed_comm_s,overlap_ratio,"
      "peak_memory_gb,exceeds_memory,ops,padding_tokens,bottleneck,reason\n"
      "0,8192,ring,ok,4,0.5,10,0.9,0.01,0.5,40,false,224,0,\"dense_bwd 54%, dense 20%\",\n"
      "1,16384,ring,error,,,,,,,,,,,,\"sp: must be in 1..8, \"\"got\"\" 16\"\n";
  const auto in = read_gate_input(csv, "s.csv");
  REQUIRE(in.has_value());
  REQUIRE(in->records.size() == 2);
  CHECK(in->records[0].key == "config 0 (seq=8192) ring");
  CHECK(in->records[0].metrics.at("step_time_s") == 0.5);
  CHECK(in->records[0].metrics.at("peak_memory_gb") == 40);
  CHECK(in->records[1].status == "error");
  CHECK(in->records[1].reason == "sp: must be in 1..8, \"got\" 16");
  CHECK(test::input_error_of([&] { read_gate_input(csv.substr(0, csv.size() - 1), "s.csv"); }) ==
        "s.csv: line 3: not ended by a newline (a cut file?)");
}

TEST_CASE("gate: --tolerance and --metrics parse what they document") {
  GateOptions o;
  parse_gate_tolerance("5%", "--tolerance", o);
  CHECK(o.tolerance == doctest::Approx(0.05));
  parse_gate_tolerance("step_time_s=0.5%,1%", "--tolerance", o);
  CHECK(o.tolerance == doctest::Approx(0.01));
  CHECK(o.per_metric.at("step_time_s") == doctest::Approx(0.005));
  for (const char* bad : {"2", "x%", "-1%", "", "foo=1%", "step_time_s=", "%"}) {
    CAPTURE(bad);
    CHECK(test::input_error_of([&] { parse_gate_tolerance(bad, "--tolerance", o); }).starts_with("--tolerance: "));
  }
  CHECK(parse_gate_metrics("tokens_per_s,step_time_s,tokens_per_s", "--metrics") ==
        std::vector<std::string>{"tokens_per_s", "step_time_s"});
  CHECK(test::input_error_of([] { parse_gate_metrics("step", "--metrics"); }).starts_with("--metrics: unknown metric 'step'"));
}

}  // namespace
}  // namespace spsim::cli
