// Multi-node clusters on a rail-optimized network (topology/cluster.h), and
// the calibration hook scale_link_kind.
#include <doctest/doctest.h>

#include <map>

#include "program/input_error.h"
#include "tests/topology/route_helpers.h"
#include "topology/cluster.h"
#include "topology/hardware_facts.h"
#include "topology/node_preset.h"

namespace spsim {
namespace {

using testing::route_kinds;
using testing::route_vertices;
using testing::vertex_named;
using V = std::vector<std::string>;
using K = std::vector<LinkKind>;
using hw::kGB;
using hw::kUs;

TEST_CASE("h100-sxm8 x 2: same rail GPU -> PCIe switch -> NIC -> leaf -> NIC -> PCIe switch -> GPU") {
  const Topology t = make_preset_topology("h100-sxm8", 2);
  REQUIRE(t.num_devices() == 16);
  CHECK(t.num_nodes() == 2);
  CHECK(t.node_of(8) == 1);
  CHECK(route_vertices(t, 0, 8) == V{"node0/gpu0", "node0/pcie0", "node0/nic0", "leaf0", "node1/nic0",
                                     "node1/pcie0", "node1/gpu0"});
  CHECK(route_kinds(t, 0, 8) == K{LinkKind::kPcie, LinkKind::kPcie, LinkKind::kNetwork, LinkKind::kNetwork,
                                  LinkKind::kPcie, LinkKind::kPcie});
  // Bottleneck: min(PCIe Gen5 63, NDR 50) = 50 GB/s. Latency: 4 PCIe x 2.5 + 2 x 2 = 14 us.
  CHECK(t.route_bandwidth_bytes_per_s(0, 8) == 50 * kGB);
  CHECK(t.route_latency_s(0, 8) == doctest::Approx(14 * kUs));
  // Inside a node, nothing changes: GPU -> NVSwitch -> GPU.
  CHECK(route_vertices(t, 9, 15) == V{"node1/gpu1", "node1/nvswitch", "node1/gpu7"});
}

TEST_CASE("h100-sxm8 x 2: cross-rail traffic leaves by the sender's NIC and climbs to the spine") {
  const Topology t = make_preset_topology("h100-sxm8", 2);
  // node0/gpu0 (rail 0) -> node1/gpu3 (rail 3, on PCIe switch 1).
  CHECK(route_vertices(t, 0, 11) == V{"node0/gpu0", "node0/pcie0", "node0/nic0", "leaf0", "spine", "leaf3",
                                      "node1/nic3", "node1/pcie1", "node1/gpu3"});
  // Same-rail 14 us plus two leaf-spine hops of 0.5 us = 15 us.
  CHECK(t.route_latency_s(0, 11) == doctest::Approx(15 * kUs));
  CHECK(t.route_bandwidth_bytes_per_s(0, 11) == 50 * kGB);
}

TEST_CASE("clusters: NIC counts and port rates of the real machines") {
  struct Case {
    const char* preset;
    std::size_t nics_per_node;
    double port;
  };
  // hardware.md: DGX H100 8 x NDR (50 GB/s), DGX A100 8 x HDR (25), DGX-1 4 x EDR (12.5),
  // 910B 8 x 200 GbE (25); 910 8 x 100 GbE (?), PCIe servers one NIC per PCIe switch (choice).
  for (const Case& c : {Case{"h100-sxm8", 8, 50 * kGB}, Case{"a100-sxm8", 8, 25 * kGB},
                        Case{"dgx1-v100", 4, 12.5 * kGB}, Case{"ascend910b-8", 8, 25 * kGB},
                        Case{"ascend910-8", 8, 12.5 * kGB}, Case{"pcie-l40s-8", 4, 25 * kGB},
                        Case{"pcie-a10-4", 2, 12.5 * kGB}}) {
    CAPTURE(c.preset);
    const std::uint32_t nodes = 3;
    const Topology t = make_preset_topology(c.preset, nodes);
    std::map<std::uint32_t, std::size_t> nics_on_node;
    std::size_t leaves = 0;
    for (VertexId v = 0; v < t.num_vertices(); ++v) {
      if (t.vertex(v).kind == VertexKind::kNic) ++nics_on_node[t.vertex(v).node];
      if (t.vertex(v).name.rfind("leaf", 0) == 0) ++leaves;
    }
    CHECK(leaves == c.nics_per_node);  // one leaf per rail
    for (std::uint32_t n = 0; n < nodes; ++n) CHECK(nics_on_node[n] == c.nics_per_node);
    const VertexId spine = vertex_named(t, "spine");
    for (LinkId l = 0; l < t.num_links(); ++l) {
      const Link& x = t.link(l);
      if (t.vertex(x.from).kind == VertexKind::kNic && t.vertex(x.to).name.rfind("leaf", 0) == 0)
        CHECK(x.bandwidth_bytes_per_s == c.port);
      if (x.to == spine) CHECK(x.bandwidth_bytes_per_s == nodes * c.port);  // non-blocking leaf uplink
    }
  }
}

TEST_CASE("dgx1-v100 x 2: the two GPUs of a PCIe switch share its EDR NIC") {
  const Topology t = make_preset_topology("dgx1-v100", 2);
  CHECK(t.nic_of(0) == vertex_named(t, "node0/nic0"));
  CHECK(t.nic_of(1) == vertex_named(t, "node0/nic0"));
  CHECK(t.nic_of(2) == vertex_named(t, "node0/nic1"));
  CHECK(t.nic_of(15) == vertex_named(t, "node1/nic3"));
  // node0/gpu1 -> node1/gpu0: same rail, min(PCIe Gen3 15.75, EDR 12.5) = 12.5 GB/s.
  CHECK(route_vertices(t, 1, 8) == V{"node0/gpu1", "node0/pcie0", "node0/nic0", "leaf0", "node1/nic0",
                                     "node1/pcie0", "node1/gpu0"});
  CHECK(t.route_bandwidth_bytes_per_s(1, 8) == 12.5 * kGB);
  // Unlinked pairs inside a node still take PCIe + QPI, not the network.
  CHECK(route_kinds(t, 8, 13) ==
        K{LinkKind::kPcie, LinkKind::kPcie, LinkKind::kCpuInterconnect, LinkKind::kPcie, LinkKind::kPcie});
}

TEST_CASE("ascend910b-8 x 2: NPU -> its RoCE port -> leaf -> RoCE port -> NPU") {
  const Topology t = make_preset_topology("ascend910b-8", 2);
  CHECK(route_vertices(t, 2, 10) == V{"node0/npu2", "node0/nic2", "leaf2", "node1/nic2", "node1/npu2"});
  // 5 us port + 2 + 2 + 5 us port = 14 us, as on NVIDIA nodes; 200 GbE = 25 GB/s.
  CHECK(t.route_latency_s(2, 10) == doctest::Approx(14 * kUs));
  CHECK(t.route_bandwidth_bytes_per_s(2, 10) == 25 * kGB);
  CHECK(route_kinds(t, 2, 3) == K{LinkKind::kHccs});
}

TEST_CASE("pcie-l40s-8 x 2: GPUDirect to the NIC, no staging between nodes") {
  const Topology t = make_preset_topology("pcie-l40s-8", 2);
  CHECK(route_vertices(t, 5, 13) == V{"node0/gpu5", "node0/pcie2", "node0/nic2", "leaf2", "node1/nic2",
                                      "node1/pcie2", "node1/gpu5"});
}

TEST_CASE("clusters: one node has no network; zero nodes is an InputError") {
  const Topology t = make_preset_topology("h100-sxm8", 1);
  CHECK(t.name() == "h100-sxm8");
  CHECK(!t.find_vertex("spine").has_value());
  CHECK(!t.nic_of(0).has_value());
  CHECK(make_preset_topology("h100-sxm8", 4).name() == "h100-sxm8 x 4 nodes");
  CHECK_THROWS_AS((void)make_preset_topology("h100-sxm8", 0), InputError);
}

TEST_CASE("link classes: listed in LinkKind order; scaling one class leaves the others and the routes") {
  Topology t = make_preset_topology("dgx1-v100", 2);
  CHECK(t.link_kinds() == K{LinkKind::kNvlink, LinkKind::kPcie, LinkKind::kCpuInterconnect, LinkKind::kNetwork});
  CHECK(make_preset_topology("pcie-l40s-8").link_kinds() ==
        K{LinkKind::kPcie, LinkKind::kCpuInterconnect, LinkKind::kHostMemory});
  const auto before = route_vertices(t, 0, 5);
  const double pcie_path_before = t.route_latency_s(0, 5);
  t.scale_link_kind(LinkKind::kNvlink, 0.8, 2.0);
  // NVLink 0->3: 50 GB/s x 0.8 = 40 GB/s, 3 us x 2 = 6 us.
  CHECK(t.route_bandwidth_bytes_per_s(0, 3) == doctest::Approx(40 * kGB));
  CHECK(t.route_latency_s(0, 3) == doctest::Approx(6 * kUs));
  CHECK(t.route_latency_s(0, 5) == pcie_path_before);  // no NVLink on that route
  CHECK(route_vertices(t, 0, 5) == before);
  // Network: 12.5 GB/s x 0.5 on the NIC-leaf links -> the inter-node bottleneck halves.
  t.scale_link_kind(LinkKind::kNetwork, 0.5, 1.0);
  CHECK(t.route_bandwidth_bytes_per_s(0, 8) == doctest::Approx(6.25 * kGB));
  CHECK_THROWS_AS(t.scale_link_kind(LinkKind::kPcie, 0.0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(t.scale_link_kind(LinkKind::kPcie, 1.0, -1.0), std::invalid_argument);
}

}  // namespace
}  // namespace spsim
