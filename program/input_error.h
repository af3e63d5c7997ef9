#pragma once
// InputError: the user's input is wrong (a flag, a config key, a file). Carries
// where the problem is and what was expected; the CLI prints it as one line
// and exits with code 2. Library code throws it and never prints or exits.
// (Header-only so that every module can throw it without a link dependency.)

#include <stdexcept>
#include <string>

namespace spsim {

class InputError : public std::runtime_error {
 public:
  // where: "--seq", "config.json: key 'sp'", "topo.json"; what: what was expected.
  InputError(std::string where, std::string what)
      : std::runtime_error(where + ": " + what), where_(std::move(where)), what_(std::move(what)) {}
  const std::string& where() const { return where_; }
  const std::string& expected() const { return what_; }

 private:
  std::string where_;
  std::string what_;
};

}  // namespace spsim
