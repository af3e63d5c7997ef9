// JSON load/save (docs/topology-format.md) and the Graphviz writer.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "program/input_error.h"
#include "tests/topology/route_helpers.h"
#include "topology/cluster.h"
#include "topology/node_preset.h"
#include "topology/topology_dot.h"
#include "topology/topology_json.h"

namespace spsim {
namespace {

void check_same(const Topology& x, const Topology& y) {
  CHECK(x.name() == y.name());
  CHECK(x.num_nodes() == y.num_nodes());
  CHECK(x.devices_per_node() == y.devices_per_node());
  REQUIRE(x.num_vertices() == y.num_vertices());
  REQUIRE(x.num_links() == y.num_links());
  REQUIRE(x.num_devices() == y.num_devices());
  for (VertexId v = 0; v < x.num_vertices(); ++v) CHECK(x.vertex(v) == y.vertex(v));
  for (LinkId l = 0; l < x.num_links(); ++l) CHECK(x.link(l) == y.link(l));  // doubles compared exactly
  for (DeviceId a = 0; a < x.num_devices(); ++a) {
    CHECK(x.device_vertex(a) == y.device_vertex(a));
    CHECK(x.nic_of(a) == y.nic_of(a));
    CHECK(x.staging_vertex(a) == y.staging_vertex(a));
    for (DeviceId b = 0; b < x.num_devices(); ++b) {
      const auto rx = x.route(a, b), ry = y.route(a, b);
      CHECK(std::vector<LinkId>(rx.begin(), rx.end()) == std::vector<LinkId>(ry.begin(), ry.end()));
    }
  }
}

TEST_CASE("JSON: save -> load round-trips every preset exactly, on 1 and 2 nodes") {
  for (const NodePreset& p : node_presets())
    for (std::uint32_t nodes : {1U, 2U}) {
      CAPTURE(p.name);
      CAPTURE(nodes);
      const Topology t = build_cluster(p, nodes);
      const std::string text = topology_to_json(t);
      const Topology back = topology_from_json(text, "mem.json");
      check_same(t, back);
      CHECK(topology_to_json(back) == text);  // byte-identical second save
    }
}

TEST_CASE("JSON: scaled (non-round) numbers survive the round trip bit for bit") {
  Topology t = make_preset_topology("dgx1-v100", 2);
  t.scale_link_kind(LinkKind::kNvlink, 0.7310000000000001, 1.0 / 3.0);
  t.scale_link_kind(LinkKind::kNetwork, 0.9123456789, 1.1);
  check_same(t, topology_from_json(topology_to_json(t), "mem.json"));
}

TEST_CASE("JSON: files: save then load") {
  const auto dir = std::filesystem::temp_directory_path() / "spsim_topology_json_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "l40s.json").string();
  const Topology t = make_preset_topology("pcie-l40s-8", 2);
  save_topology_file(t, path);
  check_same(t, load_topology_file(path));
  std::filesystem::remove_all(dir);
  CHECK_THROWS_AS((void)load_topology_file(path), InputError);
}

// Applies `mutate` to a valid document and expects InputError at `where`
// whose message contains `fragment`.
void expect_bad(const std::function<void(nlohmann::json&)>& mutate, const std::string& where,
                const std::string& fragment) {
  CAPTURE(where);
  nlohmann::json doc = nlohmann::json::parse(topology_to_json(make_preset_topology("pcie-a10-4", 2)));
  mutate(doc);
  try {
    (void)topology_from_json(doc.dump(), "bad.json");
    FAIL("expected InputError");
  } catch (const InputError& e) {
    CHECK(e.where() == where);
    CHECK_MESSAGE(std::string(e.what()).find(fragment) != std::string::npos, e.what());
  }
}

TEST_CASE("JSON: unknown keys and bad values are InputErrors naming the file and the key") {
  // pcie-a10-4 x 2: vertex 0 is node0/gpu0, vertex 4 node0/cpu0; link 0 joins pcie0 and cpu0.
  expect_bad([](auto& d) { d["colour"] = "blue"; }, "bad.json: key 'colour'", "unknown key");
  expect_bad([](auto& d) { d["vertices"][4]["bandwidth"] = 1; }, "bad.json: key 'vertices[4].bandwidth'",
             "unknown key");
  expect_bad([](auto& d) { d["vertices"][4]["device_type"] = "a10"; }, "bad.json: key 'vertices[4].device_type'",
             "unknown key");
  expect_bad([](auto& d) { d["links"][0]["bandwith_bytes_per_s"] = 1; },
             "bad.json: key 'links[0].bandwith_bytes_per_s'", "unknown key");
  expect_bad([](auto& d) { d["links"][0]["kind"] = "infiniband"; }, "bad.json: key 'links[0].kind'",
             "unknown link kind 'infiniband'");
  expect_bad([](auto& d) { d["links"][2]["bandwidth_bytes_per_s"] = -5; },
             "bad.json: key 'links[2].bandwidth_bytes_per_s'", "in 1e3..1e16");
  expect_bad([](auto& d) { d["links"][2]["bandwidth_bytes_per_s"] = "fast"; },
             "bad.json: key 'links[2].bandwidth_bytes_per_s'", "expected a number");
  expect_bad([](auto& d) { d["links"][1]["latency_s"] = -1e-6; }, "bad.json: key 'links[1].latency_s'", "in 0..1 s");
  expect_bad([](auto& d) { d["links"][1]["b"] = "node9/gpu0"; }, "bad.json: key 'links[1].b'",
             "unknown vertex 'node9/gpu0'");
  expect_bad([](auto& d) { d["links"][1].erase("a"); }, "bad.json: key 'links[1].a'", "missing");
  // The appended copy is links[22]: 2 nodes x (2 switch-CPU + 4 GPU-switch) + 4 NIC attachments
  // + 4 NIC-leaf + 2 leaf-spine = 22 physical links before it.
  expect_bad([](auto& d) { d["links"].push_back(d["links"][0]); }, "bad.json: key 'links[22]'", "given twice");
  expect_bad([](auto& d) { d["vertices"][1]["kind"] = "gpu"; }, "bad.json: key 'vertices[1].kind'",
             "unknown vertex kind 'gpu'");
  expect_bad([](auto& d) { d["vertices"][1]["name"] = "node0/gpu0"; }, "bad.json: key 'vertices[1].name'",
             "duplicate vertex name");
  expect_bad([](auto& d) { d["vertices"][0]["node"] = -1; }, "bad.json: key 'vertices[0].node'",
             "non-negative integer");
  expect_bad([](auto& d) { d["vertices"][0]["nic"] = "node0/cpu0"; }, "bad.json: key 'vertices[0].nic'",
             "expected a nic vertex");
  expect_bad([](auto& d) { d["vertices"][0]["staging"] = "nowhere"; }, "bad.json: key 'vertices[0].staging'",
             "unknown vertex 'nowhere'");
  expect_bad([](auto& d) { d["vertices"][0].erase("device_type"); }, "bad.json: key 'vertices[0].device_type'",
             "missing");
  expect_bad([](auto& d) { d["nodes"] = 3; }, "bad.json: key 'nodes'", "says 3 but the devices are on 2 node(s)");
  expect_bad([](auto& d) { d["version"] = 2; }, "bad.json: key 'version'", "expected 1");
  expect_bad([](auto& d) { d["format"] = "other"; }, "bad.json: key 'format'", "spsim-topology");
  expect_bad([](auto& d) { d["links"] = nlohmann::json::object(); }, "bad.json: key 'links'", "expected an array");
  // Semantic errors found by the builder name the file.
  expect_bad([](auto& d) { d["vertices"][0].erase("nic"); }, "bad.json",
             "need a NIC");
}

TEST_CASE("JSON: text that is not JSON, or not an object, names the file") {
  CHECK_THROWS_WITH_AS((void)topology_from_json("{\"format\": ", "x.json"), doctest::Contains("x.json: not valid JSON"),
                       InputError);
  CHECK_THROWS_WITH_AS((void)topology_from_json("[1, 2]", "x.json"), doctest::Contains("x.json: expected a JSON object"),
                       InputError);
}

TEST_CASE("JSON: the example in docs/topology-format.md loads") {
  std::ifstream in(std::string(SPSIM_SOURCE_DIR) + "/docs/topology-format.md");
  REQUIRE(in);
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t begin = doc.find("```json\n"), end = doc.find("```", begin + 8);
  REQUIRE(begin != std::string::npos);
  const Topology t = topology_from_json(doc.substr(begin + 8, end - begin - 8), "docs/topology-format.md");
  CHECK(t.num_devices() == 2);
  // gpu0 -> pcie0 -> gpu1: 2 x 2.5 us.
  CHECK(t.route_latency_s(0, 1) == doctest::Approx(5e-6));
}

TEST_CASE("Graphviz: one edge per physical link, every vertex declared, deterministic") {
  const Topology t = make_preset_topology("dgx1-v100", 2);
  const std::string dot = topology_to_dot(t);
  CHECK(dot.rfind("graph \"dgx1-v100 x 2 nodes\" {", 0) == 0);
  std::size_t edges = 0;
  for (std::size_t at = dot.find(" -- "); at != std::string::npos; at = dot.find(" -- ", at + 1)) ++edges;
  CHECK(edges == t.num_links() / 2);
  for (VertexId v = 0; v < t.num_vertices(); ++v)
    CHECK(dot.find("\"" + t.vertex(v).name + "\" [shape=") != std::string::npos);
  CHECK(dot.find("subgraph cluster_node1") != std::string::npos);
  CHECK(dot.find("nvlink\\n50 GB/s\\n3 us") != std::string::npos);  // a double-NVLink pair's label
  CHECK(topology_to_dot(make_preset_topology("dgx1-v100", 2)) == dot);
}

}  // namespace
}  // namespace spsim
