#pragma once
// Reading a user's input file whole, with the bad-input contract: a path that
// is empty, a directory, not readable or larger than kMaxInputFileBytes is an
// InputError naming the path (never an unbounded allocation).

#include <cstddef>
#include <string>
#include <string_view>

namespace spsim {

// spsim's input files (configs, topologies, profiles, models, lengths lists)
// are kilobytes to a few megabytes; anything larger is refused as it is read.
inline constexpr std::size_t kMaxInputFileBytes = std::size_t{256} << 20;  // 256 MiB

// The text of the file at `path`. `what` names the kind of file in messages
// ("model JSON file"). Throws InputError(path, ...) when `path` is a
// directory or cannot be read.
std::string read_input_file(const std::string& path, std::string_view what);

}  // namespace spsim
