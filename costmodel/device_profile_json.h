#pragma once
// DeviceProfile as JSON: how a calibrated profile travels between runs.
//
// Format (every key of DeviceProfile, nested for the attention kernels):
//   { "name": "h100-sxm5", "peak_bf16_flop_per_s": 9.89e14, ...,
//     "attention_fwd": { "tile_q": 128, "tile_k": 128,
//                        "full":   { "eff_max": 0.66, "half_length": 190.0 },
//                        "causal": { "eff_max": 0.65, "half_length": 260.0 } },
//     "attention_bwd": { ... }, ..., "source": "..." }
// An optional "base": "<preset key>" starts from that preset, so a file may
// give only the keys it changes (nested objects merge key by key). Without
// "base" every key is required. Unknown keys, wrong types and out-of-range
// values are errors naming the file and the key path ("attention_fwd.tile_q").
// save_device_profile writes every key (no "base"); loading what it wrote
// gives back an identical profile (doubles are written shortest-round-trip).

#include <iosfwd>
#include <string>
#include <string_view>

#include "costmodel/device_profile.h"

namespace spsim {

// Reads a profile from a JSON file. Throws InputError(path ..., expected).
DeviceProfile load_device_profile(const std::string& path);

// Reads a profile from a stream; `where` names the source in errors.
DeviceProfile parse_device_profile(std::istream& in, std::string_view where);

// Writes `profile` as JSON (2-space indent, fixed key order, trailing newline).
void save_device_profile(const DeviceProfile& profile, std::ostream& out);

}  // namespace spsim
