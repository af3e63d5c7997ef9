#include "program/input_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "program/input_error.h"

namespace spsim {

std::string read_input_file(const std::string& path, std::string_view what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(path, "is a directory; expected a " + std::string(what));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot open the " + std::string(what));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace spsim
