#pragma once
// Files the tests read and write: the real measured files of
// ../shared/reference/data, and scratch files in the temporary directory.
// SPSIM_SOURCE_DIR is the repository root (tests/CMakeLists.txt).

#include <filesystem>
#include <fstream>
#include <string>

namespace spsim::test {

// The path of `relative` under ../shared/reference/data ("kineto/x.json.gz").
inline std::string reference_data(const std::string& relative) {
  return std::string(SPSIM_SOURCE_DIR) + "/../shared/reference/data/" + relative;
}

// Writes `bytes` (exactly, binary) to `file_name` in the temporary directory
// and returns its path; callers prefix the name with their test's name so
// tests running at once do not share files.
inline std::string write_temp(const std::string& file_name, const std::string& bytes) {
  const auto path = std::filesystem::temp_directory_path() / file_name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path.string();
}

}  // namespace spsim::test
