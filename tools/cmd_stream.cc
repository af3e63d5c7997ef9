// `spsim stream`: what simultaneous-translation policies (re-translation
// with an autoregressive or a non-autoregressive decoder, wait-k, offline)
// cost on one device: computation, lag behind the source, average lagging,
// decoder passes (stream/, docs/streaming.md).
#include <iostream>

#include "program/input_error.h"
#include "tools/cli_common.h"
#include "tools/output_file.h"
#include "tools/stream_study.h"

namespace spsim::cli {

CommandAction add_stream_command(CLI::App& app) {
  auto c = std::make_shared<StreamConfig>();
  auto progress = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand(
      "stream", "Predict what simultaneous-translation policies (reta, fretna, waitk, offline) cost on one device");
  auto s = std::make_shared<Settings>(*cmd, "stream");
  bind_stream_study_settings(*s, *c);
  s->bind("json", c->json).bind("trace", c->trace).bind("progress", *progress);
  return [c, s, progress]() {
    try {
      s->apply();
      s->check_used_by(c->policy, "policy");
      if (*progress) c->progress = ProgressMode::kAlways;
      const StreamStudy st = run_stream_study(*c);
      print_stream_study(st, std::cout);
      if (!c->json.empty()) {
        write_output_file("--json", c->json, stream_study_json(st).dump(2) + "\n");
        std::cout << "JSON written to " << c->json << "\n";
      }
      if (!c->trace.empty()) {
        write_output_file("--trace", c->trace, stream_trace_json(st));
        std::cout << "trace of the first sentence written to " << c->trace << " (Perfetto UI, chrome://tracing)\n";
      }
      return kExitOk;
    } catch (const InputError& e) {
      throw s->relocate(e);
    }
  };
}

}  // namespace spsim::cli
