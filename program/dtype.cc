#include "program/dtype.h"

namespace spsim {

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::kF16: return "fp16";
    case DType::kBF16: return "bf16";
    case DType::kF32: return "fp32";
    case DType::kF64: return "fp64";
  }
  return "?";
}

std::optional<DType> parse_dtype(std::string_view s) {
  if (s == "fp16" || s == "float16") return DType::kF16;
  if (s == "bf16" || s == "bfloat16") return DType::kBF16;
  if (s == "fp32" || s == "float32") return DType::kF32;
  if (s == "fp64" || s == "float64") return DType::kF64;
  return std::nullopt;
}

}  // namespace spsim
