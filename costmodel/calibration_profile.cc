#include "costmodel/calibration_profile.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "costmodel/device_profile_json.h"
#include "costmodel/link_model.h"
#include "program/input_error.h"
#include "program/input_file.h"
#include "program/input_json.h"
#include "program/json_fields.h"

namespace spsim {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kFormatVersion = 1;

}  // namespace

const CalibrationInput* CalibrationProfile::input(const std::string& file) const {
  for (const auto& i : inputs)
    if (i.file == file) return &i;
  return nullptr;
}

std::string calibration_summary(const CalibrationProfile& p, const std::string& path) {
  std::string files;
  for (const auto& i : p.inputs) files += (files.empty() ? "" : ", ") + i.file;
  std::string parts = p.device ? p.device_type + " device" : "";
  for (LinkKind k : kAllLinkKinds)
    if (p.links[k].any()) parts += (parts.empty() ? "" : ", ") + std::string(link_kind_name(k)) + " links";
  return path + " (created " + p.created + " from " + files + "; " + std::to_string(p.fits.size()) +
         " fitted quantities: " + (parts.empty() ? "none" : parts) + ")";
}

void save_calibration_profile(const CalibrationProfile& p, std::ostream& out) {
  Json j;
  j["spsim_calibration"] = kFormatVersion;
  j["device_type"] = p.device_type;
  if (p.device) {
    std::ostringstream dev;
    save_device_profile(*p.device, dev);
    j["device"] = Json::parse(dev.str());
  }
  j["link_params"] = Json::parse(link_params_json(p.links));
  Json prov;
  prov["created"] = p.created;
  prov["spsim"] = p.spsim_version;
  prov["topology"] = p.topology;
  prov["inputs"] = Json::array();
  for (const auto& i : p.inputs)
    prov["inputs"].push_back({{"file", i.file}, {"groups", i.groups}, {"fraction", i.fraction}, {"points", i.points}});
  prov["fits"] = Json::array();
  for (const auto& f : p.fits)
    prov["fits"].push_back({{"quantity", f.quantity},
                            {"value", f.value},
                            {"points", f.points},
                            {"median_rel_error", f.median_rel_error},
                            {"p90_rel_error", f.p90_rel_error},
                            {"max_rel_error", f.max_rel_error}});
  prov["not_fitted"] = p.not_fitted;
  j["provenance"] = prov;
  out << j.dump(2) << '\n';
}

CalibrationProfile parse_calibration_profile(std::string_view text, const std::string& where) {
  const nlohmann::json j = parse_input_json(text, where);
  if (!j.is_object()) throw InputError(where, "a JSON object (a calibration profile written by spsim calibrate)");
  json_only_keys(j, {"spsim_calibration", "device_type", "device", "link_params", "provenance"}, where, "");
  const auto& version = json_need(j, "spsim_calibration", where, "");
  if (!version.is_number_integer() || version.get<std::int64_t>() != kFormatVersion)
    throw InputError(json_key_at(where, "spsim_calibration"), "format version 1");
  CalibrationProfile p;
  p.device_type = json_need_string(j, "device_type", where, "");
  if (const auto d = j.find("device"); d != j.end()) {
    std::istringstream in(d->dump());
    p.device = parse_device_profile(in, where + ": key 'device'");
  }
  const auto& links = json_need(j, "link_params", where, "");
  p.links = parse_link_params(links.dump(), where + ": key 'link_params'");
  (void)LinkModel(p.links);  // range checks
  const auto& prov = json_need(j, "provenance", where, "");
  if (!prov.is_object()) throw InputError(json_key_at(where, "provenance"), "an object");
  const std::string pp = "provenance.";
  json_only_keys(prov, {"created", "spsim", "topology", "inputs", "fits", "not_fitted"}, where, pp);
  p.created = json_need_string(prov, "created", where, pp);
  p.spsim_version = json_need_string(prov, "spsim", where, pp);
  p.topology = json_need_string(prov, "topology", where, pp);
  for (const auto& i : json_need_array(prov, "inputs", where, pp)) {
    const std::string ip = pp + "inputs.";
    if (!i.is_object()) throw InputError(json_key_at(where, pp + "inputs"), "a list of objects");
    json_only_keys(i, {"file", "groups", "fraction", "points"}, where, ip);
    CalibrationInput in;
    in.file = json_need_string(i, "file", where, ip);
    for (const auto& g : json_need_array(i, "groups", where, ip)) {
      if (!g.is_string()) throw InputError(json_key_at(where, ip + "groups"), "a list of strings");
      in.groups.push_back(g.get<std::string>());
    }
    in.fraction = json_need_number(i, "fraction", where, ip, 0, 1);
    in.points = json_need_count(i, "points", where, ip);
    p.inputs.push_back(std::move(in));
  }
  for (const auto& f : json_need_array(prov, "fits", where, pp)) {
    const std::string fp = pp + "fits.";
    if (!f.is_object()) throw InputError(json_key_at(where, pp + "fits"), "a list of objects");
    json_only_keys(f, {"quantity", "value", "points", "median_rel_error", "p90_rel_error", "max_rel_error"}, where, fp);
    CalibrationFit x;
    x.quantity = json_need_string(f, "quantity", where, fp);
    x.value = json_need_string(f, "value", where, fp);
    x.points = json_need_count(f, "points", where, fp);
    x.median_rel_error = json_need_number(f, "median_rel_error", where, fp, 0, 1e300);
    x.p90_rel_error = json_need_number(f, "p90_rel_error", where, fp, 0, 1e300);
    x.max_rel_error = json_need_number(f, "max_rel_error", where, fp, 0, 1e300);
    p.fits.push_back(std::move(x));
  }
  for (const auto& s : json_need_array(prov, "not_fitted", where, pp)) {
    if (!s.is_string()) throw InputError(json_key_at(where, pp + "not_fitted"), "a list of strings");
    p.not_fitted.push_back(s.get<std::string>());
  }
  return p;
}

CalibrationProfile load_calibration_profile(const std::string& path) {
  return parse_calibration_profile(read_input_file(path, "calibration profile"), path);
}

}  // namespace spsim
