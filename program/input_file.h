#pragma once
// Reading a user's input file whole, with the bad-input contract: a path that
// is a directory or cannot be opened is an InputError naming the path.

#include <string>
#include <string_view>

namespace spsim {

// The text of the file at `path`. `what` names the kind of file in messages
// ("model JSON file"). Throws InputError(path, ...) when `path` is a
// directory or cannot be read.
std::string read_input_file(const std::string& path, std::string_view what);

}  // namespace spsim
