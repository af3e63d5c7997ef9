// The Timeline file: what is written reads back the same, and what is not
// this format is refused naming the key.
#include "traces/timeline_file.h"

#include <doctest/doctest.h>

#include <sstream>

#include "program/input_error.h"

namespace spsim {
namespace {

TimelineFile sample() {
  TimelineFile t;
  t.source = "measured";
  t.mode = "emulated";
  t.spsim_version = "0.1.0";
  t.created = "2026-12-01";
  t.study = {{"strategy", "ring"}, {"sp", 2}};
  t.strategy = "ring";
  t.title = "ring test";
  t.devices = {"NVIDIA H200 (GPU 0)", "NVIDIA H200 (GPU 0)"};
  t.device_type = "NVIDIA H200";
  t.network_model = "device-copies";
  t.step_ns = 12345;
  t.repeats = 5;
  TimelineOpRecord a;
  a.op = 0;
  a.rank = 0;
  a.stream = "compute";
  a.kind = "attn_fwd";
  a.label = "attn_fwd";
  a.start_ns = 10;
  a.end_ns = 1010;
  a.bytes = 1.5e6;
  a.flops = 2e9;
  a.kernel = "spsim_flash_fwd_tiled";
  TimelineOpRecord b = a;
  b.op = 3;
  b.rank = 1;
  b.stream = "send";
  b.kind = "send";
  b.label = "send -> 0";
  b.step = 1;
  b.kernel = "cudaMemcpyAsync";
  t.ops = {a, b};
  return t;
}

std::string text_of(const TimelineFile& t) {
  std::ostringstream s;
  write_timeline_file(t, s);
  return s.str();
}

TEST_CASE("a Timeline file reads back what was written, byte for byte when written again") {
  const std::string text = text_of(sample());
  CHECK(looks_like_timeline(text));
  const TimelineFile back = parse_timeline_file(text, "t.json");
  CHECK(back.source == "measured");
  CHECK(back.mode == "emulated");
  CHECK(back.created == "2026-12-01");
  CHECK(back.study.at("sp") == 2);
  REQUIRE(back.step_ns);
  CHECK(*back.step_ns == 12345);
  REQUIRE(back.ops.size() == 2);
  CHECK(back.ops[1].label == "send -> 0");
  CHECK(back.ops[1].rank == 1);
  CHECK(back.ops[0].seconds() == doctest::Approx(1e-6));
  CHECK(text_of(back) == text);
  // A kernels-mode file has no step.
  TimelineFile k = sample();
  k.mode = "kernels";
  k.step_ns.reset();
  CHECK(!parse_timeline_file(text_of(k), "k.json").step_ns);
}

void refused(const std::string& text, const std::string& expect) {
  try {
    parse_timeline_file(text, "t.json");
    FAIL("accepted: " << text.substr(0, 200));
  } catch (const InputError& e) {
    CHECK_MESSAGE(std::string(e.what()).find(expect) != std::string::npos, e.what());
  }
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

TEST_CASE("what is not a Timeline file is refused naming the key") {
  const std::string good = text_of(sample());
  refused("[]", "t.json: a JSON object");
  refused(replaced(good, "\"spsim_timeline\": 1", "\"spsim_timeline\": 2"), "key 'spsim_timeline': format version 1");
  refused(replaced(good, "\"source\": \"measured\"", "\"source\": \"guessed\""), "key 'source'");
  refused(replaced(good, "\"mode\": \"emulated\"", "\"mode\": \"fast\""), "key 'mode'");
  refused(replaced(good, "\"repeats\": 5", "\"repeats\": 0"), "key 'repeats': at least 1");
  refused(replaced(good, "\"kind\":\"attn_fwd\"", "\"kind\":\"attention\""), "key 'ops.0.kind'");
  refused(replaced(good, "\"end_ns\":1010", "\"end_ns\":5"), "key 'ops.0.end_ns': at least start_ns");
  refused(replaced(good, "\"start_ns\":10", "\"start_ns\":-10"), "key 'ops.0.start_ns'");
  refused(replaced(good, "\"rank\":1", "\"rank\":2"), "key 'ops.1.rank': a rank below the 2 devices");
  refused(replaced(good, "\"op\":3", "\"op\":0"), "key 'ops.1.op': op ids in increasing order");
  refused(replaced(good, "\"kernel\":\"cudaMemcpyAsync\"", "\"kernel\":\"x\",\"color\":1"), "key 'ops.1.color': unknown key");
  refused(replaced(good, ",\"flops\":2000000000.0", ""), "key 'ops.0.flops': missing");
}

}  // namespace
}  // namespace spsim
