#pragma once
// The model presets as they are stored: the JSON files of models/ (the
// --model-file form, strategies/model_json.h), embedded at build time by
// strategies/CMakeLists.txt into a generated source.

#include <span>
#include <string_view>

namespace spsim {

struct EmbeddedModel {
  std::string_view name;  // the file name without .json
  std::string_view json;  // the file's text
};

// In display order. Static storage.
std::span<const EmbeddedModel> embedded_model_presets();

}  // namespace spsim
