#pragma once
// Writing a command's output file (--json, --out, --dot) with the bad-input
// contract: a path that cannot be opened, or a write that does not complete
// (a full device), is an InputError naming the flag and the path — never a
// "written" message over a missing file.

#include <string>

namespace spsim::cli {

// Writes `text` to `path` (binary, so bytes are exactly `text`). Throws
// InputError(flag, "cannot write '<path>'") or
// InputError(flag, "could not write all of '<path>' (is the device full?)").
void write_output_file(const std::string& flag, const std::string& path, const std::string& text);

// The date an output file records ("2026-12-01"): SOURCE_DATE_EPOCH when set
// (reproducible builds' convention, so outputs can be byte-identical), else
// today (UTC). Throws InputError for a SOURCE_DATE_EPOCH that is not seconds.
std::string creation_date();

}  // namespace spsim::cli
