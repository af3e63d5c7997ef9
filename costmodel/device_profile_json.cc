#include "costmodel/device_profile_json.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <istream>
#include <ostream>

#include <nlohmann/json.hpp>

#include "program/input_error.h"
#include "program/input_file.h"
#include "program/input_json.h"

namespace spsim {
namespace {

using Json = nlohmann::ordered_json;

Json curve_json(const SaturationCurve& c) {
  return Json{{"eff_max", c.eff_max}, {"half_length", c.half_length}};
}

Json kernel_json(const AttentionKernelModel& k) {
  return Json{{"tile_q", k.tile_q}, {"tile_k", k.tile_k}, {"full", curve_json(k.full)},
              {"causal", curve_json(k.causal)}};
}

Json profile_json(const DeviceProfile& p) {
  return Json{{"name", p.name},
              {"peak_bf16_flop_per_s", p.peak_bf16_flop_per_s},
              {"peak_fp32_flop_per_s", p.peak_fp32_flop_per_s},
              {"hbm_bytes_per_s", p.hbm_bytes_per_s},
              {"memory_bytes", p.memory_bytes},
              {"launch_s", p.launch_s},
              {"attention_fwd", kernel_json(p.attention_fwd)},
              {"attention_bwd", kernel_json(p.attention_bwd)},
              {"gemm_efficiency", p.gemm_efficiency},
              {"memory_efficiency", p.memory_efficiency},
              {"comm_compute_slowdown", p.comm_compute_slowdown},
              {"source", p.source}};
}

std::string join_key(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

// Copies `user` over `into` key by key, following the shape of `schema`.
// `into` may be null-valued (no base): then every schema key must be given.
void merge(const Json& user, const Json& schema, Json& into, const std::string& where,
           const std::string& prefix) {
  for (auto it = user.begin(); it != user.end(); ++it) {
    const std::string path = join_key(prefix, it.key());
    if (!schema.contains(it.key()))
      throw InputError(where + ": key '" + path + "'", "a device profile key (unknown key)");
    const Json& sub_schema = schema.at(it.key());
    if (sub_schema.is_object()) {
      if (!it.value().is_object()) throw InputError(where + ": key '" + path + "'", "an object");
      if (!into.contains(it.key()) || !into[it.key()].is_object()) into[it.key()] = Json::object();
      merge(it.value(), sub_schema, into[it.key()], where, path);
    } else {
      into[it.key()] = it.value();
    }
  }
}

void require_all(const Json& schema, const Json& have, const std::string& where,
                 const std::string& prefix) {
  for (auto it = schema.begin(); it != schema.end(); ++it) {
    const std::string path = join_key(prefix, it.key());
    if (!have.contains(it.key()))
      throw InputError(where + ": key '" + path + "'",
                       "present (a profile without \"base\" must give every key)");
    if (it.value().is_object()) require_all(it.value(), have.at(it.key()), where, path);
  }
}

class Reader {
 public:
  Reader(const Json& j, std::string where) : j_(j), where_(std::move(where)) {}

  std::string string(const std::string& path) const {
    const Json& v = at(path);
    if (!v.is_string()) throw error(path, "a string");
    return v.get<std::string>();
  }
  // A finite number in [lo, hi] (bounds inclusive unless lo_open).
  double number(const std::string& path, double lo, double hi, bool lo_open,
                const std::string& expected) const {
    const Json& v = at(path);
    if (!v.is_number()) throw error(path, expected);
    const double x = v.get<double>();
    if (!std::isfinite(x) || x < lo || x > hi || (lo_open && x == lo)) throw error(path, expected);
    return x;
  }
  std::uint32_t tile(const std::string& path) const {
    const Json& v = at(path);
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() < 1 || v.get<std::uint64_t>() > 65536)
      throw error(path, "an integer tile size in [1, 65536]");
    return static_cast<std::uint32_t>(v.get<std::uint64_t>());
  }

 private:
  const Json& at(const std::string& path) const {
    const Json* cur = &j_;
    std::size_t begin = 0;
    while (true) {
      const std::size_t dot = path.find('.', begin);
      cur = &cur->at(path.substr(begin, dot - begin));
      if (dot == std::string::npos) return *cur;
      begin = dot + 1;
    }
  }
  InputError error(const std::string& path, const std::string& expected) const {
    return InputError(where_ + ": key '" + path + "'", expected);
  }

  const Json& j_;
  std::string where_;
};

constexpr double kInf = std::numeric_limits<double>::infinity();

SaturationCurve read_curve(const Reader& r, const std::string& prefix) {
  SaturationCurve c;
  c.eff_max = r.number(prefix + ".eff_max", 0, 1, true, "a fraction of peak in (0, 1]");
  c.half_length = r.number(prefix + ".half_length", 0, kInf, false, "a length in rows >= 0");
  return c;
}

AttentionKernelModel read_kernel(const Reader& r, const std::string& prefix) {
  AttentionKernelModel k;
  k.tile_q = r.tile(prefix + ".tile_q");
  k.tile_k = r.tile(prefix + ".tile_k");
  k.full = read_curve(r, prefix + ".full");
  k.causal = read_curve(r, prefix + ".causal");
  return k;
}

}  // namespace

DeviceProfile parse_device_profile(std::istream& in, std::string_view where_view) {
  const std::string where(where_view);
  std::ostringstream text;
  text << in.rdbuf();
  const Json user = parse_input_json(text.str(), where);
  if (!user.is_object()) throw InputError(where, "a JSON object describing a device profile");

  const Json schema = profile_json(DeviceProfile{});
  Json merged = Json::object();
  Json body = user;
  if (body.contains("base")) {
    if (!body["base"].is_string()) throw InputError(where + ": key 'base'", "a preset name (string)");
    merged = profile_json(device_profile_preset(body["base"].get<std::string>()));
    body.erase("base");
  }
  merge(body, schema, merged, where, "");
  require_all(schema, merged, where, "");

  const Reader r(merged, where);
  DeviceProfile p;
  p.name = r.string("name");
  // Bounds far outside any real device, so that predictions stay finite.
  p.peak_bf16_flop_per_s = r.number("peak_bf16_flop_per_s", 1e6, 1e19, false, "FLOP/s in 1e6..1e19");
  p.peak_fp32_flop_per_s = r.number("peak_fp32_flop_per_s", 1e6, 1e19, false, "FLOP/s in 1e6..1e19");
  p.hbm_bytes_per_s = r.number("hbm_bytes_per_s", 1e6, 1e16, false, "bytes/s in 1e6..1e16");
  p.memory_bytes = r.number("memory_bytes", 1e6, 1e16, false, "bytes in 1e6..1e16");
  p.launch_s = r.number("launch_s", 0, 1, false, "seconds in 0..1");
  p.attention_fwd = read_kernel(r, "attention_fwd");
  p.attention_bwd = read_kernel(r, "attention_bwd");
  p.gemm_efficiency = r.number("gemm_efficiency", 0, 1, true, "a fraction of peak in (0, 1]");
  p.memory_efficiency = r.number("memory_efficiency", 0, 1, true, "a fraction of bandwidth in (0, 1]");
  p.comm_compute_slowdown = r.number("comm_compute_slowdown", 1, kInf, false, "a factor >= 1");
  p.source = r.string("source");
  return p;
}

DeviceProfile load_device_profile(const std::string& path) {
  std::istringstream in(read_input_file(path, "device profile JSON file"));
  return parse_device_profile(in, path);
}

void save_device_profile(const DeviceProfile& profile, std::ostream& out) {
  out << profile_json(profile).dump(2) << '\n';
}

}  // namespace spsim
