#pragma once
// Reading the fields of a parsed JSON document (program/input_json.h) with the
// bad-input contract: every miss is an InputError naming the document and the
// key ("profile.json: key 'provenance.fits'") and what was expected. `prefix`
// is the dotted path of the object the key is in ("" at the top level,
// "provenance." inside "provenance").

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

namespace spsim {

// "where: key 'key'".
std::string json_key_at(const std::string& where, const std::string& key);
// Refuses any key of `j` not in `keys`.
void json_only_keys(const nlohmann::json& j, std::initializer_list<const char*> keys, const std::string& where,
                    const std::string& prefix);
const nlohmann::json& json_need(const nlohmann::json& j, const char* key, const std::string& where,
                                const std::string& prefix);
std::string json_need_string(const nlohmann::json& j, const char* key, const std::string& where,
                             const std::string& prefix);
// A number in [lo, hi].
double json_need_number(const nlohmann::json& j, const char* key, const std::string& where, const std::string& prefix,
                        double lo, double hi);
// An integer in [0, 2^40].
std::size_t json_need_count(const nlohmann::json& j, const char* key, const std::string& where,
                            const std::string& prefix);
const nlohmann::json& json_need_array(const nlohmann::json& j, const char* key, const std::string& where,
                                      const std::string& prefix);

}  // namespace spsim
