#pragma once
// A CSV file as spsim writes it (sweep --csv): a header line of column
// names, then rows of as many fields; RFC 4180 quoting (a field holding a
// comma, a quote or a line break is quoted, quotes doubled); every line ends
// with a newline.

#include <optional>
#include <string>
#include <vector>

namespace spsim::cli {

struct CsvTable {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;  // each of columns.size() fields

  // The index of `column`, or nullopt.
  std::optional<std::size_t> find(const std::string& column) const;
};

// InputError("<path>: line N", ...) for a field count that differs from the
// header's, an unclosed quote, or a last line without its newline.
CsvTable parse_csv_table(const std::string& text, const std::string& path);

}  // namespace spsim::cli
