// spsim sweep's pieces: the order of configurations, zipped axes, the base
// and its replaced keys, the rows (the same study as `spsim run`'s), CSV
// quoting, and the checks of --merge.
#include <doctest/doctest.h>

#include <algorithm>

#include "tests/tools/input_error_of.h"
#include "tools/run_settings.h"
#include "tools/settings.h"
#include "tools/stream_study.h"
#include "tools/study.h"
#include "tools/sweep_rows.h"
#include "tools/sweep_spec.h"

namespace spsim::cli {
namespace {

using ojson = nlohmann::ordered_json;


TEST_CASE("sweep: configurations are the axes' product, the last axis fastest") {
  SweepSpec s;
  s.add_axis(parse_set_axis("seq=1K,2K", "--set"), "--set");
  s.add_axis(parse_set_axis("nodes=1,2,4", "--set"), "--set");
  REQUIRE(s.size() == 6);
  CHECK(s.names() == std::vector<std::string>{"seq", "nodes"});
  // Configuration i = 3 * (seq index) + (nodes index).
  const std::int64_t seq[] = {1024, 1024, 1024, 2048, 2048, 2048};
  const int nodes[] = {1, 2, 4, 1, 2, 4};
  for (std::size_t i = 0; i < 6; ++i) {
    CAPTURE(i);
    const std::vector<ojson> p = s.point(i);
    CHECK(p[0] == seq[i]);
    CHECK(p[1] == nodes[i]);
  }
}

TEST_CASE("sweep file: grid axes in the file's order, then zipped settings varying together") {
  const SweepSpec s = parse_sweep_file(
      R"({"base": {"layers": 2}, "grid": {"strategy": ["ring", "zigzag"], "nodes": [1, 2]},
          "zip": {"seq": ["16K", "32K", 65536], "batch": [4, 2, 1]}})",
      "s.json");
  REQUIRE(s.size() == 2 * 2 * 3);
  CHECK(s.names() == std::vector<std::string>{"strategy", "nodes", "seq", "batch"});
  const std::vector<ojson> last = s.point(11);
  CHECK(last[0] == "zigzag");
  CHECK(last[1] == 2);
  CHECK(last[2] == 65536);
  CHECK(last[3] == 1);
  const std::vector<ojson> second = s.point(1);
  CHECK(second[2] == 32768);  // "32K" checked and stored as its token count
  CHECK(second[3] == 2);      // zipped with it
  const ojson c = s.config(1);
  CHECK(c["layers"] == 2);
  CHECK(c["seq"] == 32768);
}

TEST_CASE("sweep: an axis drops the base keys it replaces; conflicting axes are refused") {
  SweepSpec s;
  s.base["seq"] = 4096;
  s.base["batch"] = 2;
  s.base["layers"] = 1;
  s.add_axis(parse_set_axis("seqlens=100,200;300", "--set"), "--set");
  REQUIRE(s.size() == 2);
  const ojson c = s.config(0);
  CHECK(!c.contains("seq"));    // seqlens replaces seq and batch
  CHECK(!c.contains("batch"));
  CHECK(c["layers"] == 1);
  CHECK(c["seqlens"] == ojson::array({100, 200}));
  CHECK(s.config(1)["seqlens"] == ojson::array({300}));
  CHECK(test::input_error_of([&] { s.add_axis(parse_set_axis("seq=1K", "--set"), "--set seq=1K"); }) ==
        "--set seq=1K: 'seq' and the axis 'seqlens' replace one another; sweep one of them");
  CHECK(test::input_error_of([&] { s.add_axis(parse_set_axis("seqlens=1", "--set"), "--set seqlens=1"); }) ==
        "--set seqlens=1: 'seqlens' is already an axis of this sweep; give each setting once");
}

TEST_CASE("sweep: more configurations than the limit are refused before any runs") {
  SweepSpec s;
  std::string values;
  for (int k = 1; k <= 1000; ++k) values += (k > 1 ? "," : "") + std::to_string(k);
  s.add_axis(parse_set_axis("layers=" + values, "--set"), "--set");
  s.add_axis(parse_set_axis("loss-chunks=" + values, "--set"), "--set");  // 10^6: the limit itself
  CHECK(s.size() == kMaxSweepConfigurations);
  CHECK(test::input_error_of([&] { s.add_axis(parse_set_axis("nodes=1,2", "--set"), "--set nodes"); }) ==
        "--set nodes: the sweep would have more than 1000000 configurations");
}

TEST_CASE("sweep: each row is the same study spsim run makes of its configuration") {
  SweepSpec s;
  s.base["layers"] = 1;
  s.base["scope"] = "attention";
  s.add_axis(parse_set_axis("seq=8K,16K", "--set"), "--set");
  s.add_axis(parse_set_axis("strategy=ring,lasp1", "--set"), "--set");
  for (std::size_t i = 0; i < s.size(); ++i) {
    CAPTURE(i);
    const std::vector<ojson> p = s.point(i);
    StudyConfig direct;
    direct.layers = 1;
    direct.scope = "attention";
    direct.seq = p[0].get<std::int64_t>();
    direct.strategy = p[1].get<std::string>();
    if (direct.strategy == "lasp1") {
      // lasp1 runs linear attention: the default model has softmax layers. spsim run refuses it; a sweep's row
      // says why.
      const std::string refused = test::input_error_of([&] { run_study(direct); });
      REQUIRE(refused.starts_with("--strategy lasp1: "));
      StudyConfig c = study_config_from_json(s.config(i).dump(), "c");
      c.keep_refusals = true;
      const std::vector<SweepRow> rows = sweep_result_rows(i, s, run_study(c));
      REQUIRE(rows.size() == 1);
      CHECK(rows[0]["status"] == "skipped");
      CHECK(rows[0]["reason"] == refused.substr(std::string("--strategy lasp1: ").size()));
      continue;
    }
    const StudyResult expected = run_study(direct);
    const std::vector<SweepRow> rows =
        sweep_result_rows(i, s, run_study(study_config_from_json(s.config(i).dump(), "c")));
    REQUIRE(rows.size() == 1);
    CHECK(rows[0]["config"] == i);
    CHECK(rows[0]["seq"] == direct.seq);
    CHECK(!rows[0].contains("reason"));
    CHECK(rows[0]["status"] == "ok");
    CHECK(rows[0]["strategy"] == "ring");
    CHECK(rows[0]["step_time_s"].get<double>() == expected.outcomes[0].metrics.step_time_s);
    CHECK(rows[0]["ops"] == expected.outcomes[0].ops);
  }
}

TEST_CASE("sweep --command stream: each row is the same study spsim stream makes of its configuration") {
  SweepSpec s;
  s.command = "stream";
  s.base["rate"] = 4.0;
  s.add_axis(parse_set_axis("src-len=6;9", "--set", "stream"), "--set");
  s.add_axis(parse_set_axis("policy=fretna,all", "--set", "stream"), "--set");
  CHECK(s.describe()["command"] == "stream");
  for (std::size_t i = 0; i < s.size(); ++i) {
    CAPTURE(i);
    const std::vector<ojson> p = s.point(i);
    StreamConfig direct;
    direct.rate = 4.0;
    direct.src_len = {p[0][0].get<std::uint32_t>()};
    direct.policy = p[1].get<std::string>();
    const StreamStudy expected = run_stream_study(direct);
    const std::vector<SweepRow> rows =
        sweep_stream_rows(i, s, run_stream_study(stream_config_from_json(s.config(i).dump(), "c")));
    REQUIRE(rows.size() == expected.policies.size());
    for (std::size_t k = 0; k < rows.size(); ++k) {
      CHECK(rows[k]["config"] == i);
      CHECK(rows[k]["src-len"] == p[0]);
      CHECK(rows[k]["policy"] == std::string(policy_name(expected.policies[k].policy)));
      CHECK(rows[k]["computation_s"].get<double>() == expected.policies[k].compute_s);
      CHECK(rows[k]["al_s"].get<double>() == expected.policies[k].al_s);
      CHECK(rows[k]["decoder_passes"] == expected.policies[k].decoder_passes());
    }
  }
  // No setting a sweep can vary shares its name with a metric column (an axis would overwrite it).
  for (const char* command : {"run", "stream"})
    for (const SettingSpec& spec : setting_specs()) {
      if (!sweepable_setting(spec.name, command)) continue;
      const std::string name(spec.name);
      CAPTURE(name);
      const std::vector<std::string> all = sweep_columns({}, command);
      CHECK((std::find(all.begin(), all.end(), name) == all.end() || name == sweep_variant_column(command)));
    }
  const std::vector<std::string> cols = sweep_columns(s.names(), "stream");
  CHECK(cols[1] == "src-len");
  CHECK(cols[2] == "policy");  // the axis 'policy' is the row's own column
  // One-element lists read as numbers in CSV cells, longer ones as the flag's text.
  SweepRow row;
  row["config"] = 0;
  row["src-len"] = ojson::array({9});
  CHECK(sweep_csv_line(row, {"config", "src-len"}) == "0,9\n");
  row["src-len"] = ojson::array({9, 12});
  CHECK(sweep_csv_line(row, {"config", "src-len"}) == "0,\"9,12\"\n");
  // A run setting in a stream sweep, and a stream setting in a run sweep, are refused.
  CHECK(test::input_error_of([] { (void)parse_set_axis("seq=4K", "--set", "stream"); }).starts_with(
      "--set: 'seq' is not a setting a sweep can vary; expected one of spsim stream's"));
  CHECK(test::input_error_of([] { (void)parse_set_axis("policy=reta", "--set"); }).ends_with(
      "(it is spsim stream's: give --command stream)"));
  CHECK(test::input_error_of([] { (void)parse_sweep_file(R"({"command": "stream"})", "f.json", "run"); }) ==
        "f.json: key 'command': is \"stream\", but --command is run");
  CHECK(parse_sweep_file(R"({"command": "stream", "grid": {"k": [2, 3]}})", "f.json").command == "stream");
}

TEST_CASE("sweep CSV: fields with commas or quotes are quoted; absent metrics are empty") {
  SweepSpec s;
  s.add_axis(parse_set_axis("seq=4K", "--set"), "--set");
  const SweepRow row = sweep_error_row(0, s, "sp: must be in 1..8, \"devices\"");
  const std::vector<std::string> cols = sweep_columns(s.names());
  CHECK(sweep_csv_header(cols) ==
        "config,seq,strategy,status,sp_ranks,step_time_s,tokens_per_s,compute_share,exposed_comm_s,overlap_ratio,"
        "peak_memory_gb,exceeds_memory,ops,padding_tokens,bottleneck,reason\n");
  CHECK(sweep_csv_line(row, cols) == "0,4096,all,error,,,,,,,,,,,,\"sp: must be in 1..8, \"\"devices\"\"\"\n");
}

// The JSON lines of shard k/n of a sweep with `configs` configurations, each one row.
std::string shard_text(std::size_t k, std::size_t n, std::size_t configs, const std::string& axis = "seq=1K,2K,3K,4K") {
  SweepSpec s;
  s.add_axis(parse_set_axis(axis, "--set"), "--set");
  REQUIRE(s.size() == configs);
  std::string out = sweep_jsonl_header(s, SweepShard{k, n});
  for (std::size_t i = 0; i < configs; ++i)
    if (SweepShard{k, n}.covers(i)) out += sweep_jsonl_line(sweep_error_row(i, s, "r"));
  return out;
}

TEST_CASE("sweep --merge: shards join in configuration order; missing, doubled or foreign shards are refused") {
  const MergedSweep m = merge_sweep_shards({{"b", shard_text(2, 2, 4)}, {"a", shard_text(1, 2, 4)}});
  REQUIRE(m.rows.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) CHECK(m.rows[i]["config"] == i);
  CHECK(m.configurations == 4);

  CHECK(test::input_error_of([] { merge_sweep_shards({{"a", shard_text(1, 2, 4)}}); }) == "--merge: shard 2/2 is missing");
  CHECK(test::input_error_of([] { merge_sweep_shards({{"a", shard_text(1, 2, 4)}, {"b", shard_text(1, 2, 4)}}); }) ==
        "b: line 1: shard 1/2 is given twice");
  CHECK(test::input_error_of([] {
          merge_sweep_shards({{"a", shard_text(1, 2, 4)}, {"b", shard_text(2, 2, 4, "seq=1K,2K,3K,5K")}});
        }) == "b: line 1: is a shard of another sweep than a's");
  // A shard cut short: its last row gone.
  std::string cut = shard_text(2, 2, 4);
  cut.erase(cut.rfind('{'));
  CHECK(test::input_error_of([&] { merge_sweep_shards({{"a", shard_text(1, 2, 4)}, {"b", cut}}); }) ==
        "--merge: configuration 3 has no row (a shard cut short?)");
  // A row of another shard's configuration.
  std::string foreign = shard_text(1, 2, 4);
  foreign += shard_text(2, 2, 4).substr(shard_text(2, 2, 4).find('\n') + 1);
  CHECK(test::input_error_of([&] { merge_sweep_shards({{"a", foreign}, {"b", shard_text(2, 2, 4)}}); }) ==
        "a: line 4: configuration 1 is not one of shard 1/2's");
  // The whole sweep (not a shard) is not merge input.
  SweepSpec whole;
  whole.add_axis(parse_set_axis("seq=1K", "--set"), "--set");
  CHECK(test::input_error_of([&] { merge_sweep_shards({{"w", sweep_jsonl_header(whole, SweepShard{})}}); }) ==
        "w: line 1: has no 'shard': not the output of sweep --shard");
}

TEST_CASE("sweep --shard: K/N with 1 <= K <= N") {
  CHECK(parse_sweep_shard("3/8", "--shard").k == 3);
  CHECK(parse_sweep_shard("3/8", "--shard").n == 8);
  for (const char* bad : {"0/2", "3/2", "1/0", "1-2", "1/", "/2", "a/b", "1/2/3"}) {
    CAPTURE(bad);
    CHECK(test::input_error_of([&] { parse_sweep_shard(bad, "--shard"); }).starts_with("--shard: expected K/N"));
  }
}

}  // namespace
}  // namespace spsim::cli
