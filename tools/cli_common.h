#pragma once
// Shared pieces of the spsim command line: how commands are registered and
// how user errors become one line and exit code 2.

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace spsim::cli {

// Exit codes: 0 success; 1 a check failed (verify mismatch, regression);
// 2 bad input (flag, config key, file).
inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;
inline constexpr int kExitBadInput = 2;

// Each command adds its subcommand to `app` and returns the action to run
// when that subcommand was chosen; the action returns the exit code.
using CommandAction = std::function<int()>;

CommandAction add_verify_command(CLI::App& app);
CommandAction add_list_command(CLI::App& app);
CommandAction add_topo_command(CLI::App& app);
CommandAction add_run_command(CLI::App& app);
CommandAction add_plan_command(CLI::App& app);
CommandAction add_calibrate_command(CLI::App& app);
CommandAction add_compare_command(CLI::App& app);
CommandAction add_replay_command(CLI::App& app);
CommandAction add_sweep_command(CLI::App& app);
CommandAction add_plot_command(CLI::App& app);
CommandAction add_stream_command(CLI::App& app);

class Settings;
// `spsim compare BASELINE CURRENT` (tools/cmd_gate.cc): the exit code when
// `inputs` are two outputs of spsim's studies; nullopt when they are
// measured files (compare's other use).
std::optional<int> run_compare_gate(const std::vector<std::string>& inputs, const Settings& settings,
                                    const std::string& tolerance, const std::string& metrics,
                                    const std::string& json_path);

}  // namespace spsim::cli
