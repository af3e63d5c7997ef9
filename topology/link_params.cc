#include "topology/link_params.h"

#include <nlohmann/json.hpp>

#include <cmath>

#include "program/input_error.h"
#include "program/input_json.h"
#include "program/input_file.h"

namespace spsim {
namespace {

using OrderedJson = nlohmann::ordered_json;

struct Field {
  const char* key;
  std::optional<double> LinkClassOverride::*member;
};
constexpr Field kClassFields[] = {
    {"overhead_s", &LinkClassOverride::message_overhead_s},
    {"efficiency", &LinkClassOverride::bandwidth_efficiency},
    {"p2p_overhead_s", &LinkClassOverride::p2p_overhead_s},
    {"p2p_efficiency", &LinkClassOverride::p2p_efficiency},
    {"duplex_factor", &LinkClassOverride::duplex_factor},
};

std::string keys_of_classes() {
  std::string out;
  for (LinkKind k : kAllLinkKinds) out += std::string(out.empty() ? "" : ", ") + std::string(link_kind_name(k));
  return out + ", root_complex";
}

double number_at(const OrderedJson& v, const std::string& where) {
  if (!v.is_number()) throw InputError(where, "expected a number, got " + v.dump());
  const double x = v.get<double>();
  if (!std::isfinite(x)) throw InputError(where, "expected a finite number");
  return x;
}

}  // namespace

bool LinkCalibration::any() const {
  for (const auto& c : per_class)
    if (c.any()) return true;
  return root_complex.any();
}

void LinkCalibration::merge(const LinkCalibration& other) {
  for (std::size_t i = 0; i < kNumLinkClasses; ++i)
    for (const Field& f : kClassFields)
      if (other.per_class[i].*f.member) per_class[i].*f.member = other.per_class[i].*f.member;
  if (other.root_complex.latency_s) root_complex.latency_s = other.root_complex.latency_s;
  if (other.root_complex.bandwidth_bytes_per_s)
    root_complex.bandwidth_bytes_per_s = other.root_complex.bandwidth_bytes_per_s;
}

LinkCalibration parse_link_params(std::string_view text, const std::string& where) {
  const OrderedJson j = parse_input_json(text, where);
  if (!j.is_object()) throw InputError(where, "expected a JSON object of link classes");
  LinkCalibration c;
  for (const auto& [key, v] : j.items()) {
    const std::string at = where + ": key '" + key + "'";
    if (!v.is_object()) throw InputError(at, "expected an object");
    if (key == "root_complex") {
      for (const auto& [k, x] : v.items()) {
        const std::string at2 = where + ": key '" + key + "." + k + "'";
        if (k == "latency_s") c.root_complex.latency_s = number_at(x, at2);
        else if (k == "bandwidth_bytes_per_s") c.root_complex.bandwidth_bytes_per_s = number_at(x, at2);
        else throw InputError(at2, "unknown key; expected latency_s, bandwidth_bytes_per_s");
      }
      continue;
    }
    const std::optional<LinkKind> kind = link_kind_from_name(key);
    if (!kind) throw InputError(at, "unknown link class; expected one of: " + keys_of_classes());
    for (const auto& [k, x] : v.items()) {
      const std::string at2 = where + ": key '" + key + "." + k + "'";
      const Field* field = nullptr;
      for (const Field& f : kClassFields)
        if (k == f.key) field = &f;
      if (!field)
        throw InputError(at2, "unknown key; expected overhead_s, efficiency, p2p_overhead_s, p2p_efficiency, "
                              "duplex_factor");
      c[*kind].*field->member = number_at(x, at2);
    }
  }
  return c;
}

LinkCalibration load_link_params_file(const std::string& path) {
  return parse_link_params(read_input_file(path, "link-params JSON file"), path);
}

std::string link_params_json(const LinkCalibration& c) {
  OrderedJson j = OrderedJson::object();
  for (LinkKind k : kAllLinkKinds) {
    const LinkClassOverride& o = c[k];
    if (!o.any()) continue;
    OrderedJson x = OrderedJson::object();
    for (const Field& f : kClassFields)
      if (o.*f.member) x[f.key] = *(o.*f.member);
    j[std::string(link_kind_name(k))] = x;
  }
  if (c.root_complex.any()) {
    OrderedJson x = OrderedJson::object();
    if (c.root_complex.latency_s) x["latency_s"] = *c.root_complex.latency_s;
    if (c.root_complex.bandwidth_bytes_per_s) x["bandwidth_bytes_per_s"] = *c.root_complex.bandwidth_bytes_per_s;
    j["root_complex"] = x;
  }
  return j.dump();
}

}  // namespace spsim
