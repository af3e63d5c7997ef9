// The settings table: one validation for flags and config keys, the rules
// between settings, and where each error points.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tools/settings.h"

namespace spsim::cli {
namespace {

struct Args {
  std::uint32_t sp = 8;
  std::int64_t seq = 1024;
  std::uint32_t batch = 1;
  std::vector<std::int64_t> seqlens;
  std::optional<std::uint32_t> window;
  std::string strategy = "all", pass = "fwd+bwd", trace;
  std::vector<std::uint32_t> trace_ranks;
  double memory_limit_gb = 1;
};

// Parses `argv` as `spsim run ...` with the settings of Args bound.
struct Run {
  CLI::App app{"test"};
  CLI::App* cmd = app.add_subcommand("run", "");
  Args a;
  Settings s{*cmd, "run"};
  explicit Run(std::vector<std::string> argv) {
    s.bind("sp", a.sp).bind("seq", a.seq).bind("batch", a.batch).bind("seqlens", a.seqlens);
    s.bind("window", a.window).bind("strategy", a.strategy).bind("pass", a.pass).bind("trace", a.trace);
    s.bind("trace-ranks", a.trace_ranks).bind("memory-limit", a.memory_limit_gb);
    argv.insert(argv.begin(), "run");
    std::reverse(argv.begin(), argv.end());
    app.parse(argv);
  }
};

// One file per process: ctest runs the test cases as parallel processes
// (a shared path made "out-of-range and mistyped values" fail when another
// case rewrote the file between its write and its read).
std::string write_config(const std::string& text) {
  const auto path =
      (std::filesystem::temp_directory_path() / ("spsim_settings_test_" + std::to_string(::getpid()) + ".json")).string();
  std::ofstream(path) << text;
  return path;
}

std::string error_of(Run& r) {
  try {
    r.s.apply();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("flags and config keys store the same validated values; a flag wins over the file") {
  const std::string cfg = write_config(R"({"sp": 4, "seq": 8192, "pass": "fwd", "trace": "t.json", "trace-ranks": [0, 3]})");
  Run r({"--config", cfg, "--sp", "2"});
  r.s.apply();
  CHECK(r.a.sp == 2);
  CHECK(r.a.seq == 8192);
  CHECK(r.a.pass == "fwd");
  CHECK(r.a.trace_ranks == std::vector<std::uint32_t>{0, 3});
  CHECK(r.s.where("sp") == "--sp");
  CHECK(r.s.where("seq") == cfg + ": key 'seq'");
  CHECK(r.a.batch == 1);  // not given: the default stays
}

TEST_CASE("out-of-range and mistyped values are refused, naming the flag or the key") {
  Run flag({"--sp", "4294967300"});
  CHECK(error_of(flag) == "--sp: expected an integer in 1..65536, got '4294967300'");
  Run word({"--sp", "eight"});
  CHECK(error_of(word) == "--sp: expected an integer in 1..65536, got 'eight'");
  Run negative({"--seq", "-1"});
  CHECK(error_of(negative).starts_with("--seq: expected a token count (e.g. 512K, 2M) in 1..2147483648 tokens, got '-1'"));
  Run choice({"--pass", "backward"});
  CHECK(error_of(choice) == "--pass: expected one of: fwd, fwd+bwd, got 'backward'");
  Run real({"--memory-limit", "nan"});
  CHECK(error_of(real) == "--memory-limit: expected a number in (0, 1000000] GB, got 'nan'");

  const std::string cfg = write_config(R"({"sp": 4294967300})");
  Run key({"--config", cfg});
  CHECK(error_of(key) == cfg + ": key 'sp': expected an integer in 1..65536, got 4294967300");
  write_config(R"({"sp": 4.0})");
  Run fraction({"--config", cfg});
  CHECK(error_of(fraction) == cfg + ": key 'sp': expected an integer in 1..65536, got 4.0");
  write_config(R"({"sp": 4, "sp": 2})");
  Run twice({"--config", cfg});
  CHECK(error_of(twice) == cfg + ": key 'sp': appears twice in one object; give each key once");
  write_config(R"({"sequence": 2})");
  Run unknown({"--config", cfg});
  CHECK(error_of(unknown).starts_with(cfg + ": key 'sequence': unknown key; expected one of: batch, memory-limit, pass, seq,"));
  write_config(R"({"lengths": "x.txt"})");
  Run other({"--config", cfg});
  CHECK(error_of(other) == cfg + ": key 'lengths': is not a setting of spsim run (it is for: plan)");
  Run empty({"--config", ""});
  CHECK(error_of(empty) == "--config: expected a file path, got an empty value");
  // Text goes into JSON documents (configs, sweep rows): bytes that are not
  // UTF-8 are refused as input (found by fuzz_sweep: a --set axis over a path
  // of 0xff bytes ended as "internal error" when its row was written).
  Run bytes({"--trace", "out\xff\xfe.json"});
  CHECK(error_of(bytes) == "--trace: expected a file path, got bytes that are not UTF-8 text");
  const SettingSpec* link_params = find_setting("link-params");
  REQUIRE(link_params);
  try {
    (void)setting_json_from_text(*link_params, "\xff\xff-6", "--set link-params");
    FAIL("accepted bytes that are not UTF-8");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == "--set link-params: expected a file path, got bytes that are not UTF-8 text");
  }
  CHECK(setting_json_from_text(*link_params, "caf\xc3\xa9.json", "--set link-params") == "caf\xc3\xa9.json");
  Run dir({"--config", std::filesystem::temp_directory_path().string()});
  CHECK(error_of(dir).find("is a directory") != std::string::npos);
}

TEST_CASE("a setting that another replaces, or that has no effect alone, is refused") {
  Run both({"--seq", "64", "--seqlens", "10,20"});
  CHECK(error_of(both) == "--seqlens: replaces --seq; give one of them, not both");
  const std::string cfg = write_config(R"({"batch": 2})");
  Run mixed({"--config", cfg, "--seqlens", "10,20"});
  CHECK(error_of(mixed) == "--seqlens: replaces " + cfg + ": key 'batch'; give one of them, not both");
  Run alone({"--trace-ranks", "0,1"});
  CHECK(error_of(alone) == "--trace-ranks: has no effect without --trace or --trace-dir");
  Run traced({"--trace-ranks", "0,1", "--trace", "t.json"});
  CHECK(error_of(traced).empty());
}

TEST_CASE("a strategy's options are refused for a strategy that does not use them") {
  Run r({"--window", "4", "--strategy", "ring"});
  r.s.apply();
  CHECK_THROWS_WITH_AS(r.s.check_used_by("ring"),
                       "--window: is an option of double-ring only; strategy 'ring' does not use it", InputError);
  CHECK_NOTHROW(r.s.check_used_by("double-ring"));
  CHECK_NOTHROW(r.s.check_used_by("all"));
}

TEST_CASE("errors naming a flag are moved to the config key that gave the value") {
  const std::string cfg = write_config(R"({"sp": 16})");
  Run r({"--config", cfg});
  r.s.apply();
  const InputError moved = r.s.relocate(InputError("--sp", "must be in 1..8 (devices of h100-sxm8), got 16"));
  CHECK(std::string(moved.what()) == cfg + ": key 'sp': must be in 1..8 (devices of h100-sxm8), got 16");
  const InputError kept = r.s.relocate(InputError("--seq", "too long"));
  CHECK(std::string(kept.what()) == "--seq: too long");
}

TEST_CASE("every setting of the table is well formed") {
  for (const SettingSpec& s : setting_specs()) {
    CAPTURE(s.name);
    CHECK(!s.help.empty());
    CHECK(!s.commands.empty());
    if (s.kind == SettingKind::kInteger || s.kind == SettingKind::kIntegers || s.kind == SettingKind::kTokenCount)
      CHECK(s.min <= s.max);
    if (s.kind == SettingKind::kChoice) CHECK(!s.choices.empty());
    CHECK(find_setting(s.name) == &s);  // names are unique
  }
}

}  // namespace
}  // namespace spsim::cli
