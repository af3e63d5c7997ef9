// `spsim run`'s study: traces that open in Perfetto, determinism, and a few
// behaviours a user relies on.
#include "tools/study.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "program/input_error.h"
#include "traces/timeline_file.h"
#include "traces/measured_points.h"
#include "tools/run_settings.h"
#include "costmodel/device_profile.h"
#include "costmodel/link_model.h"

namespace spsim {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

StudyConfig small(const std::string& strategy) {
  StudyConfig c;
  c.seq = 16384;
  c.layers = 2;
  c.strategy = strategy;
  return c;
}

std::filesystem::path temp_file(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("spsim_test_" + name);
}

TEST_CASE("the trace is valid Chrome JSON with strictly nested slices and flow arrows bound at both ends") {
  StudyConfig c = small("zigzag");
  c.trace = temp_file("trace.json").string();
  const StudyResult r = run_study(c);
  const auto j = nlohmann::json::parse(slurp(c.trace));
  REQUIRE(j.contains("traceEvents"));
  CHECK(j.at("displayTimeUnit") == "ms");
  // Per thread, the slices as a viewer reads them: doubles, ts and ts + dur.
  using Thread = std::pair<int, int>;
  std::map<Thread, std::vector<std::pair<double, double>>> slices;
  std::map<long, std::pair<Thread, double>> flow_starts, flow_ends;
  std::map<int, std::string> process_names;
  double first_ts = 1e300, last_end_us = 0;
  for (const auto& e : j.at("traceEvents")) {
    const std::string ph = e.at("ph");
    if (e.contains("pid")) CHECK(e.at("pid") != 0);  // Perfetto's idle process
    if (e.contains("ts")) first_ts = std::min(first_ts, e.at("ts").get<double>());
    if (ph == "X") {
      const double ts = e.at("ts"), dur = e.at("dur");
      CHECK(dur >= 0);
      CHECK(e.at("cat") == "spsim");
      slices[{e.at("pid"), e.at("tid")}].emplace_back(ts, ts + dur);
      last_end_us = std::max(last_end_us, ts + dur);
    } else if (ph == "s" || ph == "f") {
      CHECK(e.at("cat") == "spsim");
      (ph == "s" ? flow_starts : flow_ends)[e.at("id")] = {{e.at("pid"), e.at("tid")}, e.at("ts").get<double>()};
      if (ph == "f") CHECK(e.at("bp") == "e");
    } else if (ph == "M" && e.at("name") == "process_name") {
      process_names[e.at("pid")] = e.at("args").at("name");
    }
  }
  // One thread's slices never overlap, in the viewer's floating point: a
  // slice's ts + dur never passes the next one's ts (DevTools drops it).
  // Nor after subtracting the thread's first ts, as speedscope does first:
  // on the trace's binary time grid (traces/trace_time.h) both are exact.
  for (auto& [thread, v] : slices) {
    std::sort(v.begin(), v.end());
    const double first = v.front().first;
    for (std::size_t i = 1; i < v.size(); ++i) {
      CHECK(v[i].first >= v[i - 1].second);
      const double dur = v[i - 1].second - v[i - 1].first;
      CHECK(v[i].first - first >= (v[i - 1].first - first) + dur);
    }
  }
  // Every flow's ends are the starts of slices of their threads (how DevTools
  // binds them), at two different times.
  REQUIRE(!flow_starts.empty());
  CHECK(flow_starts.size() == flow_ends.size());
  auto starts_a_slice = [&](const std::pair<Thread, double>& end) {
    const auto& v = slices.at(end.first);
    return std::any_of(v.begin(), v.end(), [&](const auto& s) { return s.first == end.second; });
  };
  for (const auto& entry : flow_starts) {
    const long id = entry.first;  // a plain variable: CAPTURE's lambda may not capture a binding (clang < 16)
    const auto& start = entry.second;
    CAPTURE(id);
    REQUIRE(flow_ends.count(id));
    CHECK(starts_a_slice(start));
    CHECK(starts_a_slice(flow_ends.at(id)));
    CHECK(flow_ends.at(id).second > start.second);
  }
  CHECK(process_names.at(1) == "node0/gpu0");
  // Timestamps are microseconds from an origin of 1 us (DevTools leaves ts 0
  // out of the range): the last slice ends at the step time after it.
  CHECK(first_ts >= 1.0);
  CHECK(last_end_us - 1.0 == doctest::Approx(r.outcomes.at(0).metrics.step_time_s * 1e6).epsilon(1e-6));
  std::filesystem::remove(c.trace);
}

TEST_CASE("trace args: wire bytes and rates of communication, FLOP rates of compute") {
  // ulysses at P=8, S=16K, llama3-8b (H=32, 8 KV heads, D=128, bf16): each
  // all-to-all member holds a [S/P rows, heads, D] block and sends (P-1)/P of it.
  StudyConfig c = small("ulysses");
  c.layers = 1;
  c.trace = temp_file("trace_args.json").string();
  run_study(c);
  const auto j = nlohmann::json::parse(slurp(c.trace));
  int collectives = 0, computes = 0;
  for (const auto& e : j.at("traceEvents")) {
    if (e.at("ph") != "X" || !e.contains("args") || !e.at("args").contains("op")) continue;
    const auto& a = e.at("args");
    const double dur_s = e.at("dur").get<double>() * 1e-6;
    if (a.at("category") == "comm" && e.at("name") == "all_to_all") {
      ++collectives;
      const double wire = a.at("wire_bytes");
      // The member's input block: 2048 rows x (32 or 8 heads) x 128 x 2 bytes.
      const double q_block = 2048.0 * 32 * 128 * 2, kv_block = 2048.0 * 8 * 128 * 2;
      CHECK((wire == doctest::Approx(q_block * 7 / 8) || wire == doctest::Approx(kv_block * 7 / 8)));
      if (dur_s > 0) CHECK(a.at("GB/s").get<double>() == doctest::Approx(wire / dur_s / 1e9).epsilon(0.01));
    } else if (a.at("category") == "compute" && a.contains("TFLOP/s")) {
      ++computes;
      CHECK(a.at("TFLOP/s").get<double>() ==
            doctest::Approx(a.at("flops").get<double>() / dur_s / 1e12).epsilon(0.01));
      CHECK(a.at("memory_bytes").get<double>() > 0);
    }
  }
  CHECK(collectives > 0);
  CHECK(computes > 0);
  std::filesystem::remove(c.trace);
}

TEST_CASE("the same study gives byte-identical JSON and traces") {
  StudyConfig a = small("all"), b = small("all");
  a.trace = temp_file("a.json").string();
  b.trace = temp_file("b.json").string();
  a.network = b.network = "flow";
  const StudyResult ra = run_study(a), rb = run_study(b);
  CHECK(study_json(ra) == study_json(rb));
  CHECK(slurp(a.trace) == slurp(b.trace));
  std::filesystem::remove(a.trace);
  std::filesystem::remove(b.trace);
}

TEST_CASE("a causal ring is slower than the zigzag ring it balances") {
  // Contiguous chunks leave rank 0 nearly idle and rank P-1 doing all causal
  // work; zigzag gives every rank the same work per step.
  const StudyResult ring = run_study(small("ring")), zigzag = run_study(small("zigzag"));
  CHECK(zigzag.outcomes.at(0).metrics.step_time_s < ring.outcomes.at(0).metrics.step_time_s);
}

TEST_CASE("--strategy all says why each strategy it skips cannot run") {
  const StudyResult r = run_study(small("all"));
  int skipped = 0;
  for (const auto& o : r.outcomes)
    if (o.skipped) {
      ++skipped;
      CHECK(o.skipped->find("softmax") != std::string::npos);  // LASP-1/2 on a softmax model
    }
  CHECK(skipped == 2);
  StudyConfig lin = small("all");
  lin.model = "linear-llama3-1b";
  lin.layers = 4;
  const StudyResult rl = run_study(lin);
  for (const auto& o : rl.outcomes)
    if (o.strategy == "lasp2" || o.strategy == "lasp2h") CHECK_FALSE(o.skipped.has_value());
}

TEST_CASE("--link-params overrides the topology's link classes for one study") {
  // pcie-a10-4, ring: pairs across the two switches go through the CPU, so
  // lowering the root-complex cap from 10 to 5 GB/s slows the step.
  StudyConfig c;
  c.model = "llama2-7b";
  c.seq = 8192;
  c.layers = 1;
  c.topology = "pcie-a10-4";
  c.strategy = "ring";
  c.scope = "attention";
  const double base = run_study(c).outcomes[0].metrics.step_time_s;
  const auto file = temp_file("link_params.json");
  {
    std::ofstream f(file);
    f << R"({"root_complex": {"bandwidth_bytes_per_s": 5e9}})";
  }
  c.link_params = file.string();
  CHECK(run_study(c).outcomes[0].metrics.step_time_s > 1.2 * base);
}

TEST_CASE("run --timeline writes every op of the fastest strategy, its step and a study that lowers again") {
  StudyConfig c = small("all");
  c.scope = "attention";
  c.layers = 1;
  c.timeline = temp_file("timeline.json").string();
  const StudyResult r = run_study(c);
  REQUIRE(r.traced);
  const TimelineFile t = parse_timeline_file(slurp(c.timeline), c.timeline);
  CHECK(t.source == "predicted");
  CHECK(t.created.empty());  // no date: the same input gives the same bytes
  CHECK(t.strategy == *r.traced);
  const auto best = std::find_if(r.outcomes.begin(), r.outcomes.end(), [&](const auto& o) { return o.strategy == *r.traced; });
  REQUIRE(best != r.outcomes.end());
  CHECK(t.ops.size() == best->ops);
  REQUIRE(t.step_ns);
  CHECK(static_cast<double>(*t.step_ns) == doctest::Approx(best->metrics.step_time_s * 1e9).epsilon(1e-6));
  std::int64_t last_end = 0;
  for (const auto& op : t.ops) last_end = std::max(last_end, op.end_ns);
  CHECK(last_end <= *t.step_ns + 1);
  // The recorded study is a valid config of that one strategy: running it
  // again gives the same step.
  StudyConfig again;
  again.model = t.study.at("model");
  again.seq = t.study.at("seq");
  again.batch = t.study.at("batch");
  again.strategy = t.study.at("strategy");
  again.layers = t.study.at("layers").get<std::uint32_t>();
  again.scope = t.study.at("scope");
  CHECK(!t.study.contains("ulysses-degree"));
  CHECK(run_study(again).outcomes[0].metrics.step_time_s == best->metrics.step_time_s);
}

TEST_CASE("a predicted Timeline read as measured: each kernel off by exactly the launch overhead it includes") {
  // Kernel points are predicted as GPU time without the launch overhead
  // (measured kernel durations exclude it); a simulated op includes it, so
  // the relative error of every kernel point is launch_s / its duration.
  StudyConfig c = small("zigzag");
  c.scope = "attention";
  c.layers = 1;
  c.sp = 4;
  c.timeline = temp_file("timeline_self.json").string();
  run_study(c);
  const MeasuredFile f = read_measured_file(c.timeline);
  REQUIRE(f.timeline);
  const StudyConfig again = cli::study_config_from_json(f.timeline->study.dump(), "study");
  const StudySetup setup = setup_study(again);
  auto program = std::make_shared<const Program>(lower_study_program(again, setup, "study"));
  const PointSet set = timeline_points(*f.timeline, program, "timeline_self.json");
  const DeviceProfile& device = device_profile_preset(setup.topology.device_type(0));
  const LinkModel links(setup.topology.link_params() ? *setup.topology.link_params() : LinkCalibration{});
  const ModelContext ctx{setup.topology, links, "flow", device};
  int kernels = 0;
  for (const MeasuredPoint& p : set.points) {
    if (p.kind == PointKind::kCommunication) continue;
    ++kernels;
    const double predicted = predict_point(p, ctx).seconds;
    CHECK(p.measured_s - predicted == doctest::Approx(device.launch_s).epsilon(1e-3));
  }
  CHECK(kernels > 0);
  // A file whose ops do not match the study's Program is refused naming the op.
  TimelineFile wrong = *f.timeline;
  wrong.ops[0].kind = wrong.ops[0].kind == "send" ? "recv" : "send";
  CHECK_THROWS_WITH_AS(timeline_points(wrong, program, "w.json"), doctest::Contains("w.json: key 'ops.0'"), InputError);
}

}  // namespace
}  // namespace spsim
