#pragma once
// The rows of `spsim sweep`: one per configuration and strategy (a
// configuration of strategy 'all' gives one row per strategy), each the
// configuration's axis values and the strategy's metrics, or the reason it
// has none. Written as CSV (a header row of column names, then the rows) and
// as JSON lines (a header object describing the sweep, then one object per
// row). The same rows give the same bytes: numbers are printed shortest
// round-trip, in both formats the same text.
//
// Columns: config (the configuration's index), the axes' settings (but
// strategy), then strategy, status ("ok", "skipped": the strategy cannot run
// this configuration; "error": the configuration itself is refused), the
// metrics (sp_ranks, step_time_s, tokens_per_s, compute_share,
// exposed_comm_s, overlap_ratio, peak_memory_gb, exceeds_memory, ops,
// padding_tokens, bottleneck) and reason. Metrics are empty (CSV) or absent
// (JSON) when the status is not "ok". A sweep of spsim stream (--command
// stream) has a row per configuration and policy instead: policy, status,
// its metrics (tools/stream_study.h, stream_sweep_metric_columns) and reason.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tools/stream_study.h"
#include "tools/study.h"
#include "tools/sweep_spec.h"

namespace spsim::cli {

using SweepRow = nlohmann::ordered_json;

// Which share of the configurations a run covers: configurations k-1,
// k-1+n, ... (1 <= k <= n); {1, 1}: all of them.
struct SweepShard {
  std::size_t k = 1, n = 1;
  bool covers(std::size_t config) const { return config % n == k - 1; }
};
// "K/N"; InputError(where, ...) for anything else.
SweepShard parse_sweep_shard(const std::string& text, const std::string& where);

// The column names of a sweep of `command` ("run", "stream") over `axis_names`.
std::vector<std::string> sweep_columns(const std::vector<std::string>& axis_names, std::string_view command = "run");

// The rows of configuration `config` whose study gave `result`.
std::vector<SweepRow> sweep_result_rows(std::size_t config, const SweepSpec& spec, const StudyResult& result);
// The rows of configuration `config` of a stream sweep (one per policy).
std::vector<SweepRow> sweep_stream_rows(std::size_t config, const SweepSpec& spec, const StreamStudy& study);
// The row of a configuration the study refused (`reason`: the one-line error).
SweepRow sweep_error_row(std::size_t config, const SweepSpec& spec, const std::string& reason);

// The CSV header line and one row's line (fields quoted where they hold a
// comma, a quote or a line break).
std::string sweep_csv_header(const std::vector<std::string>& columns);
std::string sweep_csv_line(const SweepRow& row, const std::vector<std::string>& columns);

// The JSON lines header: {"spsim_sweep":1,"sweep":...,"configurations":N[,"shard":"k/n"]}.
std::string sweep_jsonl_header(const SweepSpec& spec, const SweepShard& shard);
std::string sweep_jsonl_line(const SweepRow& row);

// Shard files joined: their rows in configuration order, checked to be the
// shards 1..n of one sweep, each once, with every configuration present.
struct MergedSweep {
  nlohmann::ordered_json sweep;  // the header's "sweep"
  std::size_t configurations = 0;
  std::vector<std::string> columns;
  std::vector<SweepRow> rows;
};
// `files`: (path, text) of each shard's JSON lines. InputError naming the
// file (and line) that does not fit.
MergedSweep merge_sweep_shards(const std::vector<std::pair<std::string, std::string>>& files);
// The JSON lines header of a merged sweep (no shard): the bytes a single run writes.
std::string merged_jsonl_header(const MergedSweep& merged);

}  // namespace spsim::cli
