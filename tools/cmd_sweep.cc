// `spsim sweep`: a grid of what-if studies — the cartesian product of axes
// over `spsim run`'s settings (or, with --command stream, `spsim stream`'s),
// run on several threads, one row per configuration and strategy (policy)
// (tools/sweep_rows.h), in the same order and bytes whatever the number of
// threads; shards of it for several machines, and their merge.
#include <atomic>
#include <exception>
#include <fmt/format.h>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "program/input_error.h"
#include "program/input_file.h"
#include "program/memory_limit.h"
#include "tools/cli_common.h"
#include "tools/output_file.h"
#include "tools/progress.h"
#include "tools/run_settings.h"
#include "tools/study.h"
#include "tools/sweep_mpi.h"
#include "tools/sweep_rows.h"
#include "tools/sweep_spec.h"

namespace spsim::cli {

namespace {

struct SweepArgs {
  std::string file;               // the sweep JSON file (positional)
  std::vector<std::string> sets;  // --set NAME=V1,V2
  std::vector<std::string> merge; // --merge SHARD.jsonl...
  StudyConfig base;               // bound to the study settings (validation; the base is what was given)
  StreamConfig stream_base;       // the same for spsim stream's own settings
  std::string command = "run";
  double memory_limit_gb = 0;
  std::uint32_t jobs = 1;
  std::string shard, csv, jsonl;
  bool progress = false;
};

// The sweep's own settings: how it runs and where it writes (not a study's).
bool sweep_own_setting(const std::string& name) {
  for (const char* own : {"jobs", "shard", "csv", "jsonl", "progress", "memory-limit", "command"})
    if (name == own) return true;
  return false;
}

SweepSpec read_spec(const SweepArgs& a, const Settings& s) {
  SweepSpec spec;
  spec.command = a.command;
  if (!a.file.empty())
    spec = parse_sweep_file(read_input_file(a.file, "sweep JSON file"), a.file, s.given("command") ? a.command : "");
  // The settings given (flags, --config) join the file's base and win over it.
  const nlohmann::ordered_json given = s.given_json();
  for (const auto& [key, value] : given.items()) {
    if (sweep_own_setting(key)) continue;
    if (!sweepable_setting(key, spec.command))
      throw InputError(s.where(key), "is not a setting of spsim " + spec.command +
                                         (spec.command == "run" ? " (a stream sweep needs --command stream)" : ""));
    nlohmann::ordered_json kept = nlohmann::ordered_json::object();
    for (const auto& [bkey, bvalue] : spec.base.items())
      if (bkey != key && !settings_exclusive(bkey, key)) kept[bkey] = bvalue;
    kept[key] = value;
    spec.base = std::move(kept);
  }
  for (const std::string& text : a.sets)
    spec.add_axis(parse_set_axis(text, "--set", spec.command), "--set " + text);
  for (const std::string& name : spec.names())
    for (const auto& [key, value] : spec.base.items()) {
      if (key == name || settings_exclusive(key, name))
        throw InputError(s.given(key) ? s.where(key) : a.file + ": key 'base': key '" + key + "'",
                         "the sweep's axis '" + name + "' sets it; give it once, as a base setting or as an axis");
    }
  return spec;
}

// The rows of one configuration: its study's, or the error row.
std::vector<SweepRow> run_configuration(const SweepSpec& spec, std::size_t i, double memory_limit_bytes) {
  try {
    if (spec.command == "stream") {
      StreamConfig c = stream_config_from_json(spec.config(i).dump(), fmt::format("configuration {}", i));
      c.progress = ProgressMode::kOff;
      return sweep_stream_rows(i, spec, run_stream_study(c));
    }
    StudyConfig c = study_config_from_json(spec.config(i).dump(), fmt::format("configuration {}", i));
    c.memory_limit_bytes = memory_limit_bytes;
    c.progress = ProgressMode::kOff;  // the sweep reports for all its studies
    c.keep_refusals = true;
    return sweep_result_rows(i, spec, run_study(c));
  } catch (const InputError& e) {
    // "--sp: ..." names the setting, here an axis or base key: "sp: ...".
    const std::string& w = e.where();
    return {sweep_error_row(i, spec, (w.starts_with("--") ? w.substr(2) : w) + ": " + e.expected())};
  }
}

// Runs the configurations `configs` on `jobs` threads; rows in configs' order.
std::vector<SweepRow> run_all(const SweepSpec& spec, const std::vector<std::size_t>& configs, std::uint32_t jobs,
                              double memory_limit_bytes, bool progress_forced) {
  std::vector<std::vector<SweepRow>> rows(configs.size());
  Progress progress("spsim sweep", "configurations", configs.size(),
                    progress_forced ? ProgressMode::kAlways : ProgressMode::kTerminal);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&]() {
    while (!failed) {
      const std::size_t k = next++;
      if (k >= configs.size()) return;
      try {
        rows[k] = run_configuration(spec, configs[k], memory_limit_bytes);
      } catch (...) {  // not the input's fault: stop, and report it as the command's error
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        failed = true;
        return;
      }
      progress.tick();
    }
  };
  const std::size_t threads = std::min<std::size_t>(jobs, std::max<std::size_t>(configs.size(), 1));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  std::vector<SweepRow> out;
  for (auto& r : rows)
    for (SweepRow& row : r) out.push_back(std::move(row));
  return out;
}

void write_outputs(const SweepArgs& a, const std::vector<std::string>& columns, const std::string& jsonl_header,
                   const std::vector<SweepRow>& rows, std::size_t configurations) {
  std::string csv = sweep_csv_header(columns), jsonl = jsonl_header;
  std::size_t ok = 0, skipped = 0, errors = 0;
  for (const SweepRow& row : rows) {
    csv += sweep_csv_line(row, columns);
    jsonl += sweep_jsonl_line(row);
    const std::string status = row["status"].get<std::string>();
    (status == "ok" ? ok : status == "skipped" ? skipped : errors) += 1;
  }
  if (a.csv.empty() && a.jsonl.empty()) {
    std::cout << csv;
    return;
  }
  if (!a.csv.empty()) write_output_file("--csv", a.csv, csv);
  if (!a.jsonl.empty()) write_output_file("--jsonl", a.jsonl, jsonl);
  std::cout << fmt::format("{} configurations, {} rows: {} ok, {} skipped (the strategy cannot run the "
                           "configuration), {} refused configurations\n",
                           configurations, rows.size(), ok, skipped, errors);
  if (!a.csv.empty()) std::cout << "CSV written to " << a.csv << "\n";
  if (!a.jsonl.empty()) std::cout << "JSON lines written to " << a.jsonl << "\n";
}

int run_merge(const SweepArgs& a, const Settings& s) {
  const nlohmann::ordered_json given = s.given_json();
  for (const auto& [key, value] : given.items())
    if (key != "csv" && key != "jsonl")
      throw InputError(s.where(key), "--merge joins finished shards; it takes --csv and --jsonl only");
  if (!a.file.empty() || !a.sets.empty())
    throw InputError("--merge", "joins finished shards; give no sweep file or --set");
  std::vector<std::pair<std::string, std::string>> files;
  for (const std::string& path : a.merge) files.emplace_back(path, read_input_file(path, "sweep JSON lines file"));
  const MergedSweep m = merge_sweep_shards(files);
  write_outputs(a, m.columns, merged_jsonl_header(m), m.rows, m.configurations);
  return kExitOk;
}

// Under mpirun with N > 1 ranks: rank r runs shard r+1/N, its JSON lines
// are gathered on rank 0 and joined as --merge joins shards (the same checks,
// the bytes of one process); the other ranks get nothing (and write nothing).
std::optional<MergedSweep> run_mpi_share(const MpiJob& job, const SweepSpec& spec, std::uint32_t jobs, double limit,
                                         bool progress) {
  const SweepShard shard{static_cast<std::size_t>(job.rank()) + 1, static_cast<std::size_t>(job.size())};
  std::vector<std::size_t> configs;
  for (std::size_t i = 0; i < spec.size(); ++i)
    if (shard.covers(i)) configs.push_back(i);
  std::string mine = sweep_jsonl_header(spec, shard);
  for (const SweepRow& row : run_all(spec, configs, jobs, limit, progress && job.rank() == 0))
    mine += sweep_jsonl_line(row);
  const std::vector<std::string> texts = job.gather(mine);
  if (job.rank() != 0) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> shards;
  for (std::size_t r = 0; r < texts.size(); ++r) shards.emplace_back("MPI rank " + std::to_string(r), texts[r]);
  return merge_sweep_shards(shards);
}

int run_sweep(SweepArgs& a, Settings& s) {
  s.apply();
  if (!a.merge.empty()) return run_merge(a, s);
  const SweepSpec spec = read_spec(a, s);
  // Each configuration's host-memory limit: --memory-limit, or this machine's
  // share per core of the default, whatever --jobs (or the ranks) are, so rows do not depend on them.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const double limit = s.given("memory-limit") ? a.memory_limit_gb * 1e9 : default_memory_limit_bytes() / cores;
  if (launched_by_mpi()) {
    if (s.given("shard"))
      throw InputError(s.where("shard"), "mpirun splits the sweep over its ranks already; give --shard or mpirun");
    const MpiJob job;
    // Threads per rank: --jobs, or this node's cores shared among its ranks.
    const std::uint32_t jobs = s.given("jobs") ? a.jobs : std::max(1u, cores / mpi_local_ranks());
    if (job.size() > 1) {
      if (const auto m = run_mpi_share(job, spec, jobs, limit, a.progress))
        write_outputs(a, m->columns, merged_jsonl_header(*m), m->rows, m->configurations);
      return kExitOk;
    }
  }  // one rank: the sweep runs as without mpirun
  SweepShard shard;
  if (s.given("shard")) {
    shard = parse_sweep_shard(a.shard, s.where("shard"));
    if (a.jsonl.empty()) throw InputError(s.where("shard"), "a shard's rows are joined from JSON lines: give --jsonl");
  }
  std::vector<std::size_t> configs;
  for (std::size_t i = 0; i < spec.size(); ++i)
    if (shard.covers(i)) configs.push_back(i);
  const std::uint32_t jobs = s.given("jobs") ? a.jobs : cores;
  const std::vector<SweepRow> rows = run_all(spec, configs, jobs, limit, a.progress);
  write_outputs(a, sweep_columns(spec.names(), spec.command), sweep_jsonl_header(spec, shard), rows, configs.size());
  return kExitOk;
}

}  // namespace

CommandAction add_sweep_command(CLI::App& app) {
  auto a = std::make_shared<SweepArgs>();
  a->memory_limit_gb = a->base.memory_limit_bytes / 1e9;
  auto* cmd = app.add_subcommand(
      "sweep",
      "Run a grid of studies: every combination of the --set axes (and a sweep file's), one row per configuration "
      "and strategy, as CSV or JSON lines");
  cmd->add_option("file", a->file,
                  "a sweep JSON file: {\"base\": {settings}, \"grid\": {\"name\": [values]}, \"zip\": {\"name\": "
                  "[values], ...}} (docs/sweeps.md)");
  cmd->add_option("--set", a->sets,
                  "NAME=V1,V2,...: an axis over the run (or stream) setting NAME (repeat for more axes; the last "
                  "varies fastest); a list setting separates its points with ';'")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--merge", a->merge, "join these shards' JSON lines (sweep --shard K/N --jsonl) into one sweep's rows")
      ->expected(1, 1 << 20);
  auto s = std::make_shared<Settings>(*cmd, "sweep");
  bind_study_settings(*s, a->base);
  s->bind("network", a->base.network).bind("zero-stage", a->base.zero_stage);
  s->bind("exact-depth", a->base.exact_depth);
  s->bind("device-profile", a->base.device_profile).bind("link-params", a->base.link_params);
  s->bind("calibration", a->base.calibration).bind("memory-limit", a->memory_limit_gb);
  s->bind("jobs", a->jobs).bind("shard", a->shard).bind("csv", a->csv).bind("jsonl", a->jsonl);
  s->bind("progress", a->progress).bind("command", a->command);
  // spsim stream's settings that spsim run does not share.
  StreamConfig& st = a->stream_base;
  s->bind("device", st.device).bind("policy", st.policy).bind("src-len", st.src_len).bind("src-lens", st.src_lens);
  s->bind("tgt-ratio", st.tgt_ratio).bind("rate", st.rate).bind("k", st.k).bind("iterations", st.iterations);
  s->bind("waitk-encoder", st.waitk_encoder).bind("kernels", st.kernels);
  return [a, s]() {
    try {
      return run_sweep(*a, *s);
    } catch (const InputError& e) {
      throw s->relocate(e);
    }
  };
}

}  // namespace spsim::cli
