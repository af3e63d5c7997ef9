#pragma once
// Softmax or linear attention: what a model layer is, and what a strategy emits.

#include <cstdint>
#include <string_view>

namespace spsim {

enum class AttentionKind : std::uint8_t { kSoftmax, kLinear };

// "softmax" / "linear".
constexpr std::string_view attention_kind_name(AttentionKind kind) {
  return kind == AttentionKind::kLinear ? "linear" : "softmax";
}

}  // namespace spsim
