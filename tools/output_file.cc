#include "tools/output_file.h"

#include <fstream>

#include "program/input_error.h"

namespace spsim::cli {

void write_output_file(const std::string& flag, const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw InputError(flag, "cannot write '" + path + "'");
  out << text;
  if (!out.flush()) throw InputError(flag, "could not write all of '" + path + "' (is the device full?)");
}

}  // namespace spsim::cli
