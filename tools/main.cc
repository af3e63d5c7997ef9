// spsim: a simulator and cost model for sequence-parallel attention.
#include <fmt/core.h>

#include <exception>
#include <vector>

#include "program/input_error.h"
#include "program/program.h"
#include "tools/cli_common.h"

int main(int argc, char** argv) {
  using namespace spsim;
  CLI::App app{"spsim: predict, verify and compare sequence-parallel attention schedules"};
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, cli::CommandAction>> commands;
  auto add = [&](cli::CommandAction action) { commands.emplace_back(app.get_subcommands({}).back(), std::move(action)); };
  add(cli::add_run_command(app));
  add(cli::add_verify_command(app));
  add(cli::add_list_command(app));
  add(cli::add_topo_command(app));
  add(cli::add_plan_command(app));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "spsim: error: {}\n", e.what());
    return cli::kExitBadInput;
  }
  try {
    for (auto& [sub, action] : commands)
      if (sub->parsed()) return action();
  } catch (const InputError& e) {
    fmt::print(stderr, "spsim: error: {}\n", e.what());
    return cli::kExitBadInput;
  } catch (const ProgramError& e) {
    fmt::print(stderr, "spsim: program check failed: {}\n", e.what());
    return cli::kExitCheckFailed;
  } catch (const std::exception& e) {
    fmt::print(stderr, "spsim: internal error: {}\n", e.what());
    return cli::kExitCheckFailed;
  }
  return cli::kExitBadInput;
}
