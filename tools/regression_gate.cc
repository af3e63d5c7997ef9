#include "tools/regression_gate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "program/input_error.h"
#include "program/input_json.h"
#include "tools/csv_table.h"

namespace spsim::cli {

namespace {

using json = nlohmann::json;

constexpr GateMetric kMetrics[] = {
    {"step_time_s", true, "predicted step time (run, sweep)"},
    {"step_s", true, "a plan's step time (plan)"},
    {"peak_memory_gb", true, "max over ranks of the peak memory"},
    {"exposed_comm_s", true, "max over ranks of communication not hidden by compute"},
    {"tokens_per_s", false, "throughput"},
    {"overlap_ratio", false, "hidden share of all communication"},
    {"compute_share", false, "mean compute busy time / step time"},
};

// Settings that give the cost model's parameters, not the configuration: two
// outputs that differ only in these are the same study, compared.
constexpr const char* kParameterSettings[] = {"device-profile", "link-params", "calibration"};

// Sweep columns that are not a configuration's settings.
const std::set<std::string> kSweepResultColumns = {"config",        "strategy",       "status",        "sp_ranks",
                                                   "step_time_s",   "tokens_per_s",   "compute_share", "exposed_comm_s",
                                                   "overlap_ratio", "peak_memory_gb", "exceeds_memory", "ops",
                                                   "padding_tokens", "bottleneck",    "reason"};

[[noreturn]] void malformed(const std::string& path, const std::string& what) {
  throw InputError(path, "not a well-formed spsim output: " + what);
}

const json& field(const json& j, const char* key, const std::string& path) {
  if (!j.is_object() || !j.contains(key)) malformed(path, std::string("no key '") + key + "'");
  return j[key];
}

double number(const json& j, const char* key, const std::string& path) {
  const json& v = field(j, key, path);
  if (!v.is_number()) malformed(path, std::string("key '") + key + "' is not a number");
  return v.get<double>();
}

std::string text(const json& j, const char* key, const std::string& path) {
  const json& v = field(j, key, path);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  malformed(path, std::string("key '") + key + "' is not a string");
}

GateInput read_run(const json& j, const std::string& path) {
  GateInput in;
  in.kind = "run";
  in.study = fmt::format("{} ({} of {} layers, {}) {} on {}, network model {}", text(j, "model", path),
                         text(j, "layers", path), text(j, "model_layers", path), text(j, "scope", path),
                         text(j, "workload", path), text(j, "topology", path), text(j, "network_model", path));
  const json& arr = field(j, "strategies", path);
  if (!arr.is_array()) malformed(path, "'strategies' is not a list");
  for (const json& s : arr) {
    GateRecord r;
    r.key = text(s, "strategy", path);
    if (s.contains("skipped")) {
      r.status = "skipped";
      r.reason = text(s, "skipped", path);
      in.records.push_back(std::move(r));
      continue;
    }
    const double step = number(s, "step_time_s", path);
    r.metrics["step_time_s"] = step;
    r.metrics["tokens_per_s"] = number(s, "tokens_per_s", path);
    r.metrics["overlap_ratio"] = number(s, "overlap_ratio", path);
    const json& ranks = field(s, "ranks", path);
    if (!ranks.is_array() || ranks.empty()) malformed(path, "'ranks' is not a non-empty list");
    double peak = 0, exposed = 0, busy = 0;
    for (const json& rk : ranks) {
      peak = std::max(peak, number(rk, "peak_memory_bytes", path));
      exposed = std::max(exposed, number(rk, "exposed_comm_s", path));
      busy += number(rk, "compute_busy_s", path);
    }
    r.metrics["peak_memory_gb"] = peak / 1e9;
    r.metrics["exposed_comm_s"] = exposed;
    if (step > 0) r.metrics["compute_share"] = busy / static_cast<double>(ranks.size()) / step;
    in.records.push_back(std::move(r));
  }
  return in;
}

GateInput read_plan(const json& j, const std::string& path) {
  GateInput in;
  in.kind = "plan";
  const json& batch = field(j, "batch", path);
  in.study = fmt::format("{} {} on {} ({} devices), batch of {} tokens (max context {})", text(j, "model", path),
                         text(j, "strategy", path), text(j, "topology", path), text(j, "devices", path),
                         text(batch, "tokens", path), text(batch, "max_context", path));
  auto add = [&](const std::string& key, const json& p) {
    GateRecord r;
    r.key = key;
    r.metrics["step_s"] = number(p, "step_s", path);
    in.records.push_back(std::move(r));
  };
  add("plan", field(j, "plan", path));
  const json& b = field(j, "baselines", path);
  add("best_uniform", field(b, "best_uniform", path));
  add("static", field(b, "static", path));
  return in;
}

// A sweep row (JSON lines, or a CSV line made an object of strings).
GateRecord sweep_record(const json& row, const std::string& where) {
  GateRecord r;
  std::string settings;
  for (const auto& [k, v] : row.items())
    if (!kSweepResultColumns.count(k))
      settings += (settings.empty() ? "" : ", ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  r.key = fmt::format("config {} ({}) {}", text(row, "config", where), settings, text(row, "strategy", where));
  r.status = text(row, "status", where);
  if (row.contains("reason")) r.reason = text(row, "reason", where);
  for (const GateMetric& m : kMetrics) {
    if (!row.contains(m.name)) continue;
    const json& v = row[m.name];
    if (v.is_number()) {
      r.metrics[m.name] = v.get<double>();
    } else if (v.is_string() && !v.get<std::string>().empty()) {
      const std::string t = v.get<std::string>();
      char* end = nullptr;
      const double x = std::strtod(t.c_str(), &end);
      if (end != t.c_str() + t.size() || !std::isfinite(x)) malformed(where, std::string("column ") + m.name + " is not a number");
      r.metrics[m.name] = x;
    }
  }
  return r;
}

std::vector<std::string_view> lines_of(const std::string& text, const std::string& path) {
  std::vector<std::string_view> out;
  std::size_t begin = 0;
  while (begin < text.size()) {
    const std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) malformed(path, fmt::format("line {} is not ended by a newline (a cut file?)", out.size() + 1));
    out.push_back(std::string_view(text).substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

GateInput read_sweep_jsonl(const std::string& text, const std::string& path) {
  GateInput in;
  in.kind = "sweep";
  const std::vector<std::string_view> lines = lines_of(text, path);
  for (std::size_t k = 0; k < lines.size(); ++k) {
    const std::string where = fmt::format("{}: line {}", path, k + 1);
    const json j = parse_input_json(lines[k], where);
    if (k == 0) {
      // The cost model's parameters (device profile, link parameters,
      // calibration) are what a gate compares, not the configurations.
      json sweep = field(j, "sweep", where);
      if (sweep.is_object() && sweep.contains("base") && sweep["base"].is_object())
        for (const char* key : kParameterSettings) sweep["base"].erase(key);
      in.study = "sweep " + sweep.dump();
      continue;
    }
    in.records.push_back(sweep_record(j, where));
  }
  return in;
}

GateInput read_sweep_csv(const std::string& text, const std::string& path) {
  GateInput in;
  in.kind = "sweep";
  const CsvTable t = parse_csv_table(text, path);
  // A CSV does not record the sweep's base settings (JSON lines do): only
  // its columns identify the sweep.
  std::string columns;
  for (const std::string& c : t.columns) columns += (columns.empty() ? "" : ",") + c;
  in.study = "sweep (CSV, base settings not recorded) with columns " + columns;
  for (std::size_t k = 0; k < t.rows.size(); ++k) {
    json row = json::object();
    for (std::size_t c = 0; c < t.columns.size(); ++c)
      if (!t.rows[k][c].empty() || !kSweepResultColumns.count(t.columns[c])) row[t.columns[c]] = t.rows[k][c];
    in.records.push_back(sweep_record(row, fmt::format("{}: line {}", path, k + 2)));
  }
  return in;
}

std::string percent(double x) {
  if (std::isinf(x)) return x > 0 ? "+inf" : "-inf";
  return fmt::format("{:+.2f}%", 100 * x);
}

const char* verdict_name(GateVerdict v) {
  switch (v) {
    case GateVerdict::kWithin: return "within";
    case GateVerdict::kImproved: return "improved";
    case GateVerdict::kRegressed: return "regressed";
  }
  return "";
}

double tolerance_of(const GateOptions& o, const std::string& metric) {
  const auto it = o.per_metric.find(metric);
  return it != o.per_metric.end() ? it->second : o.tolerance;
}

}  // namespace

std::optional<GateInput> read_gate_input(const std::string& text, const std::string& path) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return std::nullopt;
  if (text.compare(first, 7, "config,") == 0) return read_sweep_csv(text.substr(first), path);
  if (text[first] != '{') return std::nullopt;
  // JSON that is not spsim's (a Kineto trace, a Timeline), or not JSON, is
  // the measured readers' to read or refuse.
  auto parsed = [&](std::string_view t) -> std::optional<json> {
    try {
      return parse_input_json(t, path);
    } catch (const InputError&) {
      return std::nullopt;
    }
  };
  // Only what names spsim's keys is parsed here: other JSON (a Kineto trace)
  // is left to its reader untouched.
  const std::string_view first_line = std::string_view(text).substr(0, text.find('\n'));
  if (first_line.find("\"spsim_sweep\"") != std::string_view::npos) {
    const auto head = parsed(first_line);
    if (head && head->is_object() && head->contains("spsim_sweep")) return read_sweep_jsonl(text, path);
  }
  if (text.find("\"strategies\"") == std::string::npos && text.find("\"baselines\"") == std::string::npos)
    return std::nullopt;
  const auto j = parsed(text);
  if (!j || !j->is_object()) return std::nullopt;
  if (j->contains("strategies") && j->contains("workload")) return read_run(*j, path);
  if (j->contains("plan") && j->contains("baselines")) return read_plan(*j, path);
  return std::nullopt;
}

const GateMetric* find_gate_metric(const std::string& name) {
  for (const GateMetric& m : kMetrics)
    if (name == m.name) return &m;
  return nullptr;
}

std::vector<std::string> default_gate_metrics() { return {"step_time_s", "step_s", "peak_memory_gb"}; }

void parse_gate_tolerance(const std::string& text, const std::string& where, GateOptions& o) {
  auto fraction = [&](std::string_view t) {
    if (t.size() < 2 || t.back() != '%')
      throw InputError(where, "expected a percentage such as 2% (or METRIC=1%), got '" + std::string(t) + "'");
    const std::string digits(t.substr(0, t.size() - 1));
    char* end = nullptr;
    const double x = std::strtod(digits.c_str(), &end);
    if (end != digits.c_str() + digits.size() || !std::isfinite(x) || x < 0 || x > 1e6)
      throw InputError(where, "expected a percentage in 0..1000000%, got '" + std::string(t) + "'");
    return x / 100;
  };
  std::string_view rest(text);
  if (rest.empty()) throw InputError(where, "expected a percentage such as 2%, got an empty value");
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      o.tolerance = fraction(item);
    } else {
      const std::string name(item.substr(0, eq));
      if (!find_gate_metric(name)) throw InputError(where, "unknown metric '" + name + "' (spsim compare --help lists them)");
      o.per_metric[name] = fraction(item.substr(eq + 1));
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
}

std::vector<std::string> parse_gate_metrics(const std::string& text, const std::string& where) {
  std::vector<std::string> out;
  std::string_view rest(text);
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string name(rest.substr(0, comma));
    if (!find_gate_metric(name)) {
      std::string known;
      for (const GateMetric& m : kMetrics) known += (known.empty() ? "" : ", ") + std::string(m.name);
      throw InputError(where, "unknown metric '" + name + "'; expected some of: " + known);
    }
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

GateReport compare_gate_inputs(const GateInput& base, const std::string& base_path, const GateInput& cur,
                               const std::string& cur_path, const GateOptions& o) {
  const std::string both = base_path + " and " + cur_path;
  if (base.kind != cur.kind)
    throw InputError(both, "are the outputs of different commands (" + base.kind + ", " + cur.kind + ")");
  if (base.study != cur.study)
    throw InputError(both, "describe different studies: '" + base.study + "' and '" + cur.study + "'");
  auto index = [](const GateInput& in, const std::string& path) {
    std::map<std::string, const GateRecord*> m;
    for (const GateRecord& r : in.records)
      if (!m.emplace(r.key, &r).second) throw InputError(path, "configuration '" + r.key + "' appears twice");
    return m;
  };
  const auto bi = index(base, base_path);
  const auto ci = index(cur, cur_path);
  std::string only_base, only_cur;
  for (const auto& [k, r] : bi)
    if (!ci.count(k)) only_base += (only_base.empty() ? "" : "; ") + k;
  for (const auto& [k, r] : ci)
    if (!bi.count(k)) only_cur += (only_cur.empty() ? "" : "; ") + k;
  if (!only_base.empty() || !only_cur.empty())
    throw InputError(both, "have different configurations: only in " + base_path + ": " +
                               (only_base.empty() ? "none" : only_base) + "; only in " + cur_path + ": " +
                               (only_cur.empty() ? "none" : only_cur));

  const std::vector<std::string> metrics = o.metrics.empty() ? default_gate_metrics() : o.metrics;
  GateReport rep;
  rep.study = base.study;
  rep.kind = base.kind;
  rep.records = base.records.size();
  std::set<std::string> seen;
  for (const GateRecord& b : base.records) {
    const GateRecord& c = *ci.at(b.key);
    if (b.status == "ok" && c.status != "ok") {
      rep.lost.push_back(b.key + ": " + c.status + (c.reason.empty() ? "" : ": " + c.reason));
      continue;
    }
    if (b.status != "ok" && c.status == "ok") rep.recovered.push_back(b.key);
    if (b.status != "ok" || c.status != "ok") continue;
    for (const std::string& name : metrics) {
      const auto bm = b.metrics.find(name);
      const auto cm = c.metrics.find(name);
      if (bm == b.metrics.end() && cm == c.metrics.end()) continue;
      if (bm == b.metrics.end() || cm == c.metrics.end())
        throw InputError(bm == b.metrics.end() ? base_path : cur_path,
                         "configuration '" + b.key + "' has no " + name);
      seen.insert(name);
      GateDelta d;
      d.key = b.key;
      d.metric = name;
      d.baseline = bm->second;
      d.current = cm->second;
      d.tolerance = tolerance_of(o, name);
      const double diff = d.current - d.baseline;
      d.change = diff == 0 ? 0.0
                 : d.baseline != 0 ? diff / std::abs(d.baseline)
                                   : std::copysign(std::numeric_limits<double>::infinity(), diff);
      const bool worse = find_gate_metric(name)->lower_is_better ? d.change > 0 : d.change < 0;
      if (std::abs(d.change) > d.tolerance) d.verdict = worse ? GateVerdict::kRegressed : GateVerdict::kImproved;
      rep.regressed += d.verdict == GateVerdict::kRegressed;
      rep.improved += d.verdict == GateVerdict::kImproved;
      rep.deltas.push_back(d);
    }
  }
  for (const std::string& name : metrics)
    if (!o.metrics.empty() && !seen.count(name) && rep.lost.size() < rep.records)
      throw InputError("--metrics", "'" + name + "' is in no configuration of " + both + " that ran");
  return rep;
}

std::string gate_report_text(const GateReport& r, const std::string& base_path, const std::string& cur_path,
                             const GateOptions& o) {
  std::string out = fmt::format("compare: {} (baseline) vs {} (current), {} outputs\nstudy: {}\n", base_path,
                                cur_path, r.kind, r.study.size() > 300 ? r.study.substr(0, 300) + "..." : r.study);
  std::string tol = fmt::format("{:g}%", 100 * o.tolerance);
  for (const auto& [m, t] : o.per_metric) tol += fmt::format(", {} {:g}%", m, 100 * t);
  out += "tolerance: " + tol + "\n";
  // Small outputs list every value; large ones what moved beyond its tolerance.
  constexpr std::size_t kListAll = 60;
  const bool all = r.deltas.size() <= kListAll;
  std::size_t width = 13;
  for (const GateDelta& d : r.deltas)
    if (all || d.verdict != GateVerdict::kWithin) width = std::max(width, d.key.size());
  out += fmt::format("{:<{}}  {:<15} {:>14} {:>14} {:>9}  {}\n", "configuration", width, "metric", "baseline",
                     "current", "change", "verdict");
  std::size_t hidden = 0;
  for (const GateDelta& d : r.deltas) {
    if (!all && d.verdict == GateVerdict::kWithin) {
      ++hidden;
      continue;
    }
    out += fmt::format("{:<{}}  {:<15} {:>14.6g} {:>14.6g} {:>9}  {}{}\n", d.key, width, d.metric, d.baseline,
                       d.current, percent(d.change), verdict_name(d.verdict),
                       d.verdict == GateVerdict::kRegressed ? fmt::format(" (tolerance {:g}%)", 100 * d.tolerance) : "");
  }
  if (hidden) out += fmt::format("({} values within tolerance not listed; --json has every one)\n", hidden);
  for (const std::string& l : r.lost) out += "no longer runs: " + l + "\n";
  for (const std::string& k : r.recovered) out += "runs now (did not in the baseline): " + k + "\n";
  out += fmt::format("result: {} configurations, {} values compared: {} regressed, {} improved, {} within tolerance; "
                     "{} no longer run -> {}\n",
                     r.records, r.deltas.size(), r.regressed, r.improved, r.deltas.size() - r.regressed - r.improved,
                     r.lost.size(), r.passed() ? "pass (exit 0)" : "REGRESSION (exit 1)");
  return out;
}

std::string gate_report_json(const GateReport& r, const GateOptions& o) {
  nlohmann::ordered_json j;
  j["kind"] = r.kind;
  j["study"] = r.study;
  j["tolerance"] = o.tolerance;
  nlohmann::ordered_json per = nlohmann::ordered_json::object();
  for (const auto& [m, t] : o.per_metric) per[m] = t;
  j["tolerance_per_metric"] = per;
  j["passed"] = r.passed();
  j["regressed"] = r.regressed;
  j["improved"] = r.improved;
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const GateDelta& d : r.deltas) {
    nlohmann::ordered_json x;
    x["configuration"] = d.key;
    x["metric"] = d.metric;
    x["baseline"] = d.baseline;
    x["current"] = d.current;
    x["change"] = std::isinf(d.change) ? nlohmann::ordered_json(d.change > 0 ? "+inf" : "-inf")
                                       : nlohmann::ordered_json(d.change);
    x["tolerance"] = d.tolerance;
    x["verdict"] = verdict_name(d.verdict);
    arr.push_back(std::move(x));
  }
  j["values"] = std::move(arr);
  j["no_longer_run"] = r.lost;
  j["runs_now"] = r.recovered;
  return j.dump(2) + "\n";
}

}  // namespace spsim::cli
