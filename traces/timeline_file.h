#pragma once
// The Timeline file: one JSON format for what spsim predicted (`spsim run
// --timeline`) and what a replay measured on GPUs (`spsim replay --timeline`),
// op by op, so that the two line up by op id (docs/formats.md, "Timeline").
//
//   {"spsim_timeline": 1, "source": "predicted" | "measured",
//    "mode": "simulated" | "multi-gpu" | "emulated" | "kernels",
//    "spsim": "0.1.0", "created": "2026-12-01T12:00:00Z" (measured only),
//    "study": {...}           the settings of the study, as a --config file
//                             holds them (lowering them again gives the same
//                             Program, so the op ids below are its ops),
//    "strategy": "ring", "title": "ring llama3-8b 1x131072 P=8 on h100-sxm8",
//    "devices": ["node0/gpu0", ...]   per rank: where it ran,
//    "device_type": "h100-sxm" | "NVIDIA H200",
//    "network_model": "flow" (predicted) | "nccl" (measured),
//    "step_ns": 1234 (null when the mode measures no step: kernels),
//    "repeats": 1 (measured: runs the medians are over),
//    "ops": [{"op": 0, "rank": 0, "stream": "compute", "kind": "attn_fwd",
//             "label": "attn_fwd", "layer": 0, "step": 0,
//             "start_ns": 0, "end_ns": 1200, "bytes": 1.2e6, "flops": 3.4e9,
//             "kernel": "roofline" | the CUDA kernel / NCCL call that ran}, ...]}
//
// Times are integer nanoseconds from the start of the step (kernels mode: each
// op measured alone, start_ns 0). `ops` is in op id order; in kernels mode only
// the ops that were timed appear. Same input, same bytes: a predicted file
// has no date.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "program/program.h"

namespace spsim {

struct TimelineOpRecord {
  std::uint32_t op = 0;
  RankId rank = 0;
  std::string stream;
  std::string kind;   // op_kind_name()
  std::string label;  // Program::op_label()
  std::uint16_t layer = 0;
  std::uint32_t step = 0;
  std::int64_t start_ns = 0, end_ns = 0;
  double bytes = 0, flops = 0;
  std::string kernel;

  double seconds() const { return static_cast<double>(end_ns - start_ns) * 1e-9; }
};

struct TimelineFile {
  std::string source = "predicted";
  std::string mode = "simulated";
  std::string spsim_version;
  std::string created;  // measured only
  nlohmann::json study = nlohmann::json::object();  // keys sorted (written in that order)
  std::string strategy, title;
  std::vector<std::string> devices;
  std::string device_type, network_model;
  std::optional<std::int64_t> step_ns;
  std::uint32_t repeats = 1;
  std::vector<TimelineOpRecord> ops;
};

// The sources and modes a file may name.
bool is_timeline_source(std::string_view s);
bool is_timeline_mode(std::string_view s);

// The record of op `id` of `program` (kind, label, layer, step and stream
// from the program) that ran from start_s to end_s (rounded to ns; the end no
// earlier than the start), with its bytes, FLOPs and kernel.
TimelineOpRecord timeline_record(const Program& program, OpId id, double start_s, double end_s, double bytes,
                                 double flops, std::string kernel);

void write_timeline_file(const TimelineFile& t, std::ostream& out);

// Parses a Timeline file; `where` names it. Throws InputError naming the key
// (and the op's index in "ops") for anything that is not this format: an
// unknown key, a missing one, a wrong type, end before start, a count past
// the bounds, an unknown source, mode or op kind.
TimelineFile parse_timeline_file(std::string_view text, const std::string& where);

// True when `text` (a file's beginning) looks like a Timeline file, for
// telling measured files apart by content.
bool looks_like_timeline(std::string_view text);

// Ops of a timeline are bounded (a 1024-rank step has a few million).
inline constexpr std::size_t kMaxTimelineOps = std::size_t{1} << 26;

}  // namespace spsim
