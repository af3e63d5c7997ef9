// `spsim run --config` files and flags (tools/settings.h): the bytes are
// either a JSON config (applied as run's settings are) or, after a leading
// '-', a command line split at newlines. The command is built once and
// reset for each input (building CLI11's options dominated the time).
#include <algorithm>
#include <string>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "tools/run_settings.h"

namespace {

struct Run {
  CLI::App app{"fuzz"};
  CLI::App* cmd = app.add_subcommand("run", "");
  spsim::StudyConfig config;
  double memory_limit_gb = 1;
  spsim::cli::Settings settings{*cmd, "run"};
  Run() { spsim::cli::bind_run_settings(settings, config, memory_limit_gb); }
};

}  // namespace

void fuzz_one(std::string_view text) {
  static Run run;
  run.app.clear();
  run.settings.reset();
  run.config = spsim::StudyConfig();
  if (!text.empty() && text.front() == '-') {
    std::vector<std::string> args;
    std::size_t begin = 0;
    while (begin <= text.size() && args.size() < 64) {
      const std::size_t end = std::min(text.find('\n', begin), text.size());
      args.emplace_back(text.substr(begin, end - begin));
      begin = end + 1;
    }
    args.push_back("run");
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    try {
      run.app.parse(args);
    } catch (const CLI::Error&) {
      return;  // CLI11's own refusal of the command line (spsim: exit 2)
    }
    // --config reads a file: a fuzzer must not wander the file system
    // (the config text itself is fuzzed below).
    if (run.cmd->count("--config") > 0) return;
    run.settings.apply();
  } else {
    run.settings.apply_config_text(text, "fuzz.json");
  }
  run.settings.check_used_by(run.config.strategy);
}
