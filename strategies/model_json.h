#pragma once
// Models as JSON files: the form of `--model-file FILE` and of the presets
// (models/*.json, embedded into the binary at build time).
//
// Keys (unknown keys are errors naming the key):
//   required  layers, hidden, heads, kv_heads, head_dim, ffn, vocab
//             (positive integers; heads a multiple of kv_heads)
//   optional  name             string (default: the file name without .json)
//             decoder_layers   an encoder-decoder model (spsim stream): its
//                              decoder layers; `layers` are then the encoder's
//             attention        "softmax" (default) or "linear"
//             softmax_every    with "linear": a softmax layer every N-th layer
//                              (a hybrid, as LASP-2H evaluates)
//             causal           true (decoder, default) or false (encoder)
//             activation       "swiglu" (gated MLP, 3 matrices; default),
//                              "gelu" or "relu" (plain MLP, 2 matrices)
//             norm             "rmsnorm" (default) or "layernorm"
//             linear_bias      projections carry biases (default false)
//             learned_positions rows of a learned position table (default 0)
//             tied_embeddings  output head shares the embeddings (default false)
//             source           where the numbers come from (citation)
// The defaults describe a Llama-style softmax decoder.

#include <string>
#include <string_view>

#include "strategies/model.h"

namespace spsim {

// Parses one model from JSON text. `where` names the input in errors
// (a file path); `default_name` is used when the text has no "name".
// Throws InputError("<where>: key '<k>'", ...) for a bad or unknown key,
// InputError(where, ...) for text that is not a JSON object.
ModelSpec parse_model_json(std::string_view text, const std::string& where, const std::string& default_name);

// Reads and parses a model file. InputError naming the path when it cannot
// be read.
ModelSpec load_model_file(const std::string& path);

// The JSON text of a model (the form parse_model_json reads), keys in a
// fixed order, defaults written out; ends with a newline.
std::string model_json(const ModelSpec& model);

// One line per key, for `spsim list models`.
std::string model_file_keys_help();

}  // namespace spsim
