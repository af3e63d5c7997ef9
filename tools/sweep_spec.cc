#include "tools/sweep_spec.h"

#include <fmt/format.h>

#include "program/input_error.h"
#include "program/input_json.h"
#include "tools/settings.h"

namespace spsim::cli {

namespace {

using ojson = nlohmann::ordered_json;

std::vector<std::string_view> split_on(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    const auto at = text.find(sep);
    out.push_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return out;
}

const SettingSpec& sweepable(std::string_view name, const std::string& where, std::string_view command) {
  const SettingSpec* spec = find_setting(name);
  if (!spec || !sweepable_setting(name, command))
    throw InputError(where, "'" + std::string(name) + "' is not a setting a sweep can vary; expected one of spsim " +
                                std::string(command) +
                                "'s study settings (spsim list settings), not an output file or --memory-limit" +
                                (command == "run" && sweepable_setting(name, "stream")
                                     ? " (it is spsim stream's: give --command stream)"
                                     : ""));
  return *spec;
}

ojson checked(const SettingSpec& spec, const nlohmann::json& v, const std::string& where) {
  return ojson(setting_json_checked(spec, v, where));
}

}  // namespace

bool sweepable_setting(std::string_view name, std::string_view command) {
  const SettingSpec* spec = find_setting(name);
  return spec && setting_of_command(*spec, command) && setting_of_command(*spec, "sweep") && name != "memory-limit";
}

std::string_view sweep_variant_column(std::string_view command) { return command == "stream" ? "policy" : "strategy"; }

void SweepSpec::add_axis(SweepAxis axis, const std::string& where) {
  for (const std::string& n : axis.names)
    for (const SweepAxis& a : axes)
      for (const std::string& m : a.names) {
        if (n == m) throw InputError(where, "'" + n + "' is already an axis of this sweep; give each setting once");
        if (settings_exclusive(n, m))
          throw InputError(where, "'" + n + "' and the axis '" + m + "' replace one another; sweep one of them");
      }
  std::size_t total = size();
  if (axis.points.empty()) throw InputError(where, "an axis needs at least one value");
  if (total > kMaxSweepConfigurations / axis.points.size())
    throw InputError(where, fmt::format("the sweep would have more than {} configurations", kMaxSweepConfigurations));
  axes.push_back(std::move(axis));
}

std::size_t SweepSpec::size() const {
  std::size_t n = 1;
  for (const SweepAxis& a : axes) n *= a.points.size();
  return n;
}

std::vector<std::string> SweepSpec::names() const {
  std::vector<std::string> out;
  for (const SweepAxis& a : axes) out.insert(out.end(), a.names.begin(), a.names.end());
  return out;
}

std::vector<ojson> SweepSpec::point(std::size_t i) const {
  // Mixed radix, the last axis the fastest digit.
  std::vector<std::size_t> digit(axes.size());
  for (std::size_t a = axes.size(); a-- > 0;) {
    digit[a] = i % axes[a].points.size();
    i /= axes[a].points.size();
  }
  std::vector<ojson> out;
  for (std::size_t a = 0; a < axes.size(); ++a)
    for (const ojson& v : axes[a].points[digit[a]]) out.push_back(v);
  return out;
}

ojson SweepSpec::config(std::size_t i) const {
  const std::vector<std::string> n = names();
  const std::vector<ojson> v = point(i);
  ojson doc = ojson::object();
  for (const auto& [key, value] : base.items()) {
    bool dropped = false;
    for (const std::string& name : n) dropped = dropped || key == name || settings_exclusive(key, name);
    if (!dropped) doc[key] = value;
  }
  for (std::size_t k = 0; k < n.size(); ++k) doc[n[k]] = v[k];
  return doc;
}

ojson SweepSpec::describe() const {
  ojson j;
  if (command != "run") j["command"] = command;
  j["base"] = base;
  ojson arr = ojson::array();
  for (const SweepAxis& a : axes) {
    ojson axis;
    axis["names"] = a.names;
    axis["points"] = a.points;
    arr.push_back(std::move(axis));
  }
  j["axes"] = std::move(arr);
  return j;
}

SweepAxis parse_set_axis(std::string_view text, const std::string& where, std::string_view command) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size())
    throw InputError(where, "expected NAME=VALUE,VALUE,... (e.g. seq=64K,128K), got '" + std::string(text) + "'");
  const std::string name(text.substr(0, eq));
  const std::string w = where + " " + name;
  const SettingSpec& spec = sweepable(name, where, command);
  SweepAxis axis;
  axis.names = {name};
  // A list setting's own values are comma-separated: its points go between ';'.
  const char sep = spec.kind == SettingKind::kIntegers ? ';' : ',';
  for (std::string_view value : split_on(text.substr(eq + 1), sep)) {
    if (axis.points.size() == kMaxAxisPoints) throw InputError(w, fmt::format("more than {} values", kMaxAxisPoints));
    axis.points.push_back({ojson(setting_json_from_text(spec, std::string(value), w))});
  }
  return axis;
}

SweepSpec parse_sweep_file(std::string_view text, const std::string& where, std::string_view command) {
  // Checked by the common reader (duplicates, depth, numbers), then read
  // again keeping the file's key order (the axes' order).
  const nlohmann::json checked_doc = parse_input_json(text, where);
  if (!checked_doc.is_object()) throw InputError(where, "expected a JSON object with keys base, grid, zip");
  const ojson doc = ojson::parse(text);
  SweepSpec spec;
  spec.command = command.empty() ? "run" : std::string(command);
  for (const auto& [key, value] : doc.items())
    if (key != "base" && key != "grid" && key != "zip" && key != "command")
      throw InputError(where + ": key '" + key + "'", "unknown key; expected one of: base, grid, zip, command");
  if (doc.contains("command")) {
    const ojson& c = doc["command"];
    if (!c.is_string() || (c != "run" && c != "stream"))
      throw InputError(where + ": key 'command'", "expected \"run\" or \"stream\", got " + c.dump());
    if (!command.empty() && c.get<std::string>() != command)
      throw InputError(where + ": key 'command'", "is " + c.dump() + ", but --command is " + std::string(command));
    spec.command = c.get<std::string>();
  }

  if (doc.contains("base")) {
    const std::string w = where + ": key 'base'";
    if (!doc["base"].is_object()) throw InputError(w, "expected an object of settings");
    for (const auto& [key, value] : doc["base"].items()) {
      const std::string wk = w + ": key '" + key + "'";
      spec.base[key] = checked(sweepable(key, wk, spec.command), value, wk);
    }
  }
  auto values_of = [&](const std::string& name, const ojson& list, const std::string& w) {
    const SettingSpec& s = sweepable(name, w, spec.command);
    if (!list.is_array() || list.empty()) throw InputError(w, "expected a non-empty list of values");
    if (list.size() > kMaxAxisPoints) throw InputError(w, fmt::format("more than {} values", kMaxAxisPoints));
    std::vector<ojson> out;
    for (std::size_t k = 0; k < list.size(); ++k)
      out.push_back(checked(s, nlohmann::json::parse(list[k].dump()), fmt::format("{}[{}]", w, k)));
    return out;
  };
  if (doc.contains("grid")) {
    const std::string w = where + ": key 'grid'";
    if (!doc["grid"].is_object()) throw InputError(w, "expected an object: setting name -> list of values");
    for (const auto& [name, list] : doc["grid"].items()) {
      const std::string wn = w + ": key '" + name + "'";
      SweepAxis axis;
      axis.names = {name};
      for (ojson& v : values_of(name, list, wn)) axis.points.push_back({std::move(v)});
      spec.add_axis(std::move(axis), wn);
    }
  }
  if (doc.contains("zip")) {
    const std::string w = where + ": key 'zip'";
    const ojson& z = doc["zip"];
    if (!z.is_object() && !z.is_array()) throw InputError(w, "expected an object (one zipped axis) or a list of them");
    const ojson groups = z.is_object() ? ojson::array({z}) : z;
    for (std::size_t g = 0; g < groups.size(); ++g) {
      const std::string wg = z.is_object() ? w : fmt::format("{}[{}]", w, g);
      if (!groups[g].is_object() || groups[g].empty())
        throw InputError(wg, "expected an object: setting name -> list of values");
      SweepAxis axis;
      for (const auto& [name, list] : groups[g].items()) {
        const std::string wn = wg + ": key '" + name + "'";
        std::vector<ojson> values = values_of(name, list, wn);
        if (!axis.names.empty() && values.size() != axis.points.size())
          throw InputError(wn, fmt::format("has {} values, '{}' has {}; zipped settings need lists of one length",
                                           values.size(), axis.names.front(), axis.points.size()));
        if (axis.points.empty()) axis.points.resize(values.size());
        for (const std::string& other : axis.names)
          if (settings_exclusive(other, name))
            throw InputError(wn, "'" + name + "' and '" + other + "' cannot both be set");
        axis.names.push_back(name);
        for (std::size_t k = 0; k < values.size(); ++k) axis.points[k].push_back(std::move(values[k]));
      }
      spec.add_axis(std::move(axis), wg);
    }
  }
  return spec;
}

}  // namespace spsim::cli
