#pragma once
// What `spsim sweep` runs: a base study (settings every configuration shares)
// and axes over `spsim run`'s settings. The configurations are the cartesian
// product of the axes, in a fixed order: the first axis varies slowest, the
// last fastest (nested loops in the order the axes are given). An axis is
// one setting's values, or several settings zipped (their values vary
// together, point by point).
//
// Every value is checked when the sweep is read, as the flag or config key
// it stands for would be; what only a whole configuration can refuse (a
// strategy that does not divide the sequence, an SP degree larger than the
// cluster) is the study's to report, configuration by configuration.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace spsim::cli {

// Configurations a sweep may have (its rows are produced one configuration
// at a time, but a sweep larger than this is a typo, not a study).
inline constexpr std::size_t kMaxSweepConfigurations = 1'000'000;
// Values one axis may have.
inline constexpr std::size_t kMaxAxisPoints = 65536;

struct SweepAxis {
  std::vector<std::string> names;  // one setting, or the zipped settings
  // points[k][n]: the value of names[n] at the axis's k-th point, as a config
  // file gives it (checked).
  std::vector<std::vector<nlohmann::ordered_json>> points;
};

class SweepSpec {
 public:
  // The study each configuration runs: "run" (spsim run) or "stream" (spsim stream).
  std::string command = "run";
  // Settings of every configuration, as config keys (checked); an axis's
  // value replaces the base's.
  nlohmann::ordered_json base = nlohmann::ordered_json::object();
  std::vector<SweepAxis> axes;

  // Appends an axis; InputError(where, ...) when one of its settings is
  // already an axis, or replaces (or is replaced by) one.
  void add_axis(SweepAxis axis, const std::string& where);

  // The product of the axes' sizes (1 with no axis).
  std::size_t size() const;
  // The axes' setting names, axis by axis: the sweep's columns.
  std::vector<std::string> names() const;
  // The values of configuration i (i < size()), in names() order.
  std::vector<nlohmann::ordered_json> point(std::size_t i) const;
  // Configuration i as a config document: the base, less the keys its
  // values replace or are replaced by, with its values.
  nlohmann::ordered_json config(std::size_t i) const;
  // The sweep itself (base and axes; its command unless "run"), as the JSON
  // lines header records it.
  nlohmann::ordered_json describe() const;
};

// One axis from --set's text "name=v1,v2,...": each value checked as the
// flag --name would check it. A list setting (seqlens) separates its points
// with ';' ("seqlens=4096,4096;8192"). `where` names it in errors ("--set").
SweepAxis parse_set_axis(std::string_view text, const std::string& where, std::string_view command = "run");

// A sweep file: {"base": {settings}, "grid": {"name": [values], ...},
// "zip": {"name": [values], ...} or [{...}, ...]}: "grid" gives one axis per
// setting (in the file's order), each "zip" object one zipped axis (lists of
// one length), after the grid's; "command": "run" or "stream" (when
// `command` is given, non-empty, the file's must equal it; neither: "run").
// Every key optional. `where` is the path.
SweepSpec parse_sweep_file(std::string_view text, const std::string& where, std::string_view command = "");

// Whether `name` may be an axis or a base key of a sweep of `command`: a
// setting that defines the study (every `spsim run`, or `spsim stream`,
// setting but its output files and --memory-limit).
bool sweepable_setting(std::string_view name, std::string_view command = "run");

// The column that names the row's variant: "strategy" (run) or "policy" (stream).
std::string_view sweep_variant_column(std::string_view command);

}  // namespace spsim::cli
