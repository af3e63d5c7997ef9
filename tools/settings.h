#pragma once
// The settings of spsim's commands, declared once (tools/settings.cc: the
// table) and made from there into both a command-line flag (--name) and a
// key of a JSON config file ("name"), with one validation for both.
//
// A command binds the settings it takes to the fields of its own argument
// struct (the field's initial value is the default), parses, then calls
// apply(): the flags given are validated and stored; then a --config file's
// keys are validated and stored for the settings no flag gave (a flag wins
// over the file); then the table's rules between settings are checked (one
// replaces another, one has no effect without another). Every error is an
// InputError naming where the value came from: "--sp", or
// "study.json: key 'sp'".

#include <CLI/CLI.hpp>
#include <nlohmann/json_fwd.hpp>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "program/input_error.h"

namespace spsim::cli {

enum class SettingKind {
  kText,        // a name (preset, strategy, distribution): checked by the command
  kPath,        // a file to read or write: non-empty
  kChoice,      // one of `choices`
  kInteger,     // in [min, max]
  kIntegers,    // a comma-separated list (a JSON array) of integers in [min, max], at most max_count
  kReal,        // a finite number in [real_min, real_max] (or (real_min, ...] when min_open)
  kTokenCount,  // "384K", "2M" or an integer, in [min, max] tokens
  kFlag,        // a switch (JSON true/false)
};

struct SettingSpec {
  std::string_view name;  // the flag without "--", and the config key
  SettingKind kind = SettingKind::kText;
  std::string_view help;
  std::string_view unit = "";  // of the value, for the help text: "tokens", "s", "GB"
  std::int64_t min = 0, max = 0;
  std::size_t max_count = 0;  // kIntegers
  double real_min = 0, real_max = 0;
  bool min_open = false;
  std::string_view choices = "";     // kChoice: comma-separated
  std::string_view commands;         // comma-separated: the commands that take it
  std::string_view strategies = "";  // comma-separated: only these strategies (stream: policies) use it (empty: all)
  std::string_view replaces = "";    // comma-separated: settings it replaces (an error to give both)
  std::string_view needs = "";       // comma-separated: settings without which it has no effect ("a|b": either)
};

// The whole table (for `spsim list settings` and the docs).
std::span<const SettingSpec> setting_specs();
const SettingSpec* find_setting(std::string_view name);
// Whether `command` takes the setting.
bool setting_of_command(const SettingSpec& spec, std::string_view command);
// Whether settings a and b cannot both be given (one replaces the other).
bool settings_exclusive(std::string_view a, std::string_view b);
// "integer in 1..65536 tokens", "one of: none, selective, full": what a value must be.
std::string setting_expectation(const SettingSpec& spec);

// A parsed, validated value of one setting.
struct SettingValue {
  std::string text;                   // kText, kPath, kChoice
  std::int64_t integer = 0;           // kInteger, kTokenCount
  std::vector<std::int64_t> integers; // kIntegers
  double real = 0;                    // kReal
  bool flag = false;                  // kFlag
};

// One value of the setting, checked as a flag's text (`text`) or as a config
// key's JSON value (`value`), as the JSON a config file would give; what a
// sweep's axes hold. InputError(where, ...) when it is not what the setting
// takes.
nlohmann::json setting_json_from_text(const SettingSpec& spec, const std::string& text, const std::string& where);
nlohmann::json setting_json_checked(const SettingSpec& spec, const nlohmann::json& value, const std::string& where);

class Settings {
 public:
  // Adds --config to `cmd` when `command` takes config files.
  Settings(CLI::App& cmd, std::string_view command);
  Settings(const Settings&) = delete;
  Settings& operator=(const Settings&) = delete;

  // Adds the flag --name to the command and makes "name" a config key; the
  // value goes into `field`, whose current value is the default shown.
  // Field types: std::string, std::optional<std::string>, integers,
  // std::optional of an integer, std::vector of an integer, double, bool.
  template <class T>
  Settings& bind(std::string_view name, T& field) {
    add(name, make_store(field), default_text(field), integer_limits<T>());
    return *this;
  }

  // After the command line is parsed: validates the flags, reads the config
  // file, checks the rules between settings. Throws InputError.
  void apply();
  // apply() with the config file's text given (`where` names it); for tests
  // and fuzzing.
  void apply_config_text(std::string_view text, const std::string& where);

  // Forgets what apply() stored the origins of and what the command line
  // gave (with CLI::App::clear(), for parsing again; the fields keep their values).
  void reset() {
    origin_.clear();
    for (auto& [name, b] : bound_) {
      b.raw.clear();
      b.value.reset();
    }
  }

  bool given(std::string_view name) const { return origin_.count(std::string(name)) > 0; }
  // After apply(): every setting given (flag or config key), as a config
  // document of the checked values, keys sorted.
  nlohmann::ordered_json given_json() const;
  // Where the setting's value came from, for messages: "--sp" (also when
  // not given) or "study.json: key 'sp'".
  std::string where(std::string_view name) const;
  // Settings given that `strategy` does not use: an InputError naming the
  // first. "all" uses every setting. `what` names it in the message
  // ("strategy"; spsim stream: "policy").
  void check_used_by(std::string_view strategy, std::string_view what = "strategy") const;
  // An InputError thrown by code that names a flag ("--sp: ...") rewritten
  // to name the config key when the value came from the config file.
  InputError relocate(const InputError& e) const;

 private:
  void apply_flags();
  void apply_config_keys(std::string_view text, const std::string& where);
  void check_rules() const;
  using Store = std::function<void(const SettingValue&)>;
  using Limits = std::optional<std::pair<long double, long double>>;
  // `limits`: the range of an integer field, which must hold the table's range.
  void add(std::string_view name, Store store, std::string default_shown, Limits limits);

  template <class T>
  static Store make_store(T& field);
  template <class T>
  static std::string default_text(const T& field);
  template <class T>
  static Limits integer_limits();

  struct Bound {
    const SettingSpec* spec;
    Store store;
    CLI::Option* option;
    std::vector<std::string> raw;       // what the command line gave
    std::optional<SettingValue> value;  // what apply() stored, when given
  };
  CLI::App& cmd_;
  std::string command_;
  std::string config_file_;
  CLI::Option* config_option_ = nullptr;
  std::map<std::string, Bound> bound_;
  std::map<std::string, std::string> origin_;  // name -> "--name" or "file: key 'name'"
};

// ----- implementation of the templates -----

namespace detail {
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};
template <class T>
struct value_of {
  using type = T;
};
template <class T>
struct value_of<std::optional<T>> {
  using type = T;
};
template <class T>
struct value_of<std::vector<T>> {
  using type = T;
};
}  // namespace detail

template <class T>
Settings::Store Settings::make_store(T& field) {
  if constexpr (std::is_same_v<T, std::string>) {
    return [&field](const SettingValue& v) { field = v.text; };
  } else if constexpr (std::is_same_v<T, bool>) {
    return [&field](const SettingValue& v) { field = v.flag; };
  } else if constexpr (std::is_floating_point_v<T>) {
    return [&field](const SettingValue& v) { field = v.real; };
  } else if constexpr (std::is_integral_v<T>) {
    return [&field](const SettingValue& v) { field = static_cast<T>(v.integer); };
  } else if constexpr (detail::is_optional<T>::value) {
    using U = typename T::value_type;
    if constexpr (std::is_same_v<U, std::string>) return [&field](const SettingValue& v) { field = v.text; };
    else return [&field](const SettingValue& v) { field = static_cast<U>(v.integer); };
  } else {
    static_assert(detail::is_vector<T>::value, "unsupported setting field type");
    using U = typename T::value_type;
    return [&field](const SettingValue& v) {
      field.clear();
      for (std::int64_t x : v.integers) field.push_back(static_cast<U>(x));
    };
  }
}

template <class T>
std::string Settings::default_text(const T& field) {
  if constexpr (std::is_same_v<T, std::string>) return field;
  else if constexpr (std::is_same_v<T, bool>) return "";
  else if constexpr (std::is_arithmetic_v<T>) {
    std::ostringstream s;
    s << field;
    return s.str();
  } else if constexpr (detail::is_vector<T>::value) {
    std::ostringstream s;  // a list's default as its flag takes it: "30" or "1,2"
    for (std::size_t i = 0; i < field.size(); ++i) s << (i ? "," : "") << field[i];
    return s.str();
  } else return "";
}

template <class T>
Settings::Limits Settings::integer_limits() {
  using U = std::conditional_t<detail::is_optional<T>::value || detail::is_vector<T>::value,
                               typename detail::value_of<T>::type, T>;
  if constexpr (std::is_integral_v<U> && !std::is_same_v<U, bool>)
    return std::pair<long double, long double>(std::numeric_limits<U>::min(), std::numeric_limits<U>::max());
  else
    return std::nullopt;
}

}  // namespace spsim::cli
