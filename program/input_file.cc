#include "program/input_file.h"

#include <filesystem>
#include <fstream>

#include "program/input_error.h"

namespace spsim {

std::string read_input_file(const std::string& path, std::string_view what) {
  if (path.empty()) throw InputError("''", "an empty path; expected the path of a " + std::string(what));
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(path, "is a directory; expected a " + std::string(what));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot open the " + std::string(what));
  // Read in chunks, so that a huge file or an endless device (/dev/zero)
  // stops at the limit.
  std::string text;
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxInputFileBytes)
      throw InputError(path, "larger than " + std::to_string(kMaxInputFileBytes >> 20) + " MiB; not a " +
                                 std::string(what) + " spsim reads");
  }
  if (in.bad()) throw InputError(path, "could not be read as a " + std::string(what));
  return text;
}

}  // namespace spsim
