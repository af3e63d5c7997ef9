// Device profiles: the preset table, and JSON load/save.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "costmodel/device_profile.h"
#include "costmodel/device_profile_json.h"
#include "program/input_error.h"

namespace spsim {
namespace {

DeviceProfile parse(const std::string& text, const std::string& where = "test.json") {
  std::istringstream in(text);
  return parse_device_profile(in, where);
}

std::string save(const DeviceProfile& p) {
  std::ostringstream out;
  save_device_profile(p, out);
  return out.str();
}

// The error `text` raises (empty when none).
std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

bool fraction(double x) { return x > 0 && x <= 1; }

TEST_CASE("preset names, in their documented order") {
  const std::vector<std::string> expect = {"v100-sxm2", "a100-sxm4-40gb", "a100-sxm4-80gb", "h100-sxm5",
                                           "h200-sxm",  "b200",           "l40s",           "a10",
                                           "rtx4090",   "ascend910",      "ascend910b"};
  CHECK(device_profile_names() == expect);
}

TEST_CASE("every preset is complete and in range") {
  for (const std::string& key : device_profile_names()) {
    INFO(key);
    const DeviceProfile& p = device_profile_preset(key);
    CHECK(p.name == key);
    CHECK(p.peak_bf16_flop_per_s > 0);
    CHECK(p.peak_fp32_flop_per_s > 0);
    CHECK(p.peak_fp32_flop_per_s < p.peak_bf16_flop_per_s);
    CHECK(p.hbm_bytes_per_s > 0);
    CHECK(p.memory_bytes > 0);
    CHECK(p.launch_s > 0);
    for (const AttentionKernelModel* k : {&p.attention_fwd, &p.attention_bwd}) {
      CHECK(fraction(k->full.eff_max));
      CHECK(fraction(k->causal.eff_max));
      CHECK(k->full.half_length > 0);
      CHECK(k->causal.half_length > 0);
      CHECK(k->tile_q >= 1);
      CHECK(k->tile_k >= 1);
    }
    CHECK(fraction(p.gemm_efficiency));
    CHECK(fraction(p.memory_efficiency));
    CHECK(p.comm_compute_slowdown >= 1);
    CHECK(!p.source.empty());
  }
}

TEST_CASE("preset numbers are hardware.md's") {
  // ../shared/reference/hardware.md, "Devices".
  const DeviceProfile& h100 = device_profile_preset("h100-sxm5");
  CHECK(h100.peak_bf16_flop_per_s == 989e12);
  CHECK(h100.hbm_bytes_per_s == 3350e9);
  CHECK(h100.memory_bytes == 80e9);
  // Measured on H100: 8192³ matmul ≈ 790–800 of 989 TFLOP/s; D2D copy ≈ 3.0 of 3.35 TB/s.
  CHECK(h100.gemm_efficiency * 989 == doctest::Approx(795));
  CHECK(h100.memory_efficiency * 3.35e12 == doctest::Approx(3.0e12));
  CHECK(device_profile_preset("a100-sxm4-40gb").hbm_bytes_per_s == 1555e9);
  CHECK(device_profile_preset("a100-sxm4-80gb").hbm_bytes_per_s == 2039e9);
  CHECK(device_profile_preset("h200-sxm").hbm_bytes_per_s == 4800e9);
  CHECK(device_profile_preset("h200-sxm").memory_bytes == 141e9);
  CHECK(device_profile_preset("b200").peak_bf16_flop_per_s == 2250e12);
  CHECK(device_profile_preset("l40s").peak_bf16_flop_per_s == 362e12);
  CHECK(device_profile_preset("a10").hbm_bytes_per_s == 600e9);
  CHECK(device_profile_preset("rtx4090").hbm_bytes_per_s == 1008e9);
  CHECK(device_profile_preset("ascend910").peak_bf16_flop_per_s == 256e12);
  CHECK(device_profile_preset("ascend910b").memory_bytes == 64e9);
  // Launch: midpoint of "≈ 2–5 µs from the host API".
  CHECK(h100.launch_s == 3.5e-6);
}

TEST_CASE("unknown preset key lists the known ones") {
  try {
    device_profile_preset("h100");
    FAIL("no error");
  } catch (const InputError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("'h100'") != std::string::npos);
    CHECK(msg.find("h100-sxm5") != std::string::npos);
    CHECK(msg.find("ascend910b") != std::string::npos);
  }
}

TEST_CASE("JSON round trip is exact for every preset") {
  for (const std::string& key : device_profile_names()) {
    INFO(key);
    const DeviceProfile& p = device_profile_preset(key);
    const std::string text = save(p);
    const DeviceProfile back = parse(text);
    CHECK(back == p);
    CHECK(save(back) == text);
  }
}

TEST_CASE("a profile file may start from a preset and override keys") {
  const DeviceProfile p = parse(R"({"base": "h100-sxm5", "name": "h100-calibrated", "launch_s": 1.5e-6,
                                    "attention_bwd": {"tile_q": 32, "full": {"eff_max": 0.5}}})");
  DeviceProfile expect = device_profile_preset("h100-sxm5");
  expect.name = "h100-calibrated";
  expect.launch_s = 1.5e-6;
  expect.attention_bwd.tile_q = 32;
  expect.attention_bwd.full.eff_max = 0.5;
  CHECK(p == expect);
}

TEST_CASE("bad profile files: unknown key, missing key, wrong value") {
  // Unknown keys name the file and the key path.
  std::string e = error_of(R"({"base": "h100-sxm5", "launch_us": 1})");
  CHECK(e.find("test.json") != std::string::npos);
  CHECK(e.find("'launch_us'") != std::string::npos);
  e = error_of(R"({"base": "h100-sxm5", "attention_fwd": {"full": {"eff": 0.5}}})");
  CHECK(e.find("'attention_fwd.full.eff'") != std::string::npos);
  // Without a base every key is required.
  e = error_of(R"({"name": "x"})");
  CHECK(e.find("'peak_bf16_flop_per_s'") != std::string::npos);
  // Values out of range or of the wrong type.
  CHECK(error_of(R"({"base": "h100-sxm5", "gemm_efficiency": 1.5})").find("'gemm_efficiency'") != std::string::npos);
  CHECK(error_of(R"({"base": "h100-sxm5", "launch_s": "fast"})").find("'launch_s'") != std::string::npos);
  CHECK(error_of(R"({"base": "h100-sxm5", "attention_fwd": {"tile_q": 0}})").find("'attention_fwd.tile_q'") != std::string::npos);
  CHECK(error_of(R"({"base": "h100-sxm5", "comm_compute_slowdown": 0.5})").find("'comm_compute_slowdown'") != std::string::npos);
  CHECK(error_of(R"({"base": "tpu"})").find("'tpu'") != std::string::npos);
  CHECK(!error_of("{not json").empty());
  CHECK(!error_of("[1, 2]").empty());
}

TEST_CASE("load_device_profile reads a file and names it in errors") {
  const auto path = std::filesystem::temp_directory_path() / "spsim_costmodel_device_profile_test.json";
  {
    std::ofstream out(path);
    save_device_profile(device_profile_preset("a10"), out);
  }
  CHECK(load_device_profile(path.string()) == device_profile_preset("a10"));
  {
    std::ofstream out(path);
    out << R"({"base": "a10", "hbm": 1})";
  }
  try {
    load_device_profile(path.string());
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find(path.string() + ": key 'hbm'") != std::string::npos);
  }
  std::filesystem::remove(path);
  CHECK_THROWS_AS(load_device_profile(path.string()), InputError);
}

}  // namespace
}  // namespace spsim
