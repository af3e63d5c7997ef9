// `spsim run`: a what-if study — predict step time, overlap, bottlenecks and
// memory of one or all strategies for a model, workload and cluster.
#include <iostream>

#include "program/input_error.h"
#include "tools/cli_common.h"
#include "tools/run_settings.h"
#include "tools/study.h"

namespace spsim::cli {

CommandAction add_run_command(CLI::App& app) {
  auto c = std::make_shared<StudyConfig>();
  auto memory_limit_gb = std::make_shared<double>(c->memory_limit_bytes / 1e9);
  auto progress = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("run", "Simulate a model step with one or all SP strategies on a cluster");
  auto s = std::make_shared<Settings>(*cmd, "run");
  bind_run_settings(*s, *c, *memory_limit_gb);
  s->bind("progress", *progress);
  return [c, s, memory_limit_gb, progress]() {
    try {
      s->apply();
      s->check_used_by(c->strategy);
      c->memory_limit_bytes = *memory_limit_gb * 1e9;
      if (*progress) c->progress = ProgressMode::kAlways;
      const StudyResult r = run_study(*c);
      print_study(r, std::cout);
      return kExitOk;
    } catch (const InputError& e) {
      throw s->relocate(e);
    }
  };
}

}  // namespace spsim::cli
