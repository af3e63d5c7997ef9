#include "tools/csv_table.h"

#include <fmt/format.h>

#include "program/input_error.h"

namespace spsim::cli {

namespace {

// One line's fields. A quoted field may not span lines (spsim writes none).
std::vector<std::string> fields_of(std::string_view line, const std::string& where) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  if (quoted) throw InputError(where, "a quoted field is not closed");
  return out;
}

}  // namespace

std::optional<std::size_t> CsvTable::find(const std::string& column) const {
  for (std::size_t k = 0; k < columns.size(); ++k)
    if (columns[k] == column) return k;
  return std::nullopt;
}

CsvTable parse_csv_table(const std::string& text, const std::string& path) {
  CsvTable t;
  std::size_t begin = 0, line = 0;
  while (begin < text.size()) {
    const std::size_t end = text.find('\n', begin);
    const std::string where = fmt::format("{}: line {}", path, ++line);
    if (end == std::string::npos) throw InputError(where, "not ended by a newline (a cut file?)");
    std::string_view l = std::string_view(text).substr(begin, end - begin);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    begin = end + 1;
    std::vector<std::string> f = fields_of(l, where);
    if (line == 1) {
      t.columns = std::move(f);
      continue;
    }
    if (f.size() != t.columns.size())
      throw InputError(where, fmt::format("{} fields; the header has {}", f.size(), t.columns.size()));
    t.rows.push_back(std::move(f));
  }
  if (line == 0) throw InputError(path, "is empty; expected a CSV header line");
  return t;
}

}  // namespace spsim::cli
