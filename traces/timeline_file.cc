#include "traces/timeline_file.h"

#include <algorithm>
#include <cmath>
#include <ostream>

#include "program/input_error.h"
#include "program/input_json.h"
#include "program/json_fields.h"

namespace spsim {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kFormatVersion = 1;
constexpr std::int64_t kMaxNs = std::int64_t{1} << 62;

bool is_op_kind_name(std::string_view s) {
  for (std::size_t k = 0; k < kNumOpKinds; ++k)
    if (op_kind_name(static_cast<OpKind>(k)) == s) return true;
  return false;
}

std::int64_t need_ns(const nlohmann::json& j, const char* key, const std::string& where, const std::string& prefix) {
  const auto& v = json_need(j, key, where, prefix);
  if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > kMaxNs)
    throw InputError(json_key_at(where, prefix + key), "an integer number of nanoseconds in 0..2^62");
  return v.get<std::int64_t>();
}

std::uint32_t need_u32(const nlohmann::json& j, const char* key, const std::string& where, const std::string& prefix,
                       std::uint64_t max) {
  const auto& v = json_need(j, key, where, prefix);
  if (!v.is_number_unsigned() || v.get<std::uint64_t>() > max)
    throw InputError(json_key_at(where, prefix + key), "an integer in 0.." + std::to_string(max));
  return static_cast<std::uint32_t>(v.get<std::uint64_t>());
}

}  // namespace

bool is_timeline_source(std::string_view s) { return s == "predicted" || s == "measured"; }
bool is_timeline_mode(std::string_view s) {
  return s == "simulated" || s == "multi-gpu" || s == "emulated" || s == "kernels";
}

TimelineOpRecord timeline_record(const Program& program, OpId id, double start_s, double end_s, double bytes,
                                 double flops, std::string kernel) {
  const Op& o = program.op(id);
  TimelineOpRecord r;
  r.op = static_cast<std::uint32_t>(idx(id));
  r.rank = o.rank;
  r.stream = std::string(program.stream_name(o.stream));
  r.kind = std::string(op_kind_name(o.kind));
  r.label = program.op_label(id);
  r.layer = o.layer;
  r.step = o.step;
  r.start_ns = std::llround(start_s * 1e9);
  r.end_ns = std::max<std::int64_t>(r.start_ns, std::llround(end_s * 1e9));
  r.bytes = bytes;
  r.flops = flops;
  r.kernel = std::move(kernel);
  return r;
}

void write_timeline_file(const TimelineFile& t, std::ostream& out) {
  Json j;
  j["spsim_timeline"] = kFormatVersion;
  j["source"] = t.source;
  j["mode"] = t.mode;
  j["spsim"] = t.spsim_version;
  if (!t.created.empty()) j["created"] = t.created;
  j["study"] = t.study;
  j["strategy"] = t.strategy;
  j["title"] = t.title;
  j["devices"] = t.devices;
  j["device_type"] = t.device_type;
  j["network_model"] = t.network_model;
  j["step_ns"] = t.step_ns ? Json(*t.step_ns) : Json(nullptr);
  j["repeats"] = t.repeats;
  // One op per line: a big timeline stays readable with grep and diff.
  const std::string head = j.dump(1);
  out << head.substr(0, head.size() - 2) << ",\n \"ops\": [";
  for (std::size_t i = 0; i < t.ops.size(); ++i) {
    const TimelineOpRecord& r = t.ops[i];
    Json o;
    o["op"] = r.op;
    o["rank"] = r.rank;
    o["stream"] = r.stream;
    o["kind"] = r.kind;
    o["label"] = r.label;
    o["layer"] = r.layer;
    o["step"] = r.step;
    o["start_ns"] = r.start_ns;
    o["end_ns"] = r.end_ns;
    o["bytes"] = r.bytes;
    o["flops"] = r.flops;
    o["kernel"] = r.kernel;
    out << (i ? ",\n  " : "\n  ") << o.dump();
  }
  out << (t.ops.empty() ? "]\n}\n" : "\n ]\n}\n");
}

bool looks_like_timeline(std::string_view text) {
  const auto brace = text.find_first_not_of(" \t\r\n");
  return brace != std::string_view::npos && text[brace] == '{' &&
         text.substr(0, 256).find("\"spsim_timeline\"") != std::string_view::npos;
}

TimelineFile parse_timeline_file(std::string_view text, const std::string& where) {
  const nlohmann::json j = parse_input_json(text, where);
  if (!j.is_object()) throw InputError(where, "a JSON object (a Timeline file written by spsim run or replay)");
  json_only_keys(j,
                 {"spsim_timeline", "source", "mode", "spsim", "created", "study", "strategy", "title", "devices",
                  "device_type", "network_model", "step_ns", "repeats", "ops"},
                 where, "");
  const auto& version = json_need(j, "spsim_timeline", where, "");
  if (!version.is_number_integer() || version.get<std::int64_t>() != kFormatVersion)
    throw InputError(json_key_at(where, "spsim_timeline"), "format version 1");
  TimelineFile t;
  t.source = json_need_string(j, "source", where, "");
  if (!is_timeline_source(t.source)) throw InputError(json_key_at(where, "source"), "'predicted' or 'measured'");
  t.mode = json_need_string(j, "mode", where, "");
  if (!is_timeline_mode(t.mode))
    throw InputError(json_key_at(where, "mode"), "one of: simulated, multi-gpu, emulated, kernels");
  t.spsim_version = json_need_string(j, "spsim", where, "");
  if (j.contains("created")) t.created = json_need_string(j, "created", where, "");
  const auto& study = json_need(j, "study", where, "");
  if (!study.is_object()) throw InputError(json_key_at(where, "study"), "an object (the study's settings)");
  t.study = study;
  t.strategy = json_need_string(j, "strategy", where, "");
  t.title = json_need_string(j, "title", where, "");
  for (const auto& d : json_need_array(j, "devices", where, "")) {
    if (!d.is_string()) throw InputError(json_key_at(where, "devices"), "a list of strings");
    t.devices.push_back(d.get<std::string>());
  }
  t.device_type = json_need_string(j, "device_type", where, "");
  t.network_model = json_need_string(j, "network_model", where, "");
  if (const auto& s = json_need(j, "step_ns", where, ""); !s.is_null()) t.step_ns = need_ns(j, "step_ns", where, "");
  t.repeats = need_u32(j, "repeats", where, "", 1u << 20);
  if (t.repeats == 0) throw InputError(json_key_at(where, "repeats"), "at least 1");
  const auto& ops = json_need_array(j, "ops", where, "");
  if (ops.size() > kMaxTimelineOps)
    throw InputError(json_key_at(where, "ops"), "at most " + std::to_string(kMaxTimelineOps) + " ops");
  t.ops.reserve(ops.size());
  const std::uint32_t ranks = static_cast<std::uint32_t>(t.devices.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const auto& o = ops[i];
    const std::string p = "ops." + std::to_string(i) + ".";
    if (!o.is_object()) throw InputError(json_key_at(where, "ops"), "a list of objects");
    json_only_keys(o,
                   {"op", "rank", "stream", "kind", "label", "layer", "step", "start_ns", "end_ns", "bytes", "flops",
                    "kernel"},
                   where, p);
    TimelineOpRecord r;
    r.op = need_u32(o, "op", where, p, 0xfffffffeu);
    if (i > 0 && r.op <= t.ops.back().op)
      throw InputError(json_key_at(where, p + "op"), "op ids in increasing order");
    r.rank = need_u32(o, "rank", where, p, 0xffffffffu);
    if (r.rank >= ranks)
      throw InputError(json_key_at(where, p + "rank"), "a rank below the " + std::to_string(ranks) + " devices");
    r.stream = json_need_string(o, "stream", where, p);
    r.kind = json_need_string(o, "kind", where, p);
    if (!is_op_kind_name(r.kind)) throw InputError(json_key_at(where, p + "kind"), "an op kind of spsim's Program (attn_fwd, attn_bwd, send, recv, collective, ...)");
    r.label = json_need_string(o, "label", where, p);
    r.layer = static_cast<std::uint16_t>(need_u32(o, "layer", where, p, 65535));
    r.step = need_u32(o, "step", where, p, 0xffffffffu);
    r.start_ns = need_ns(o, "start_ns", where, p);
    r.end_ns = need_ns(o, "end_ns", where, p);
    if (r.end_ns < r.start_ns) throw InputError(json_key_at(where, p + "end_ns"), "at least start_ns");
    r.bytes = json_need_number(o, "bytes", where, p, 0, 1e18);
    r.flops = json_need_number(o, "flops", where, p, 0, 1e21);
    r.kernel = json_need_string(o, "kernel", where, p);
    t.ops.push_back(std::move(r));
  }
  return t;
}

}  // namespace spsim
