// Node presets against the facts in ../shared/reference/hardware.md: which
// pairs are linked, by what, and the routes of unlinked pairs.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

#include "program/input_error.h"
#include "tests/topology/route_helpers.h"
#include "topology/cluster.h"
#include "topology/hardware_facts.h"
#include "topology/node_preset.h"

namespace spsim {
namespace {

using testing::route_kinds;
using testing::route_vertices;
using V = std::vector<std::string>;
using K = std::vector<LinkKind>;
using hw::kGB;
using hw::kUs;

// hardware.md, DGX-1 V100 hybrid cube-mesh.
const std::vector<std::pair<DeviceId, DeviceId>> kDoubleNvlink{{0, 3}, {0, 4}, {1, 2}, {1, 5},
                                                              {2, 3}, {4, 7}, {5, 6}, {6, 7}};
const std::vector<std::pair<DeviceId, DeviceId>> kSingleNvlink{{0, 1}, {0, 2}, {1, 3}, {2, 6},
                                                              {3, 7}, {4, 5}, {4, 6}, {5, 7}};
const std::vector<std::pair<DeviceId, DeviceId>> kNoNvlink{{0, 5}, {0, 6}, {0, 7}, {1, 4}, {1, 6}, {1, 7},
                                                          {2, 4}, {2, 5}, {2, 7}, {3, 4}, {3, 5}, {3, 6}};

TEST_CASE("dgx1-v100: NVLink pairs route directly; two links carry twice the bandwidth of one") {
  const Topology t = make_preset_topology("dgx1-v100");
  REQUIRE(t.num_devices() == 8);
  for (auto [x, y] : kDoubleNvlink)
    for (const std::pair<DeviceId, DeviceId>& ab : {std::pair{x, y}, std::pair{y, x}}) {
      const DeviceId a = ab.first, b = ab.second;  // plain variables: CAPTURE's lambda (clang < 16)
      CAPTURE(a);
      CAPTURE(b);
      CHECK(route_kinds(t, a, b) == K{LinkKind::kNvlink});
      CHECK(t.directly_linked(a, b));
      CHECK(t.route_bandwidth_bytes_per_s(a, b) == 2 * 25 * kGB);  // 2 NVLink2 links x 25 GB/s
      CHECK(t.route_latency_s(a, b) == doctest::Approx(3 * kUs));   // one link, 3 us
    }
  for (auto [x, y] : kSingleNvlink)
    for (const std::pair<DeviceId, DeviceId>& ab : {std::pair{x, y}, std::pair{y, x}}) {
      const DeviceId a = ab.first, b = ab.second;  // plain variables: CAPTURE's lambda (clang < 16)
      CAPTURE(a);
      CAPTURE(b);
      CHECK(route_kinds(t, a, b) == K{LinkKind::kNvlink});
      CHECK(t.route_bandwidth_bytes_per_s(a, b) == 25 * kGB);  // one NVLink2 link
    }
  // 8 + 8 + 12 = 28 = C(8, 2): the three lists cover every pair once.
  CHECK(kDoubleNvlink.size() + kSingleNvlink.size() + kNoNvlink.size() == 28);
}

TEST_CASE("dgx1-v100: every GPU has six NVLink2 links (150 GB/s per direction)") {
  const Topology t = make_preset_topology("dgx1-v100");
  for (DeviceId d = 0; d < 8; ++d) {
    double nvlink_out = 0;
    for (LinkId l = 0; l < t.num_links(); ++l)
      if (t.link(l).from == t.device_vertex(d) && t.link(l).kind == LinkKind::kNvlink)
        nvlink_out += t.link(l).bandwidth_bytes_per_s;
    CHECK(nvlink_out == 6 * 25 * kGB);
  }
}

TEST_CASE("dgx1-v100: unlinked GPUs go through PCIe and QPI, never through a third GPU") {
  const Topology t = make_preset_topology("dgx1-v100");
  // GPU 0 sits on PCIe switch 0 under CPU 0, GPU 5 on switch 2 under CPU 1.
  CHECK(route_vertices(t, 0, 5) ==
        V{"node0/gpu0", "node0/pcie0", "node0/cpu0", "node0/cpu1", "node0/pcie2", "node0/gpu5"});
  CHECK(route_kinds(t, 0, 5) ==
        K{LinkKind::kPcie, LinkKind::kPcie, LinkKind::kCpuInterconnect, LinkKind::kPcie, LinkKind::kPcie});
  // Bottleneck: min(PCIe Gen3 15.75, NCCL's QPI model 6) = 6 GB/s.
  CHECK(t.route_bandwidth_bytes_per_s(0, 5) == 6 * kGB);
  // Latency: 4 PCIe links x 2.5 us + 1 QPI x 2.5 us = 12.5 us.
  CHECK(t.route_latency_s(0, 5) == doctest::Approx(12.5 * kUs));
  for (auto [x, y] : kNoNvlink)
    for (const std::pair<DeviceId, DeviceId>& ab : {std::pair{x, y}, std::pair{y, x}}) {
      const DeviceId a = ab.first, b = ab.second;  // plain variables: CAPTURE's lambda (clang < 16)
      CAPTURE(a);
      CAPTURE(b);
      const K kinds = route_kinds(t, a, b);
      CHECK(!t.directly_linked(a, b));
      CHECK(std::count(kinds.begin(), kinds.end(), LinkKind::kNvlink) == 0);
      CHECK(std::count(kinds.begin(), kinds.end(), LinkKind::kCpuInterconnect) == 1);
      CHECK(kinds.size() == 5);
    }
}

TEST_CASE("ascend910b-8: every pair is one HCCS hop at 28 GB/s, seven links per NPU") {
  const Topology t = make_preset_topology("ascend910b-8");
  REQUIRE(t.num_devices() == 8);
  for (DeviceId a = 0; a < 8; ++a) {
    int hccs_links = 0;
    for (LinkId l = 0; l < t.num_links(); ++l) hccs_links += t.link(l).from == t.device_vertex(a);
    CHECK(hccs_links == 7);
    CHECK(t.device_type(a) == "ascend910b");
    for (DeviceId b = 0; b < 8; ++b) {
      if (a == b) continue;
      CHECK(route_kinds(t, a, b) == K{LinkKind::kHccs});
      CHECK(t.route_bandwidth_bytes_per_s(a, b) == 28 * kGB);  // 56 GB/s both directions / 2
    }
  }
}

TEST_CASE("ascend910-8: two 4-NPU HCCS meshes; across halves through PCIe and the CPUs") {
  const Topology t = make_preset_topology("ascend910-8");
  for (DeviceId a = 0; a < 8; ++a)
    for (DeviceId b = 0; b < 8; ++b) {
      if (a == b) continue;
      CAPTURE(a);
      CAPTURE(b);
      if (a / 4 == b / 4) {
        CHECK(route_kinds(t, a, b) == K{LinkKind::kHccs});
        CHECK(t.route_bandwidth_bytes_per_s(a, b) == 30 * kGB);  // one HCCS port, 30 GB/s
      } else {
        CHECK(route_kinds(t, a, b) == K{LinkKind::kPcie, LinkKind::kCpuInterconnect, LinkKind::kPcie});
        // min(PCIe Gen4 31.5, CPU link 16) = 16 GB/s; 2.5 + 2.5 + 2.5 = 7.5 us.
        CHECK(t.route_bandwidth_bytes_per_s(a, b) == 16 * kGB);
        CHECK(t.route_latency_s(a, b) == doctest::Approx(7.5 * kUs));
      }
    }
  CHECK(route_vertices(t, 1, 6) == V{"node0/npu1", "node0/cpu0", "node0/cpu1", "node0/npu6"});
}

TEST_CASE("NVSwitch presets: every pair crosses the node's switch at the GPU's aggregate NVLink rate") {
  struct Case {
    const char* preset;
    const char* device_type;
    double bandwidth;
  };
  // H100: 18 x 25 = 450 GB/s; A100: 12 x 25 = 300 GB/s per direction (line rates).
  for (const Case& c : {Case{"h100-sxm8", "h100-sxm5", 450 * kGB}, Case{"a100-sxm8", "a100-sxm4-80gb", 300 * kGB},
                        Case{"a100-40gb-sxm8", "a100-sxm4-40gb", 300 * kGB}}) {
    CAPTURE(c.preset);
    const Topology t = make_preset_topology(c.preset);
    for (DeviceId a = 0; a < 8; ++a) {
      CHECK(t.device_type(a) == c.device_type);
      for (DeviceId b = 0; b < 8; ++b) {
        if (a == b) continue;
        CHECK(route_vertices(t, a, b) == V{t.device_name(a), "node0/nvswitch", t.device_name(b)});
        CHECK(t.route_bandwidth_bytes_per_s(a, b) == c.bandwidth);
        CHECK(t.route_latency_s(a, b) == doctest::Approx(2 * 1.5 * kUs));  // two switch hops of 1.5 us
        CHECK(!t.directly_linked(a, b));
      }
    }
  }
}

TEST_CASE("pcie-l40s-8: without P2P, copies are staged through the sender's socket memory") {
  const Topology t = make_preset_topology("pcie-l40s-8");
  // Even under one PCIe switch the copy climbs to host memory and back.
  CHECK(route_vertices(t, 0, 1) == V{"node0/gpu0", "node0/pcie0", "node0/cpu0", "node0/mem0", "node0/cpu0",
                                     "node0/pcie0", "node0/gpu1"});
  CHECK(route_kinds(t, 0, 1) == K{LinkKind::kPcie, LinkKind::kPcie, LinkKind::kHostMemory, LinkKind::kHostMemory,
                                  LinkKind::kPcie, LinkKind::kPcie});
  // 4 PCIe x 2.5 us + 2 host-memory x 5.5 us = 21 us; bottleneck: host-staged 20 GB/s.
  CHECK(t.route_latency_s(0, 1) == doctest::Approx(21 * kUs));
  CHECK(t.route_bandwidth_bytes_per_s(0, 1) == 20 * kGB);
  // Across sockets: the sender's memory, then UPI: 21 + 2.5 = 23.5 us.
  CHECK(route_vertices(t, 0, 4) == V{"node0/gpu0", "node0/pcie0", "node0/cpu0", "node0/mem0", "node0/cpu0",
                                     "node0/cpu1", "node0/pcie2", "node0/gpu4"});
  CHECK(t.route_latency_s(0, 4) == doctest::Approx(23.5 * kUs));
  CHECK(route_vertices(t, 5, 1)[3] == "node0/mem1");
  // The staged copy loads the switch uplink in both directions.
  const auto r = t.route(0, 1);
  CHECK(r[1] == Topology::reverse_link(r[4]));
}

TEST_CASE("pcie-a10-4: P2P under one switch, through the CPU across the two switches") {
  const Topology t = make_preset_topology("pcie-a10-4");
  REQUIRE(t.num_devices() == 4);
  CHECK(route_vertices(t, 0, 1) == V{"node0/gpu0", "node0/pcie0", "node0/gpu1"});
  CHECK(t.route_latency_s(0, 1) == doctest::Approx(5 * kUs));  // 2 x 2.5 us
  CHECK(route_vertices(t, 1, 2) == V{"node0/gpu1", "node0/pcie0", "node0/cpu0", "node0/pcie1", "node0/gpu2"});
  CHECK(t.route_latency_s(1, 2) == doctest::Approx(10 * kUs));  // 4 x 2.5 us
  CHECK(t.route_bandwidth_bytes_per_s(1, 2) == 31.5 * kGB);     // PCIe Gen4 x16
}

TEST_CASE("every preset: device types are the profile keys the cost model knows") {
  const std::set<std::string> keys{"v100-sxm2", "a100-sxm4-80gb", "a100-sxm4-40gb", "h100-sxm5",
                                   "l40s",      "a10",            "ascend910",      "ascend910b"};
  for (const NodePreset& p : node_presets()) {
    const Topology t = make_preset_topology(p.name);
    CHECK(t.num_devices() == p.devices_per_node);
    for (DeviceId d = 0; d < t.num_devices(); ++d) CHECK(keys.count(t.device_type(d)) == 1);
    for (LinkId l = 0; l < t.num_links(); ++l) CHECK(!t.link(l).source.empty());
  }
}

TEST_CASE("every preset, 1 and 3 nodes: routes are contiguous, devices never forward, latency is the sum") {
  for (const NodePreset& p : node_presets())
    for (std::uint32_t nodes : {1U, 3U}) {
      CAPTURE(p.name);
      CAPTURE(nodes);
      const Topology t = build_cluster(p, nodes);
      REQUIRE(t.num_devices() == nodes * p.devices_per_node);
      for (DeviceId a = 0; a < t.num_devices(); ++a)
        for (DeviceId b = 0; b < t.num_devices(); ++b) {
          const auto r = t.route(a, b);
          if (a == b) {
            CHECK(r.empty());
            CHECK(t.route_latency_s(a, b) == 0);
            CHECK(t.route_bandwidth_bytes_per_s(a, b) == std::numeric_limits<double>::infinity());
            continue;
          }
          REQUIRE(!r.empty());
          CHECK(t.link(r.front()).from == t.device_vertex(a));
          CHECK(t.link(r.back()).to == t.device_vertex(b));
          double latency = 0, narrowest = std::numeric_limits<double>::infinity();
          for (std::size_t i = 0; i < r.size(); ++i) {
            latency += t.link(r[i]).latency_s;
            narrowest = std::min(narrowest, t.link(r[i]).bandwidth_bytes_per_s);
            if (i + 1 < r.size()) {
              CHECK(t.link(r[i]).to == t.link(r[i + 1]).from);
              CHECK(!t.device_of_vertex(t.link(r[i]).to).has_value());  // no device forwards
            }
          }
          CHECK(t.route_latency_s(a, b) == latency);
          CHECK(t.route_bandwidth_bytes_per_s(a, b) == narrowest);
        }
    }
}

TEST_CASE("an unknown preset is an InputError listing the presets") {
  try {
    (void)make_preset_topology("h100");
    FAIL("expected InputError");
  } catch (const InputError& e) {
    CHECK(e.where() == "--topology");
    const std::string what = e.what();
    for (const NodePreset& p : node_presets()) CHECK(what.find(std::string(p.name)) != std::string::npos);
  }
}

}  // namespace
}  // namespace spsim
