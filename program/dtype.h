#pragma once
// Element types of Program buffers. Only the byte width matters to the cost
// model; the host executor computes in float64 whatever the declared dtype.

#include <cstdint>
#include <optional>
#include <string_view>

namespace spsim {

enum class DType : std::uint8_t { kF16, kBF16, kF32, kF64 };

// Bytes per element.
constexpr std::uint32_t dtype_bytes(DType t) {
  switch (t) {
    case DType::kF16:
    case DType::kBF16: return 2;
    case DType::kF32: return 4;
    case DType::kF64: return 8;
  }
  return 0;
}

// "fp16", "bf16", "fp32", "fp64".
std::string_view dtype_name(DType t);

// Parses the names dtype_name() prints (also "float16", "bfloat16", "float32",
// "float64"); nullopt for anything else.
std::optional<DType> parse_dtype(std::string_view s);

}  // namespace spsim
