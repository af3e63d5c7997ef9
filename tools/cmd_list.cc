// `spsim list strategies`: every strategy with a one-line description and its constraints.
#include <fmt/core.h>

#include "sim/input_error.h"
#include "strategies/registry.h"
#include "tools/cli_common.h"

namespace spsim::cli {

CommandAction add_list_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("list", "List built-in strategies");
  auto what = std::make_shared<std::string>();
  cmd->add_option("what", *what, "what to list: strategies")->required();
  return [what]() {
    if (*what != "strategies") throw InputError("spsim list", "expected 'strategies', got '" + *what + "'");
    std::size_t width = 0;
    for (const Strategy* s : all_strategies()) width = std::max(width, s->name().size());
    for (const Strategy* s : all_strategies()) {
      fmt::print("{:<{}}  {}\n", s->name(), width, s->summary());
      fmt::print("{:<{}}  constraints: {}\n", "", width, s->constraints());
    }
    return kExitOk;
  };
}

}  // namespace spsim::cli
