#include "program/json_fields.h"

#include "program/input_error.h"

namespace spsim {

std::string json_key_at(const std::string& where, const std::string& key) { return where + ": key '" + key + "'"; }

void json_only_keys(const nlohmann::json& j, std::initializer_list<const char*> keys, const std::string& where,
                    const std::string& prefix) {
  for (const auto& [k, v] : j.items()) {
    bool known = false;
    for (const char* x : keys) known = known || k == x;
    if (!known) throw InputError(json_key_at(where, prefix + k), "unknown key");
  }
}

const nlohmann::json& json_need(const nlohmann::json& j, const char* key, const std::string& where,
                                const std::string& prefix) {
  const auto it = j.find(key);
  if (it == j.end()) throw InputError(json_key_at(where, prefix + key), "missing");
  return *it;
}

std::string json_need_string(const nlohmann::json& j, const char* key, const std::string& where,
                             const std::string& prefix) {
  const auto& v = json_need(j, key, where, prefix);
  if (!v.is_string()) throw InputError(json_key_at(where, prefix + key), "a string");
  return v.get<std::string>();
}

double json_need_number(const nlohmann::json& j, const char* key, const std::string& where, const std::string& prefix,
                        double lo, double hi) {
  const auto& v = json_need(j, key, where, prefix);
  if (!v.is_number() || !(v.get<double>() >= lo && v.get<double>() <= hi))
    throw InputError(json_key_at(where, prefix + key),
                     "a number in [" + nlohmann::json(lo).dump() + ", " + nlohmann::json(hi).dump() + "]");
  return v.get<double>();
}

std::size_t json_need_count(const nlohmann::json& j, const char* key, const std::string& where,
                            const std::string& prefix) {
  const auto& v = json_need(j, key, where, prefix);
  if (!v.is_number_unsigned() || v.get<std::uint64_t>() > (std::uint64_t{1} << 40))
    throw InputError(json_key_at(where, prefix + key), "a count (an integer >= 0)");
  return static_cast<std::size_t>(v.get<std::uint64_t>());
}

const nlohmann::json& json_need_array(const nlohmann::json& j, const char* key, const std::string& where,
                                      const std::string& prefix) {
  const auto& v = json_need(j, key, where, prefix);
  if (!v.is_array()) throw InputError(json_key_at(where, prefix + key), "a list");
  return v;
}

}  // namespace spsim
