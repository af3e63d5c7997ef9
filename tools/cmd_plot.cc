// `spsim plot`: a figure (SVG or PNG, by gnuplot) of a sweep's CSV — a metric
// over a column, a line per group — or, with --breakdown, of a run's step
// time along the critical path per strategy (tools/plot.h).
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "program/input_error.h"
#include "program/input_file.h"
#include "program/input_json.h"
#include "tools/cli_common.h"
#include "tools/output_file.h"
#include "tools/plot.h"
#include "tools/settings.h"

extern char** environ;

namespace spsim::cli {

namespace {

struct PlotArgs {
  std::string input;
  PlotOptions options;
  std::string where, script;
  bool breakdown = false;
};

// Runs `gnuplot SCRIPT_FILE`, its output and errors to `log`; the exit status.
int run_gnuplot(const std::string& script_file, const std::string& log) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  std::string prog = "gnuplot";
  std::vector<char*> argv{prog.data(), const_cast<char*>(script_file.c_str()), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "gnuplot", &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    throw InputError("spsim plot", std::string("cannot run gnuplot (") + std::strerror(rc) +
                                       "); install it: Debian's gnuplot-nox (scripts/install-deps.sh does)");
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string temp_path(const char* suffix) {
  const char* dir = std::getenv("TMPDIR");
  std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/spsim-plot-XXXXXX" + suffix;
  const int fd = mkstemps(tmpl.data(), static_cast<int>(std::strlen(suffix)));
  if (fd < 0) throw InputError("spsim plot", "cannot create a temporary file in " + tmpl.substr(0, tmpl.rfind('/')));
  close(fd);
  return tmpl;
}

int run_plot(PlotArgs& a, const Settings& s) {
  PlotOptions& o = a.options;
  if (o.out.empty()) throw InputError("--out", "required: the figure to write (.svg or .png)");
  if (s.given("where")) o.where = parse_plot_filter(a.where, s.where("where"));
  PlotScript ps;
  const std::string text = read_input_file(a.input, a.breakdown ? "run JSON file" : "CSV file");
  if (a.breakdown) {
    for (const char* name : {"x", "y", "by", "where", "log-x"})
      if (s.given(name)) throw InputError(s.where(name), "has no effect with --breakdown (a bar per strategy)");
    ps = breakdown_plot_script(parse_input_json(text, a.input), o, a.input);
  } else {
    if (o.x.empty() || o.y.empty()) throw InputError(o.x.empty() ? "--x" : "--y", "required: a column of " + a.input);
    ps = line_plot_script(parse_csv_table(text, a.input), o, a.input);
  }
  if (!a.script.empty()) write_output_file("--script", a.script, ps.script);
  // The script and gnuplot's messages go through temporary files, removed
  // however this ends.
  struct TempFiles {
    std::string script = temp_path(".gp"), log = temp_path(".log");
    ~TempFiles() {
      std::remove(script.c_str());
      std::remove(log.c_str());
    }
  } tmp;
  write_output_file("spsim plot", tmp.script, ps.script);
  const int rc = run_gnuplot(tmp.script, tmp.log);
  std::string gnuplot_said;
  try {
    gnuplot_said = read_input_file(tmp.log, "gnuplot log");
  } catch (const InputError&) {
  }
  struct stat st {};
  if (rc != 0 || stat(o.out.c_str(), &st) != 0 || st.st_size == 0) {
    const std::string first = gnuplot_said.substr(0, gnuplot_said.find_first_of("\n", gnuplot_said.find_first_not_of(" \n")));
    throw InputError("--out", fmt::format("gnuplot did not write '{}' (exit {}){}", o.out, rc,
                                          first.empty() ? "" : ": " + first));
  }
  std::cout << fmt::format("{} written: {} series, {} points", o.out, ps.series, ps.points);
  if (ps.dropped) std::cout << fmt::format("; {} rows without metrics left out", ps.dropped);
  if (ps.filtered) std::cout << fmt::format("; {} rows left out by --where", ps.filtered);
  std::cout << "\n";
  return kExitOk;
}

}  // namespace

CommandAction add_plot_command(CLI::App& app) {
  auto a = std::make_shared<PlotArgs>();
  auto* cmd = app.add_subcommand("plot",
                                 "Draw a figure with gnuplot: a sweep's metric over a column (a line per --by group), "
                                 "or with --breakdown a run's step time per strategy");
  cmd->add_option("input", a->input, "a sweep's CSV (sweep --csv); with --breakdown a run's JSON (run --json)")
      ->required();
  auto s = std::make_shared<Settings>(*cmd, "plot");
  s->bind("out", a->options.out).bind("x", a->options.x).bind("y", a->options.y).bind("by", a->options.by);
  s->bind("where", a->where).bind("log-x", a->options.log_x).bind("log-y", a->options.log_y);
  s->bind("title", a->options.title).bind("breakdown", a->breakdown).bind("script", a->script);
  return [a, s]() {
    s->apply();
    return run_plot(*a, *s);
  };
}

}  // namespace spsim::cli
