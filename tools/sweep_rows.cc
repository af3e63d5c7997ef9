#include "tools/sweep_rows.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "program/input_error.h"
#include "program/input_json.h"
#include "tools/stream_study.h"

namespace spsim::cli {

namespace {

using ojson = nlohmann::ordered_json;

constexpr const char* kMetricColumns[] = {"strategy",      "status",         "sp_ranks",     "step_time_s",
                                          "tokens_per_s",  "compute_share",  "exposed_comm_s", "overlap_ratio",
                                          "peak_memory_gb", "exceeds_memory", "ops",          "padding_tokens",
                                          "bottleneck",    "reason"};

constexpr int kFormatVersion = 1;

// The row's "config" and axis values (strategy, or policy, is the row's own column).
SweepRow row_start(std::size_t config, const SweepSpec& spec) {
  SweepRow row;
  row["config"] = config;
  const std::vector<std::string> names = spec.names();
  const std::vector<ojson> values = spec.point(config);
  for (std::size_t k = 0; k < names.size(); ++k)
    if (names[k] != sweep_variant_column(spec.command)) row[names[k]] = values[k];
  return row;
}

std::string command_of(const ojson& sweep) {
  return sweep.is_object() && sweep.contains("command") && sweep["command"].is_string()
             ? sweep["command"].get<std::string>()
             : "run";
}

std::string header_line(const ojson& sweep, std::size_t configurations, const std::optional<std::string>& shard) {
  ojson h;
  h["spsim_sweep"] = kFormatVersion;
  h["sweep"] = sweep;
  h["configurations"] = configurations;
  if (shard) h["shard"] = *shard;
  return h.dump() + "\n";
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// A cell's text: strings as they are, a list of numbers as its flag takes it
// ("100,200": a single length reads as a number), anything else as JSON.
std::string csv_text(const ojson& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array() && !v.empty() && std::all_of(v.begin(), v.end(), [](const ojson& x) { return x.is_number(); })) {
    std::string out;
    for (const ojson& x : v) out += (out.empty() ? "" : ",") + x.dump();
    return out;
  }
  return v.dump();
}

std::vector<std::string> axis_names_of(const ojson& sweep, const std::string& where) {
  std::vector<std::string> names;
  if (!sweep.is_object() || !sweep.contains("axes") || !sweep["axes"].is_array())
    throw InputError(where, "the header's 'sweep' has no list 'axes'");
  for (const ojson& axis : sweep["axes"]) {
    if (!axis.is_object() || !axis.contains("names") || !axis["names"].is_array())
      throw InputError(where, "an axis of the header has no list 'names'");
    for (const ojson& n : axis["names"]) {
      if (!n.is_string()) throw InputError(where, "an axis name of the header is not a string");
      names.push_back(n.get<std::string>());
    }
  }
  return names;
}

}  // namespace

SweepShard parse_sweep_shard(const std::string& text, const std::string& where) {
  const auto slash = text.find('/');
  SweepShard s;
  auto number = [&](std::string_view t, std::size_t& out) {
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
    return !t.empty() && ec == std::errc{} && end == t.data() + t.size();
  };
  const std::string_view t(text);
  if (slash == std::string::npos || !number(t.substr(0, slash), s.k) || !number(t.substr(slash + 1), s.n) ||
      s.n < 1 || s.n > kMaxSweepConfigurations || s.k < 1 || s.k > s.n)
    throw InputError(where, "expected K/N with 1 <= K <= N <= " + std::to_string(kMaxSweepConfigurations) +
                                " (e.g. 2/8), got '" + text + "'");
  return s;
}

std::vector<std::string> sweep_columns(const std::vector<std::string>& axis_names, std::string_view command) {
  std::vector<std::string> out{"config"};
  for (const std::string& n : axis_names)
    if (n != sweep_variant_column(command)) out.push_back(n);
  if (command == "stream") {
    for (const std::string& c : stream_sweep_metric_columns()) out.push_back(c);
  } else {
    for (const char* c : kMetricColumns) out.emplace_back(c);
  }
  return out;
}

std::vector<SweepRow> sweep_stream_rows(std::size_t config, const SweepSpec& spec, const StreamStudy& study) {
  return stream_sweep_rows(row_start(config, spec), study);
}

std::vector<SweepRow> sweep_result_rows(std::size_t config, const SweepSpec& spec, const StudyResult& r) {
  std::vector<SweepRow> rows;
  for (const StrategyOutcome& o : r.outcomes) {
    SweepRow row = row_start(config, spec);
    row["strategy"] = o.strategy;
    if (o.skipped) {
      row["status"] = "skipped";
      row["reason"] = *o.skipped;
      rows.push_back(std::move(row));
      continue;
    }
    const OutcomeSummary sum = summarize_outcome(o);
    row["status"] = "ok";
    row["sp_ranks"] = r.sp;
    row["step_time_s"] = o.metrics.step_time_s;
    row["tokens_per_s"] = o.tokens_per_s;
    row["compute_share"] = sum.compute_share;
    row["exposed_comm_s"] = sum.exposed_comm_s;
    row["overlap_ratio"] = o.metrics.overlap_ratio;
    row["peak_memory_gb"] = sum.peak_memory_bytes / 1e9;
    row["exceeds_memory"] = sum.exceeds_capacity;
    row["ops"] = o.ops;
    row["padding_tokens"] = o.padding_tokens;
    row["bottleneck"] = sum.critical_top;
    rows.push_back(std::move(row));
  }
  return rows;
}

SweepRow sweep_error_row(std::size_t config, const SweepSpec& spec, const std::string& reason) {
  SweepRow row = row_start(config, spec);
  const ojson doc = spec.config(config);
  const std::string variant(sweep_variant_column(spec.command));
  row[variant] = doc.contains(variant) && doc[variant].is_string() ? doc[variant].get<std::string>() : "all";
  row["status"] = "error";
  row["reason"] = reason;
  return row;
}

std::string sweep_csv_header(const std::vector<std::string>& columns) {
  std::string out;
  for (std::size_t k = 0; k < columns.size(); ++k) out += (k ? "," : "") + csv_field(columns[k]);
  return out + "\n";
}

std::string sweep_csv_line(const SweepRow& row, const std::vector<std::string>& columns) {
  std::string out;
  for (std::size_t k = 0; k < columns.size(); ++k) {
    if (k) out += ',';
    if (!row.contains(columns[k])) continue;
    const ojson& v = row[columns[k]];
    out += csv_field(csv_text(v));
  }
  return out + "\n";
}

std::string sweep_jsonl_header(const SweepSpec& spec, const SweepShard& shard) {
  std::optional<std::string> s;
  if (shard.n > 1) s = fmt::format("{}/{}", shard.k, shard.n);
  return header_line(spec.describe(), spec.size(), s);
}

std::string sweep_jsonl_line(const SweepRow& row) { return row.dump() + "\n"; }

std::string merged_jsonl_header(const MergedSweep& m) { return header_line(m.sweep, m.configurations, std::nullopt); }

MergedSweep merge_sweep_shards(const std::vector<std::pair<std::string, std::string>>& files) {
  if (files.empty()) throw InputError("--merge", "expected the JSON lines files of a sweep's shards");
  MergedSweep m;
  std::optional<std::size_t> shards;
  std::vector<bool> shard_seen;
  std::vector<std::vector<SweepRow>> by_config;
  for (const auto& [path, text] : files) {
    std::size_t line_no = 0, begin = 0;
    std::optional<SweepShard> shard;
    std::optional<std::size_t> last_config;
    while (begin < text.size()) {
      std::size_t end = text.find('\n', begin);
      if (end == std::string::npos) throw InputError(path, fmt::format("line {}: not ended by a newline (a cut file?)", line_no + 1));
      const std::string where = fmt::format("{}: line {}", path, ++line_no);
      // Checked by the common reader first (duplicate keys, depth, numbers).
      (void)parse_input_json(std::string_view(text).substr(begin, end - begin), where);
      const ojson j = ojson::parse(text.substr(begin, end - begin));
      begin = end + 1;
      if (!j.is_object()) throw InputError(where, "expected a JSON object");
      if (line_no == 1) {
        if (!j.contains("spsim_sweep") || j["spsim_sweep"] != kFormatVersion || !j.contains("sweep") ||
            !j.contains("configurations") || !j["configurations"].is_number_unsigned())
          throw InputError(where, "expected the header of spsim sweep's JSON lines (spsim_sweep 1)");
        if (!j.contains("shard") || !j["shard"].is_string())
          throw InputError(where, "has no 'shard': not the output of sweep --shard");
        shard = parse_sweep_shard(j["shard"].get<std::string>(), where + ": key 'shard'");
        const std::size_t n = j["configurations"].get<std::size_t>();
        if (n > kMaxSweepConfigurations)
          throw InputError(where, fmt::format("more than {} configurations", kMaxSweepConfigurations));
        if (!shards) {
          m.sweep = j["sweep"];
          m.configurations = n;
          const std::string command = command_of(m.sweep);
          if (command != "run" && command != "stream")
            throw InputError(where, "the header's sweep has command '" + command + "'; expected run or stream");
          m.columns = sweep_columns(axis_names_of(m.sweep, where), command);
          shards = shard->n;
          shard_seen.assign(shard->n + 1, false);
          by_config.resize(n);
        } else if (j["sweep"] != m.sweep || n != m.configurations || shard->n != *shards) {
          throw InputError(where, "is a shard of another sweep than " + files.front().first + "'s");
        }
        if (shard_seen[shard->k]) throw InputError(where, fmt::format("shard {}/{} is given twice", shard->k, shard->n));
        shard_seen[shard->k] = true;
        continue;
      }
      if (!j.contains("config") || !j["config"].is_number_unsigned() || j["config"].get<std::size_t>() >= m.configurations)
        throw InputError(where, fmt::format("expected a row with 'config' in 0..{}", m.configurations - 1));
      const std::size_t c = j["config"].get<std::size_t>();
      if (!shard->covers(c))
        throw InputError(where, fmt::format("configuration {} is not one of shard {}/{}'s", c, shard->k, shard->n));
      if (last_config && c < *last_config) throw InputError(where, "rows out of configuration order");
      for (const auto& [key, value] : j.items())
        if (std::find(m.columns.begin(), m.columns.end(), key) == m.columns.end())
          throw InputError(where, "key '" + key + "' is not a column of this sweep");
      last_config = c;
      by_config[c].push_back(j);
    }
    if (!shard) throw InputError(path, "is empty; expected the JSON lines of a sweep shard");
  }
  for (std::size_t k = 1; k <= *shards; ++k)
    if (!shard_seen[k]) throw InputError("--merge", fmt::format("shard {}/{} is missing", k, *shards));
  for (std::size_t c = 0; c < by_config.size(); ++c) {
    if (by_config[c].empty()) throw InputError("--merge", fmt::format("configuration {} has no row (a shard cut short?)", c));
    for (SweepRow& row : by_config[c]) m.rows.push_back(std::move(row));
  }
  return m;
}

}  // namespace spsim::cli
