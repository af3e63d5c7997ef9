// The readers of spsim sweep, compare BASELINE CURRENT and plot: a sweep
// file, a --set axis, shard JSON lines to merge, study outputs for the gate,
// CSV tables, --tolerance / --metrics / --where. The first byte picks the
// reader; the rest is its input. What a reader accepts must also work
// downstream (a sweep's configurations, a gate of an output with itself).
#include <algorithm>
#include <string>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "tools/csv_table.h"
#include "tools/plot.h"
#include "tools/regression_gate.h"
#include "tools/sweep_rows.h"
#include "tools/sweep_spec.h"

using namespace spsim::cli;

void fuzz_one(std::string_view data) {
  if (data.empty()) return;
  const char which = data[0];
  const std::string text(data.substr(1));
  switch (which % 7) {
    case 0: {
      const SweepSpec s = parse_sweep_file(text, "sweep.json");
      for (std::size_t i = 0; i < std::min<std::size_t>(s.size(), 64); ++i) (void)s.config(i).dump();
      (void)sweep_jsonl_header(s, SweepShard{});
      break;
    }
    case 1: {
      SweepSpec s;
      s.command = (which / 7) % 2 ? "stream" : "run";
      s.add_axis(parse_set_axis(text, "--set", s.command), "--set");
      for (std::size_t i = 0; i < s.size(); ++i) (void)sweep_error_row(i, s, "r").dump();
      break;
    }
    case 2: {
      // Shard files separated by \x01.
      std::vector<std::pair<std::string, std::string>> files;
      std::size_t begin = 0;
      while (begin <= text.size() && files.size() < 16) {
        const std::size_t end = std::min(text.find('\x01', begin), text.size());
        files.emplace_back("shard" + std::to_string(files.size()), text.substr(begin, end - begin));
        begin = end + 1;
      }
      const MergedSweep m = merge_sweep_shards(files);
      if (m.rows.size() < m.configurations) __builtin_trap();  // every configuration has a row
      break;
    }
    case 3: {
      const auto in = read_gate_input(text, "out.json");
      if (!in) break;
      // An output compared with itself has the same configurations and passes.
      bool unique = true;
      for (std::size_t i = 0; i < in->records.size() && unique; ++i)
        for (std::size_t j = i + 1; j < in->records.size() && unique; ++j)
          unique = in->records[i].key != in->records[j].key;
      if (!unique) break;
      const GateReport r = compare_gate_inputs(*in, "a", *in, "b", GateOptions{});
      if (!r.passed()) __builtin_trap();
      (void)gate_report_text(r, "a", "b", GateOptions{});
      break;
    }
    case 4: {
      const CsvTable t = parse_csv_table(text, "t.csv");
      if (t.columns.size() >= 2) {
        PlotOptions o;
        o.out = "f.svg";
        o.x = t.columns[0];
        o.y = t.columns[1];
        (void)line_plot_script(t, o, "t.csv");
      }
      break;
    }
    case 5: {
      GateOptions o;
      parse_gate_tolerance(text, "--tolerance", o);
      break;
    }
    case 6: {
      (void)parse_gate_metrics(text, "--metrics");
      (void)parse_plot_filter(text, "--where");
      break;
    }
  }
}
