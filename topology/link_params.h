#pragma once
// Link-class parameters a topology file or a study may set: overrides of the
// cost model's per-class defaults (costmodel/link_model.h says what each
// means and where the defaults come from). Here only as numbers, so a
// topology can carry them without depending on the cost model.

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "topology/topology.h"

namespace spsim {

inline constexpr std::size_t kNumLinkClasses = static_cast<std::size_t>(LinkKind::kHostMemory) + 1;

// What a calibration or a study measured for one link class; unset fields
// keep the defaults. SI units.
struct LinkClassOverride {
  std::optional<double> message_overhead_s;    // collectives
  std::optional<double> bandwidth_efficiency;  // collectives
  std::optional<double> p2p_overhead_s;
  std::optional<double> p2p_efficiency;
  std::optional<double> duplex_factor;
  bool any() const {
    return message_overhead_s || bandwidth_efficiency || p2p_overhead_s || p2p_efficiency || duplex_factor;
  }
};

struct RootComplexOverride {
  std::optional<double> latency_s;
  std::optional<double> bandwidth_bytes_per_s;
  bool any() const { return latency_s || bandwidth_bytes_per_s; }
};

struct LinkCalibration {
  std::array<LinkClassOverride, kNumLinkClasses> per_class{};  // indexed by LinkKind
  RootComplexOverride root_complex;
  LinkClassOverride& operator[](LinkKind k) { return per_class[static_cast<std::size_t>(k)]; }
  const LinkClassOverride& operator[](LinkKind k) const { return per_class[static_cast<std::size_t>(k)]; }
  bool any() const;
  // Applies `other` on top of this (its set fields win).
  void merge(const LinkCalibration& other);
};

// Reads the JSON form (docs/topology-format.md, "link_params"):
//   {"<class>": {"overhead_s", "efficiency", "p2p_overhead_s",
//                "p2p_efficiency", "duplex_factor"},
//    "root_complex": {"latency_s", "bandwidth_bytes_per_s"}}
// with <class> a link kind name (nvlink, hccs, pcie, cpu, network, host).
// Unknown keys and non-numbers are InputError("<where>: key '<k>'", ...).
// Values are range-checked by LinkModel.
LinkCalibration parse_link_params(std::string_view json_text, const std::string& where);
// Reads a file holding that JSON object (`--link-params FILE`).
LinkCalibration load_link_params_file(const std::string& path);
// The JSON text of the set fields (an object; "{}" when none).
std::string link_params_json(const LinkCalibration& c);

}  // namespace spsim
