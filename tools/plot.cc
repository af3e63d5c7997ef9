#include "tools/plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "program/input_error.h"

namespace spsim::cli {

namespace {

// A gnuplot single-quoted string (a quote inside is doubled).
std::string gp_string(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\n' || c == '\r') continue;
    out += c == '\'' ? std::string("''") : std::string(1, c);
  }
  return out + "'";
}

std::optional<double> number_of(const std::string& t) {
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  const double x = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || !std::isfinite(x)) return std::nullopt;
  return x;
}

std::string ext_of(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? "" : path.substr(dot + 1);
}

// The terminal and output lines: SVG or PNG by the file's extension.
std::string header(const PlotOptions& o) {
  const std::string ext = ext_of(o.out);
  std::string term;
  if (ext == "svg")
    term = "set terminal svg size 960,600 dynamic noenhanced font 'Helvetica,14' background rgb 'white'";
  else if (ext == "png")
    term = "set terminal pngcairo size 1280,800 noenhanced font 'Helvetica,14' background rgb 'white'";
  else
    throw InputError("--out", "expected a file ending in .svg or .png, got '" + o.out + "'");
  // Lines: the Okabe-Ito colour-blind-safe colours, distinct point types.
  std::string lines;
  const char* colours[] = {"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#999999"};
  for (int k = 0; k < 8; ++k)
    lines += fmt::format("set linetype {} lc rgb '{}' lw 2 pt {}\n", k + 1, colours[k], k + 1);
  lines += "set linetype cycle 8\n";
  return "# written by spsim plot\n" + term + "\nset output " + gp_string(o.out) +
         "\nset grid lc rgb '#d0d0d0'\nset border lc rgb '#404040'\n" + lines;
}

const std::string& column(const CsvTable& t, const std::vector<std::string>& row, const std::string& name) {
  return row[*t.find(name)];
}

std::size_t need_column(const CsvTable& t, const std::string& name, const std::string& flag, const std::string& path) {
  if (const auto k = t.find(name)) return *k;
  std::string names;
  for (const std::string& c : t.columns) names += (names.empty() ? "" : ", ") + c;
  throw InputError(flag, "no column '" + name + "' in " + path + "; its columns: " + names);
}

bool matches(const std::string& field, const std::string& wanted) {
  if (field == wanted) return true;
  const auto a = number_of(field), b = number_of(wanted);
  return a && b && *a == *b;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_plot_filter(const std::string& text, const std::string& where) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string_view rest(text);
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0)
      throw InputError(where, "expected NAME=VALUE[,NAME=VALUE...], got '" + std::string(item) + "'");
    out.emplace_back(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

PlotScript line_plot_script(const CsvTable& t, const PlotOptions& o, const std::string& path) {
  const std::size_t xi = need_column(t, o.x, "--x", path);
  const std::size_t yi = need_column(t, o.y, "--y", path);
  std::optional<std::size_t> bi;
  if (!o.by.empty()) bi = need_column(t, o.by, "--by", path);
  for (const auto& [name, value] : o.where) need_column(t, name, "--where", path);
  const std::optional<std::size_t> status = t.find("status");

  struct Point {
    double x;
    std::string x_text;
    double y;
    std::size_t line;  // in the file, for messages
  };
  PlotScript ps;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<Point>> by_group;
  std::vector<std::string> categories;  // x values in first-seen order
  bool numeric_x = true;
  for (const auto& row : t.rows) numeric_x = numeric_x && number_of(row[xi]).has_value();
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    const std::size_t line = r + 2;
    bool keep = true;
    for (const auto& [name, value] : o.where) keep = keep && matches(column(t, row, name), value);
    if (!keep) {
      ++ps.filtered;
      continue;
    }
    if (status && row[*status] != "ok") {
      ++ps.dropped;
      continue;
    }
    const auto y = number_of(row[yi]);
    if (!y) throw InputError(fmt::format("{}: line {}", path, line), "column " + o.y + " is not a number: '" + row[yi] + "'");
    const std::string g = bi ? row[*bi] : o.y;
    if (!by_group.count(g)) groups.push_back(g);
    double x = 0;
    if (numeric_x) {
      x = *number_of(row[xi]);
    } else {
      auto it = std::find(categories.begin(), categories.end(), row[xi]);
      if (it == categories.end()) it = categories.insert(categories.end(), row[xi]);
      x = static_cast<double>(it - categories.begin());
    }
    for (const Point& p : by_group[g])
      if (p.x_text == row[xi]) {
        // Name what tells the two rows apart: the settings columns (those
        // before status) that differ.
        std::string differ;
        const auto& other = t.rows[p.line - 2];
        const std::size_t settings_end = status ? *status : t.columns.size();
        for (std::size_t c = 0; c < settings_end; ++c)
          if (c != xi && t.columns[c] != "config" && other[c] != row[c])
            differ += (differ.empty() ? "" : ", ") + t.columns[c];
        throw InputError(fmt::format("{}: lines {} and {}", path, p.line, line),
                         fmt::format("both give {}={}{}: they differ in {}; fix it with --where or draw it with --by",
                                     o.x, row[xi], bi ? " for " + o.by + "=" + g : "",
                                     differ.empty() ? "nothing (the same row twice?)" : differ));
      }
    by_group[g].push_back({x, row[xi], *y, line});
  }
  if (groups.empty())
    throw InputError(path, fmt::format("no row to draw ({} without metrics, {} left out by --where)", ps.dropped,
                                       ps.filtered));
  if (o.log_x && numeric_x)
    for (const auto& [g, pts] : by_group)
      for (const Point& p : pts)
        if (p.x <= 0) throw InputError("--log-x", fmt::format("{}: line {}: {} = {} is not positive", path, p.line, o.x, p.x_text));
  if (o.log_y)
    for (const auto& [g, pts] : by_group)
      for (const Point& p : pts)
        if (p.y <= 0) throw InputError("--log-y", fmt::format("{}: line {}: {} = {} is not positive", path, p.line, o.y, p.y));

  std::string s = header(o);
  const std::string title =
      !o.title.empty() ? o.title : fmt::format("{} over {}{}", o.y, o.x, bi ? ", by " + o.by : std::string());
  s += "set title " + gp_string(title) + "\n";
  s += "set xlabel " + gp_string(o.x) + "\nset ylabel " + gp_string(o.y) + "\n";
  s += "set key outside right top\nset pointsize 1.2\n";
  if (o.log_x && numeric_x) s += "set logscale x 2\n";
  if (o.log_y) s += "set logscale y\n";
  if (!numeric_x) {
    s += "set xtics (";
    for (std::size_t k = 0; k < categories.size(); ++k)
      s += fmt::format("{}{} {}", k ? ", " : "", gp_string(categories[k]), k);
    s += ")\nset xrange [-0.5:" + fmt::format("{}", static_cast<double>(categories.size()) - 0.5) + "]\n";
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    std::vector<Point>& pts = by_group[groups[g]];
    std::stable_sort(pts.begin(), pts.end(), [](const Point& a, const Point& b) { return a.x < b.x; });
    s += fmt::format("$d{} << EOD\n", g);
    for (const Point& p : pts) s += fmt::format("{} {}\n", p.x, p.y);
    s += "EOD\n";
    ps.points += pts.size();
  }
  s += "plot ";
  for (std::size_t g = 0; g < groups.size(); ++g)
    s += fmt::format("{}$d{} using 1:2 with linespoints lw 2 title {}", g ? ", \\\n     " : "", g, gp_string(groups[g]));
  s += "\n";
  ps.series = groups.size();
  ps.script = std::move(s);
  return ps;
}

PlotScript breakdown_plot_script(const nlohmann::json& run, const PlotOptions& o, const std::string& path) {
  if (!run.is_object() || !run.contains("strategies") || !run["strategies"].is_array())
    throw InputError(path, "expected the JSON of spsim run --json (a list 'strategies')");
  PlotScript ps;
  std::string data;
  for (const auto& s : run["strategies"]) {
    if (!s.is_object() || !s.contains("strategy") || !s["strategy"].is_string())
      throw InputError(path, "a strategy without its name");
    if (s.contains("skipped")) {
      ++ps.dropped;
      continue;
    }
    const auto& cp = s.contains("critical_path") ? s["critical_path"] : nlohmann::json();
    for (const char* k : {"compute_s", "comm_s", "idle_s"})
      if (!cp.is_object() || !cp.contains(k) || !cp[k].is_number())
        throw InputError(path, "strategy " + s["strategy"].get<std::string>() + ": no critical_path." + k);
    std::string name = s["strategy"].get<std::string>();  // a data file's string: in double quotes
    std::erase_if(name, [](char c) { return c == '"' || c == '\n' || c == '\r'; });
    data += fmt::format("\"{}\" {} {} {}\n", name, cp["compute_s"].get<double>() * 1e3,
                        cp["comm_s"].get<double>() * 1e3, cp["idle_s"].get<double>() * 1e3);
    ++ps.points;
  }
  if (ps.points == 0) throw InputError(path, "no strategy ran: nothing to draw");
  std::string s = header(o);
  std::string title = o.title;
  if (title.empty()) {
    title = "step time along the critical path";
    if (run.contains("model") && run["model"].is_string() && run.contains("workload") && run["workload"].is_string())
      title += ": " + run["model"].get<std::string>() + " " + run["workload"].get<std::string>();
    if (run.contains("topology") && run["topology"].is_string()) title += " on " + run["topology"].get<std::string>();
  }
  s += "set title " + gp_string(title) + "\n";
  s += "set ylabel 'ms'\nset yrange [0:*]\nset key outside right top\n";
  s += "set style data histograms\nset style histogram rowstacked\nset style fill solid 0.85 border -1\n";
  s += "set boxwidth 0.7\nset xtics rotate by -30\n";
  s += "$b << EOD\n" + data + "EOD\n";
  s += "plot $b using 2:xtic(1) title 'compute' lc rgb '#4c72b0', '' using 3 title 'exposed communication' lc rgb "
       "'#dd8452', '' using 4 title 'idle' lc rgb '#b0b0b0'\n";
  ps.series = 3;
  ps.script = std::move(s);
  return ps;
}

}  // namespace spsim::cli
