// Link-class parameters in topology files and study files (topology/link_params.h).
#include "topology/link_params.h"

#include <doctest/doctest.h>

#include "program/input_error.h"
#include "topology/cluster.h"
#include "topology/topology_json.h"

namespace spsim {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_link_params(text, "f.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST_CASE("link params: classes and fields by name, everything else an error naming the key") {
  const LinkCalibration c = parse_link_params(
      R"({"pcie": {"p2p_efficiency": 0.7, "duplex_factor": 0.9}, "root_complex": {"bandwidth_bytes_per_s": 8e9}})",
      "f.json");
  CHECK(c[LinkKind::kPcie].p2p_efficiency == 0.7);
  CHECK(c[LinkKind::kPcie].duplex_factor == 0.9);
  CHECK_FALSE(c[LinkKind::kPcie].bandwidth_efficiency.has_value());
  CHECK(c.root_complex.bandwidth_bytes_per_s == 8e9);
  CHECK_FALSE(c[LinkKind::kNvlink].any());
  CHECK(error_of(R"({"nvlink": {"warp": 2}})").find("f.json: key 'nvlink.warp': unknown key") != std::string::npos);
  CHECK(error_of(R"({"infiniband": {}})").find("key 'infiniband': unknown link class") != std::string::npos);
  CHECK(error_of(R"({"pcie": {"efficiency": "high"}})").find("key 'pcie.efficiency': expected a number") !=
        std::string::npos);
  CHECK(error_of(R"({"root_complex": {"speed": 1}})").find("key 'root_complex.speed'") != std::string::npos);
  CHECK(error_of("[]").find("expected a JSON object") != std::string::npos);
}

TEST_CASE("link params: merge lets the later set fields win") {
  LinkCalibration a, b;
  a[LinkKind::kPcie].p2p_efficiency = 0.7;
  a[LinkKind::kPcie].duplex_factor = 0.9;
  b[LinkKind::kPcie].p2p_efficiency = 0.5;
  a.merge(b);
  CHECK(a[LinkKind::kPcie].p2p_efficiency == 0.5);
  CHECK(a[LinkKind::kPcie].duplex_factor == 0.9);
}

TEST_CASE("link params: a topology file carries them and saves them back") {
  Topology t = make_preset_topology("pcie-a10-4");
  CHECK(t.link_params() == nullptr);
  LinkCalibration c;
  c[LinkKind::kPcie].p2p_efficiency = 0.7;
  c.root_complex.bandwidth_bytes_per_s = 8e9;
  t.set_link_params(c);
  const std::string text = topology_to_json(t);
  const Topology back = topology_from_json(text, "t.json");
  REQUIRE(back.link_params() != nullptr);
  CHECK((*back.link_params())[LinkKind::kPcie].p2p_efficiency == 0.7);
  CHECK(back.link_params()->root_complex.bandwidth_bytes_per_s == 8e9);
  CHECK(topology_to_json(back) == text);
}

}  // namespace
}  // namespace spsim
