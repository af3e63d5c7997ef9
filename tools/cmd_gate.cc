// `spsim compare BASELINE CURRENT`: the CI regression gate on two outputs of
// spsim's studies (tools/regression_gate.h). Exit 0: nothing regressed
// beyond its tolerance; 1: something did; 2: bad input.
#include <fmt/format.h>

#include <iostream>

#include "program/input_error.h"
#include "program/input_file.h"
#include "tools/cli_common.h"
#include "tools/output_file.h"
#include "tools/regression_gate.h"
#include "tools/settings.h"

namespace spsim::cli {

std::optional<int> run_compare_gate(const std::vector<std::string>& inputs, const Settings& s,
                                    const std::string& tolerance, const std::string& metrics,
                                    const std::string& json_path) {
  std::vector<std::optional<GateInput>> read;
  std::size_t studies = 0;
  for (const std::string& path : inputs) {
    read.push_back(read_gate_input(read_input_file(path, "file to compare"), path));
    studies += read.back().has_value();
  }
  if (studies == 0) {
    for (const char* name : {"tolerance", "metrics"})
      if (s.given(name))
        throw InputError(s.where(name), "applies to two study outputs (run --json, sweep --jsonl/--csv, plan --json); "
                                        "these are measured files");
    return std::nullopt;
  }
  if (studies != inputs.size() || inputs.size() != 2)
    throw InputError(inputs.front(), fmt::format("compare takes two study outputs (BASELINE CURRENT) or measured "
                                                 "files; got {} file(s), {} of them study outputs",
                                                 inputs.size(), studies));
  for (const char* name : {"topology", "topology-file", "nodes", "device", "network", "calibration", "points"})
    if (s.given(name))
      throw InputError(s.where(name), "compares measured files; two study outputs take --tolerance, --metrics and "
                                      "--json only");
  GateOptions o;
  if (s.given("tolerance")) parse_gate_tolerance(tolerance, s.where("tolerance"), o);
  if (s.given("metrics")) o.metrics = parse_gate_metrics(metrics, s.where("metrics"));
  const GateReport r = compare_gate_inputs(*read[0], inputs[0], *read[1], inputs[1], o);
  std::cout << gate_report_text(r, inputs[0], inputs[1], o);
  if (!json_path.empty()) write_output_file("--json", json_path, gate_report_json(r, o));
  return r.passed() ? kExitOk : kExitCheckFailed;
}

}  // namespace spsim::cli
