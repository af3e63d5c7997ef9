#pragma once
// `spsim plot`: figures drawn by gnuplot (Debian gnuplot-nox) from spsim's
// outputs — a metric of a sweep's CSV over one column, a line per group; and
// the step-time breakdown of a `run --json` (compute, exposed communication,
// idle along the critical path, stacked per strategy). This file builds the
// gnuplot script (data inline, as datablocks), so what is drawn is testable
// without gnuplot; tools/cmd_plot.cc runs it.

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tools/csv_table.h"

namespace spsim::cli {

struct PlotOptions {
  std::string out;  // .svg or .png: the terminal
  std::string x, y, by;
  std::vector<std::pair<std::string, std::string>> where;  // keep rows with these column values
  bool log_x = false, log_y = false;
  std::string title;  // default: made from the columns
};

struct PlotScript {
  std::string script;  // a whole gnuplot script writing options.out
  std::size_t series = 0, points = 0;
  std::size_t dropped = 0;  // rows without metrics (status not ok)
  std::size_t filtered = 0; // rows --where left out
};

// "NAME=VALUE,NAME=VALUE" (--where); InputError(where, ...).
std::vector<std::pair<std::string, std::string>> parse_plot_filter(const std::string& text, const std::string& where);

// y over x, one line per value of `by` (in first-seen order), points sorted
// by x; x numeric, or categories in first-seen order. InputError (naming
// `path` and the column or line) for a column that is missing, a value that
// is not a number, or two rows at the same x of one line (they differ in a
// column neither --by nor --where fixes, named).
PlotScript line_plot_script(const CsvTable& table, const PlotOptions& options, const std::string& path);

// The stacked step-time breakdown per strategy of a `run --json` document.
PlotScript breakdown_plot_script(const nlohmann::json& run, const PlotOptions& options, const std::string& path);

}  // namespace spsim::cli
