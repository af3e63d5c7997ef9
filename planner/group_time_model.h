#pragma once
// How long one SP group takes for one micro-batch — the planner's only view
// of performance.
//
// A group of d devices running its strategy on packed sequences s_1..s_n
// takes (FlexSP's form, strategies.md):
//   T = (α1·Σs² + α2·Σs)/d + β1  +  α3·Σs/(d·v_d) + β2
//       compute: attention ∝ Σs²,    all-to-all over the group's links,
//       dense layers ∝ Σs            v_d its bandwidth at size d
// which is linear in Σs² and Σs for a given group, so the planner keeps it as
//   T = max(a·Σs² + b·Σs + c, m)        (GroupTimeCoefficients)
// per group placement; a group without sequences takes no time. The floor m
// is the roofline's other side: with few tokens per device the projections
// and MLP are bound by reading their weights, which takes the same time
// whatever the tokens (spsim's cost model shows it below ~150 rows per
// device on an A100). A maximum of linear pieces is convex, so "T <= C" is
// two linear rows: the plan stays a MILP.
//
// Where coefficients come from is the implementation's business: a measured
// FlexSP profile (FlexSpProfileModel, `--profile`), or spsim's own
// predictions fitted per group size (group_time_fit.h).

#include <cstdint>
#include <map>
#include <span>
#include <string>

#include "topology/topology.h"

namespace spsim {

struct GroupTimeCoefficients {
  double seconds_per_token_sq = 0;  // a: multiplies Σ s²
  double seconds_per_token = 0;     // b: multiplies Σ s
  double fixed_s = 0;               // c: per micro-batch, once the group has any sequence
  double min_s = 0;                 // m: no non-empty group is faster than this

  // max(a·Σs² + b·Σs + c, m); 0 when the group holds no tokens.
  double seconds(double sum_tokens, double sum_sq_tokens) const {
    if (sum_tokens <= 0) return 0;
    const double linear = seconds_per_token_sq * sum_sq_tokens + seconds_per_token * sum_tokens + fixed_s;
    return linear > min_s ? linear : min_s;
  }
};

class GroupTimeModel {
 public:
  virtual ~GroupTimeModel() = default;
  // Coefficients of a group placed on `devices` (a node-aligned block whose
  // size is a power of two, in rank order). Throws InputError when the model
  // has nothing for that size.
  virtual GroupTimeCoefficients coefficients(std::span<const DeviceId> devices) const = 0;
  // One line: where the numbers come from.
  virtual std::string describe() const = 0;
};

// FlexSP's measured form. Units: seconds, tokens, bytes.
struct FlexSpProfile {
  double alpha1_s_per_token_sq = 0;  // α1: attention compute, s per token² (before dividing by d)
  double alpha2_s_per_token = 0;     // α2: dense compute, s per token (before dividing by d)
  double beta1_s = 0;                // β1: compute constant per micro-batch
  double alpha3_bytes_per_token = 0; // α3: all-to-all bytes per token of the group (whole step)
  double beta2_s = 0;                // β2: all-to-all constant (groups of d > 1)
  std::map<std::uint32_t, double> alltoall_bytes_per_s;  // v_d per group size d > 1
  std::string source;                // e.g. the file it was read from
};

class FlexSpProfileModel final : public GroupTimeModel {
 public:
  explicit FlexSpProfileModel(FlexSpProfile profile) : p_(std::move(profile)) {}
  // a = α1/d, b = α2/d + α3/(d·v_d), c = β1 + β2 (no all-to-all term at d = 1), m = 0.
  // Throws InputError(source, ...) when v_d is missing for the size.
  GroupTimeCoefficients coefficients(std::span<const DeviceId> devices) const override;
  std::string describe() const override;
  const FlexSpProfile& profile() const { return p_; }

 private:
  FlexSpProfile p_;
};

// Per group size, fixed coefficients (what a fit produces). Sizes missing
// from the table throw InputError("group time model", ...).
class TabulatedGroupTimeModel final : public GroupTimeModel {
 public:
  TabulatedGroupTimeModel(std::map<std::uint32_t, GroupTimeCoefficients> by_size, std::string description)
      : by_size_(std::move(by_size)), description_(std::move(description)) {}
  GroupTimeCoefficients coefficients(std::span<const DeviceId> devices) const override;
  std::string describe() const override { return description_; }
  const std::map<std::uint32_t, GroupTimeCoefficients>& table() const { return by_size_; }

 private:
  std::map<std::uint32_t, GroupTimeCoefficients> by_size_;
  std::string description_;
};

// Reads a FlexSP profile from JSON (every key required unless marked, none unknown):
//   {
//     "alpha1_s_per_token_sq": 1.2e-11,   // α1
//     "alpha2_s_per_token": 3.0e-5,       // α2
//     "beta1_s": 0.05,                    // β1
//     "alpha3_bytes_per_token": 4.2e6,    // α3
//     "beta2_s": 0.01,                    // β2
//     "alltoall_gb_per_s": {"2": 119.5, "4": 104.1, "8": 96.5, "16": 10.3, "32": 5.9, "64": 4.9},
//     "source": "measured on ..."         // optional
//   }
// (the example bandwidths are FlexSP's, strategies.md; GB = 1e9 bytes).
// Throws InputError naming the file and key.
FlexSpProfile read_flexsp_profile(const std::string& path);
// The same for the JSON text of such a file; `where` names it in messages.
FlexSpProfile parse_flexsp_profile(std::string_view text, const std::string& where);

}  // namespace spsim
