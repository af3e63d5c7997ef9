#include "tools/output_file.h"

#include <cstdlib>
#include <ctime>
#include <fstream>

#include "program/input_error.h"

namespace spsim::cli {

void write_output_file(const std::string& flag, const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw InputError(flag, "cannot write '" + path + "'");
  out << text;
  if (!out.flush()) throw InputError(flag, "could not write all of '" + path + "' (is the device full?)");
}

std::string creation_date() {
  std::time_t t = std::time(nullptr);
  if (const char* e = std::getenv("SOURCE_DATE_EPOCH")) {
    char* end = nullptr;
    const long long v = std::strtoll(e, &end, 10);
    if (end == e || *end != '\0' || v < 0) throw InputError("SOURCE_DATE_EPOCH", "seconds since 1970 (an integer >= 0)");
    t = static_cast<std::time_t>(v);
  }
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

}  // namespace spsim::cli
