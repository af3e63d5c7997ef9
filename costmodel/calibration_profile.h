#pragma once
// A calibration profile: what `spsim calibrate` fitted to measured runs, and
// what `--calibration FILE` puts in force — one file for both halves of the
// cost model (the device's kernel parameters, the link classes' α and
// efficiencies), with its provenance (which files, which points, the fit
// errors) so a user can tell what a prediction stands on.
//
// Format (JSON; written with a fixed key order, read strictly):
//   { "spsim_calibration": 1,
//     "device_type": "h100-sxm5",            // the topology device type it applies to
//     "device": { ...device_profile_json.h... },     // optional: when kernels were fitted
//     "link_params": { ...topology/link_params.h... },
//     "provenance": {
//       "created": "2026-12-01", "spsim": "0.1.0", "topology": "h100-sxm8",
//       "inputs": [ {"file": "nccl.txt", "groups": ["all_reduce"], "fraction": 1.0, "points": 20} ],
//       "fits": [ {"quantity": "nvlink collective", "value": "α 9.1 µs, efficiency 0.62",
//                  "points": 20, "median_rel_error": 0.03, "p90_rel_error": 0.08, "max_rel_error": 0.1} ],
//       "not_fitted": [ "launch overhead: ..." ] } }
// Files are named by base name (what compare matches), so a profile does not
// depend on where the data lay.

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "costmodel/device_profile.h"
#include "topology/link_params.h"

namespace spsim {

struct CalibrationInput {
  std::string file;                 // base name of the measured file
  std::vector<std::string> groups;  // the groups of points fitted (nccl-tests tests, kernel classes)
  double fraction = 1;              // of each group, the leading fraction (in file order) that was fitted
  std::size_t points = 0;           // points fitted from this file
};

struct CalibrationFit {
  std::string quantity;  // what was fitted ("nvlink collective α and efficiency")
  std::string value;     // the fitted values, as text with units
  std::size_t points = 0;
  double median_rel_error = 0, p90_rel_error = 0, max_rel_error = 0;  // |predicted − measured| / measured
};

struct CalibrationProfile {
  std::string device_type;              // e.g. "h100-sxm5"
  std::optional<DeviceProfile> device;  // the fitted device (all keys)
  LinkCalibration links;
  std::string topology;                 // the topology the points were predicted on (its name)
  std::string created;                  // YYYY-MM-DD
  std::string spsim_version;
  std::vector<CalibrationInput> inputs;
  std::vector<CalibrationFit> fits;
  std::vector<std::string> not_fitted;  // quantities the data could not fit, and why

  // The fitted input whose file is `file` (a base name), if any.
  const CalibrationInput* input(const std::string& file) const;
};

// One line for the header of a prediction: "<path> (created <date> from
// <files>; <n> fitted quantities: <device type> device, <link classes>)".
std::string calibration_summary(const CalibrationProfile& profile, const std::string& path);

// Writes the profile (2-space indent, fixed key order, trailing newline);
// loading what it wrote gives the same profile.
void save_calibration_profile(const CalibrationProfile& profile, std::ostream& out);

// Reads a profile. Throws InputError("<path>: key '...'", expected) for a
// malformed or unknown key, a wrong version, or device / link values out of
// range (checked as device_profile_json.h and LinkModel check them).
CalibrationProfile load_calibration_profile(const std::string& path);
CalibrationProfile parse_calibration_profile(std::string_view text, const std::string& where);

}  // namespace spsim
