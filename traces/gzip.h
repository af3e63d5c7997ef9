#pragma once
// Inflating gzip input (Kineto's .json.gz traces) with zlib, bounded.

#include <cstddef>
#include <string>
#include <string_view>

#include "program/input_file.h"

namespace spsim {

// The bytes a gzip (or zlib) stream inflates to; several gzip members are
// concatenated, as gunzip does. Throws InputError(where, ...) when `bytes`
// are corrupt or end early, or inflate to more than `max_bytes` (checked
// while inflating, so a "zip bomb" stops at the limit).
std::string inflate_gzip(std::string_view bytes, const std::string& where,
                         std::size_t max_bytes = kMaxInputFileBytes);

}  // namespace spsim
