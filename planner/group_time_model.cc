#include "planner/group_time_model.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "program/input_error.h"
#include "program/input_file.h"
#include "program/input_json.h"

namespace spsim {

GroupTimeCoefficients FlexSpProfileModel::coefficients(std::span<const DeviceId> devices) const {
  const auto d = static_cast<std::uint32_t>(devices.size());
  const double dd = d;
  GroupTimeCoefficients c;
  c.seconds_per_token_sq = p_.alpha1_s_per_token_sq / dd;
  c.seconds_per_token = p_.alpha2_s_per_token / dd;
  c.fixed_s = p_.beta1_s;
  if (d > 1) {
    const auto it = p_.alltoall_bytes_per_s.find(d);
    if (it == p_.alltoall_bytes_per_s.end())
      throw InputError(p_.source, "no all-to-all bandwidth for groups of " + std::to_string(d) + " devices");
    c.seconds_per_token += p_.alpha3_bytes_per_token / (dd * it->second);
    c.fixed_s += p_.beta2_s;
  }
  return c;
}

std::string FlexSpProfileModel::describe() const { return "FlexSP profile " + p_.source; }

GroupTimeCoefficients TabulatedGroupTimeModel::coefficients(std::span<const DeviceId> devices) const {
  const auto it = by_size_.find(static_cast<std::uint32_t>(devices.size()));
  if (it == by_size_.end())
    throw InputError("group time model", "no coefficients for groups of " + std::to_string(devices.size()) + " devices");
  return it->second;
}

FlexSpProfile read_flexsp_profile(const std::string& path) {
  return parse_flexsp_profile(read_input_file(path, "FlexSP profile JSON file"), path);
}

FlexSpProfile parse_flexsp_profile(std::string_view text, const std::string& path) {
  const nlohmann::json j = parse_input_json(text, path);
  if (!j.is_object()) throw InputError(path, "expected a JSON object");
  static const std::set<std::string> known{"alpha1_s_per_token_sq", "alpha2_s_per_token", "beta1_s",
                                           "alpha3_bytes_per_token", "beta2_s", "alltoall_gb_per_s", "source"};
  for (const auto& [key, value] : j.items())
    if (!known.count(key)) throw InputError(path + ": key '" + key + "'", "unknown key");
  auto number = [&](const char* key) {
    if (!j.contains(key)) throw InputError(path + ": key '" + key + "'", "missing");
    if (!j[key].is_number() || j[key].get<double>() < 0)
      throw InputError(path + ": key '" + key + "'", "expected a number >= 0, got " + j[key].dump());
    return j[key].get<double>();
  };
  FlexSpProfile p;
  p.alpha1_s_per_token_sq = number("alpha1_s_per_token_sq");
  p.alpha2_s_per_token = number("alpha2_s_per_token");
  p.beta1_s = number("beta1_s");
  p.alpha3_bytes_per_token = number("alpha3_bytes_per_token");
  p.beta2_s = number("beta2_s");
  p.source = j.contains("source") && j["source"].is_string() ? path + " (" + j["source"].get<std::string>() + ")" : path;
  const std::string bw_key = path + ": key 'alltoall_gb_per_s'";
  if (!j.contains("alltoall_gb_per_s") || !j["alltoall_gb_per_s"].is_object())
    throw InputError(bw_key, "expected an object mapping group sizes to GB/s");
  for (const auto& [size, value] : j["alltoall_gb_per_s"].items()) {
    std::uint32_t d = 0;
    try {
      std::size_t used = 0;
      const unsigned long parsed = std::stoul(size, &used);
      if (used != size.size() || parsed < 2 || parsed > 65536 || (parsed & (parsed - 1)) != 0)
        throw std::invalid_argument(size);
      d = static_cast<std::uint32_t>(parsed);
    } catch (const std::exception&) {
      throw InputError(bw_key, "group sizes must be powers of two in 2..65536, got '" + size + "'");
    }
    if (!value.is_number() || value.get<double>() <= 0)
      throw InputError(bw_key, "bandwidth of size " + size + " must be a positive number of GB/s");
    p.alltoall_bytes_per_s[d] = value.get<double>() * 1e9;
  }
  return p;
}

}  // namespace spsim
