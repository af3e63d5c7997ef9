// Routing rules (topology/routing.h) and TopologyBuilder checks, on small
// hand-built graphs where the right answer is obvious.
#include <doctest/doctest.h>

#include "program/input_error.h"
#include "tests/topology/route_helpers.h"
#include "topology/cluster.h"
#include "topology/hardware_facts.h"
#include "topology/topology_builder.h"

namespace spsim {
namespace {

using testing::route_vertices;
using V = std::vector<std::string>;
using hw::kGB;
using hw::kUs;

TEST_CASE("routing: among equally short paths the widest wins") {
  TopologyBuilder b("two-switches");
  const VertexId d0 = b.add_device("d0", 0, "a10"), d1 = b.add_device("d1", 0, "a10");
  const VertexId narrow = b.add_vertex(VertexKind::kPcieSwitch, "narrow", 0);
  const VertexId wide = b.add_vertex(VertexKind::kPcieSwitch, "wide", 0);
  b.add_link(d0, narrow, 10 * kGB, 1 * kUs, LinkKind::kPcie, "test");
  b.add_link(narrow, d1, 10 * kGB, 1 * kUs, LinkKind::kPcie, "test");
  b.add_link(d0, wide, 40 * kGB, 1 * kUs, LinkKind::kPcie, "test");
  b.add_link(wide, d1, 20 * kGB, 1 * kUs, LinkKind::kPcie, "test");
  const Topology t = std::move(b).build();
  // Both paths have 2 hops; bottlenecks 10 and min(40, 20) = 20 GB/s.
  CHECK(route_vertices(t, 0, 1) == V{"d0", "wide", "d1"});
  CHECK(t.route_bandwidth_bytes_per_s(0, 1) == 20 * kGB);
  CHECK(t.route_latency_s(0, 1) == doctest::Approx(2 * kUs));
}

TEST_CASE("routing: fewest hops first, even when narrower") {
  TopologyBuilder b("direct-and-switch");
  const VertexId d0 = b.add_device("d0", 0, "a10"), d1 = b.add_device("d1", 0, "a10");
  const VertexId sw = b.add_vertex(VertexKind::kSwitch, "sw", 0);
  b.add_link(d0, sw, 100 * kGB, 1 * kUs, LinkKind::kNvlink, "test");
  b.add_link(sw, d1, 100 * kGB, 1 * kUs, LinkKind::kNvlink, "test");
  b.add_link(d0, d1, 5 * kGB, 1 * kUs, LinkKind::kPcie, "test");
  const Topology t = std::move(b).build();
  CHECK(route_vertices(t, 0, 1) == V{"d0", "d1"});
  CHECK(t.directly_linked(0, 1));
}

TEST_CASE("routing: a device never forwards, even when that path is shorter") {
  // d0 - d1 - d2 is 2 hops but d1 is a device; d0 - s1 - s2 - d2 is 3 hops.
  TopologyBuilder b("no-forwarding");
  const VertexId d0 = b.add_device("d0", 0, "a10"), d1 = b.add_device("d1", 0, "a10"),
                 d2 = b.add_device("d2", 0, "a10");
  const VertexId s1 = b.add_vertex(VertexKind::kPcieSwitch, "s1", 0), s2 = b.add_vertex(VertexKind::kCpu, "s2", 0);
  b.add_link(d0, d1, 50 * kGB, 1 * kUs, LinkKind::kNvlink, "test");
  b.add_link(d1, d2, 50 * kGB, 1 * kUs, LinkKind::kNvlink, "test");
  b.add_link(d0, s1, 10 * kGB, 1 * kUs, LinkKind::kPcie, "test");
  b.add_link(s1, s2, 10 * kGB, 1 * kUs, LinkKind::kPcie, "test");
  b.add_link(s2, d2, 10 * kGB, 1 * kUs, LinkKind::kPcie, "test");
  const Topology t = std::move(b).build();
  CHECK(route_vertices(t, 0, 2) == V{"d0", "s1", "s2", "d2"});
  CHECK(route_vertices(t, 0, 1) == V{"d0", "d1"});
}

TEST_CASE("routing: a staging vertex puts host memory on every route inside the node") {
  TopologyBuilder b("staged");
  const VertexId d0 = b.add_device("d0", 0, "l40s"), d1 = b.add_device("d1", 0, "l40s");
  const VertexId sw = b.add_vertex(VertexKind::kPcieSwitch, "sw", 0), cpu = b.add_vertex(VertexKind::kCpu, "cpu", 0);
  const VertexId mem = b.add_vertex(VertexKind::kHostMemory, "mem", 0);
  b.add_link(d0, sw, 30 * kGB, 1 * kUs, LinkKind::kPcie, "test");
  b.add_link(d1, sw, 30 * kGB, 1 * kUs, LinkKind::kPcie, "test");
  b.add_link(sw, cpu, 30 * kGB, 1 * kUs, LinkKind::kPcie, "test");
  b.add_link(cpu, mem, 20 * kGB, 5 * kUs, LinkKind::kHostMemory, "test");
  b.set_staging(0, mem);  // only d0: d1's copies to d0 are staged too (receiver's staging vertex)
  const Topology t = std::move(b).build();
  CHECK(route_vertices(t, 0, 1) == V{"d0", "sw", "cpu", "mem", "cpu", "sw", "d1"});
  CHECK(route_vertices(t, 1, 0) == V{"d1", "sw", "cpu", "mem", "cpu", "sw", "d0"});
  // 4 x 1 us + 2 x 5 us = 14 us; bottleneck 20 GB/s.
  CHECK(t.route_latency_s(0, 1) == doctest::Approx(14 * kUs));
  CHECK(t.route_bandwidth_bytes_per_s(1, 0) == 20 * kGB);
  CHECK(!t.directly_linked(0, 1));
}

TEST_CASE("routing is deterministic: two builds give the same routes") {
  const Topology x = make_preset_topology("dgx1-v100", 2), y = make_preset_topology("dgx1-v100", 2);
  for (DeviceId a = 0; a < x.num_devices(); ++a)
    for (DeviceId b = 0; b < x.num_devices(); ++b) {
      const auto rx = x.route(a, b), ry = y.route(a, b);
      CHECK(std::vector<LinkId>(rx.begin(), rx.end()) == std::vector<LinkId>(ry.begin(), ry.end()));
    }
}

TEST_CASE("builder: bad input is an InputError naming the topology") {
  auto expect_error = [](auto&& make, const std::string& fragment) {
    CAPTURE(fragment);
    try {
      make();
      FAIL("expected InputError");
    } catch (const InputError& e) {
      CHECK(e.where() == "topology 't'");
      CHECK(std::string(e.what()).find(fragment) != std::string::npos);
    }
  };
  expect_error([] { (void)TopologyBuilder("t").build(); }, "no devices");
  expect_error(
      [] {
        TopologyBuilder b("t");
        b.add_device("d", 0, "a10");
        b.add_device("d", 0, "a10");
      },
      "duplicate vertex name 'd'");
  expect_error([] { TopologyBuilder("t").add_device("d", 0, ""); }, "needs a device_type");
  expect_error([] { TopologyBuilder("t").add_vertex(VertexKind::kCpu, "c", 0, "a10"); }, "only devices");
  expect_error(
      [] {
        TopologyBuilder b("t");
        const VertexId x = b.add_device("x", 0, "a10"), y = b.add_device("y", 0, "a10");
        b.add_link(x, y, kGB, 0, LinkKind::kPcie, "");
        b.add_link(y, x, kGB, 0, LinkKind::kPcie, "");
      },
      "given twice");
  expect_error(
      [] {
        TopologyBuilder b("t");
        const VertexId x = b.add_device("x", 0, "a10");
        b.add_link(x, x, kGB, 0, LinkKind::kPcie, "");
      },
      "itself");
  expect_error(
      [] {
        TopologyBuilder b("t");
        const VertexId x = b.add_device("x", 0, "a10"), y = b.add_device("y", 0, "a10");
        b.add_link(x, y, 0, 0, LinkKind::kPcie, "");
      },
      "bandwidth must be finite and > 0");
  expect_error(
      [] {
        TopologyBuilder b("t");
        const VertexId x = b.add_device("x", 0, "a10"), y = b.add_device("y", 0, "a10");
        b.add_link(x, y, kGB, -1e-6, LinkKind::kPcie, "");
      },
      "latency must be finite and >= 0");
  expect_error(
      [] {
        TopologyBuilder b("t");
        b.add_device("x", 1, "a10");
        b.add_device("y", 0, "a10");
        (void)std::move(b).build();
      },
      "node-major");
  expect_error(
      [] {
        TopologyBuilder b("t");
        b.add_device("x", 0, "a10");
        b.add_device("y", 0, "a10");
        b.add_device("z", 1, "a10");
        (void)std::move(b).build();
      },
      "same number of devices");
  expect_error(
      [] {
        TopologyBuilder b("t");
        b.add_device("x", 0, "a10");
        b.add_device("y", 0, "a10");
        (void)std::move(b).build();
      },
      "no route from 'x' to 'y'");
  expect_error(
      [] {
        TopologyBuilder b("t");
        const VertexId x = b.add_device("x", 0, "a10"), y = b.add_device("y", 1, "a10");
        b.add_link(x, y, kGB, 0, LinkKind::kNetwork, "");
        (void)std::move(b).build();
      },
      "need a NIC");
  expect_error(
      [] {
        TopologyBuilder b("t");
        b.add_device("x", 0, "a10");
        const VertexId c = b.add_vertex(VertexKind::kCpu, "c", 0);
        b.set_staging(0, c);
      },
      "must be a host-memory vertex");
}

}  // namespace
}  // namespace spsim
