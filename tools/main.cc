// spsim: a simulator and cost model for sequence-parallel attention.
#include <fmt/core.h>

#include <exception>
#include <string>
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
  add(cli::add_calibrate_command(app));
  add(cli::add_compare_command(app));
  add(cli::add_replay_command(app));
  add(cli::add_sweep_command(app));
  add(cli::add_plot_command(app));
  add(cli::add_stream_command(app));
  // The command first: CLI11 would only say "A subcommand is required".
  std::string names;
  for (const auto& [sub, action] : commands) names += (names.empty() ? "" : ", ") + sub->get_name();
  if (argc < 2) {
    fmt::print(stderr, "spsim: error: a command is required: one of {} (spsim --help)\n", names);
    return cli::kExitBadInput;
  }
  const std::string first = argv[1];
  if (!first.starts_with("-") && app.get_subcommands([&](CLI::App* sub) { return sub->get_name() == first; }).empty()) {
    fmt::print(stderr, "spsim: error: unknown command '{}'; expected one of: {}\n", first, names);
    return cli::kExitBadInput;
  }
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
