// Huawei Ascend node presets: 910B (8-NPU HCCS full mesh) and 910 (two 4-NPU
// HCCS meshes joined over PCIe and the CPUs). Numbers: hardware_facts.h
// (hardware.md "Huawei Ascend").
#include <array>

#include "topology/hardware_facts.h"
#include "topology/node_preset.h"

namespace spsim {
namespace {

using namespace hw;

// Each NPU's scale-out RoCE port is modelled as a NIC joined to the NPU itself
// ((?) an on-package port: hardware.md gives only "8 x 200 GbE RoCE per
// server" for the 910B) by a network-class link at the port rate.
std::vector<NicAttachment> per_npu_roce_ports(DeviceId first, const std::vector<VertexId>& npu, double port_bw) {
  const char* source =
      "(?) NPU to its RoCE port: port rate, latency 5 us standing in for a GPU's two PCIe hops to its NIC";
  std::vector<NicAttachment> nics;
  for (std::uint32_t i = 0; i < npu.size(); ++i)
    nics.push_back(NicAttachment{npu[i], port_bw, kNpuToRoceLatency, LinkKind::kNetwork, source, {first + i}});
  return nics;
}

std::vector<VertexId> add_npus(TopologyBuilder& b, std::uint32_t node, const char* device_type) {
  std::vector<VertexId> npu;
  for (std::uint32_t i = 0; i < 8; ++i)
    npu.push_back(b.add_device(node_vertex_name(node, "npu" + std::to_string(i)), node, device_type));
  return npu;
}

void add_hccs_full_mesh(TopologyBuilder& b, const std::vector<VertexId>& npu, std::uint32_t begin, std::uint32_t end,
                        double link_bw, const char* source) {
  for (std::uint32_t x = begin; x < end; ++x)
    for (std::uint32_t y = x + 1; y < end; ++y) b.add_link(npu[x], npu[y], link_bw, kHccsLatency, LinkKind::kHccs, source);
}

// 910B: 8 NPUs, HCCS full mesh without a switch: 7 links per NPU, 28 GB/s per
// direction per link (56 GB/s both ways; 392 GB/s per NPU in total).
std::vector<NicAttachment> add_910b_node(TopologyBuilder& b, std::uint32_t node) {
  const DeviceId first = b.num_devices();
  const std::vector<VertexId> npu = add_npus(b, node, "ascend910b");
  add_hccs_full_mesh(b, npu, 0, 8, kAscend910bHccsLinkBw,
                     "hardware.md Ascend 910B: HCCS full mesh, 7 links x 56 GB/s both directions = 28 GB/s per "
                     "direction per link (measured D2D write 19.0-19.4 GB/s); latency 3 us (?) assumed like NVLink P2P");
  return per_npu_roce_ports(first, npu, kRoce200Bw);
}

// 910 (first generation): NPUs 0-3 and 4-7 form two HCCS full meshes (3 ports
// x 30 GB/s per chip, one per peer); the halves meet only over PCIe and the
// CPUs. (?) Each NPU is modelled on a PCIe Gen4 x16 root port of its half's
// CPU, the two CPUs joined by one CPU link; neither is in hardware.md.
std::vector<NicAttachment> add_910_node(TopologyBuilder& b, std::uint32_t node) {
  const DeviceId first = b.num_devices();
  const std::vector<VertexId> npu = add_npus(b, node, "ascend910");
  const char* hccs_source =
      "hardware.md Ascend 910: 3 HCCS ports x 30 GB/s per chip (Hot Chips 2019), per direction by hardware.md's "
      "convention; two 4-NPU meshes (0-3, 4-7); latency 3 us (?) assumed like NVLink P2P";
  add_hccs_full_mesh(b, npu, 0, 4, kAscend910HccsLinkBw, hccs_source);
  add_hccs_full_mesh(b, npu, 4, 8, kAscend910HccsLinkBw, hccs_source);
  const std::array<VertexId, 2> cpu{b.add_vertex(VertexKind::kCpu, node_vertex_name(node, "cpu0"), node),
                                    b.add_vertex(VertexKind::kCpu, node_vertex_name(node, "cpu1"), node)};
  b.add_link(cpu[0], cpu[1], kAmdCpuLinkNcclBw, kCpuLinkLatency, LinkKind::kCpuInterconnect,
             "(?) Kunpeng CPU link: no figure in hardware.md; NCCL's non-Intel CPU model 16 GB/s (AMD) used as a "
             "placeholder; latency 2.5 us taken equal to a PCIe hop");
  for (std::uint32_t i = 0; i < 8; ++i)
    b.add_link(npu[i], cpu[i / 4], kPcieGen4x16Bw, kPcieHopLatency, LinkKind::kPcie,
               "(?) NPU on a PCIe Gen4 x16 root port: 31.5 GB/s per direction (hardware.md PCIe); latency 2.5 us "
               "derived from NCCL tuning.cc PCIe/NVLink per-hop ratio");
  return per_npu_roce_ports(first, npu, kRoce100Bw);
}

constexpr NetworkPort kRoce200{"RoCE 200 GbE", kRoce200Bw,
                               "hardware.md Ascend 910B: 8 x 200 GbE RoCE per server = 25 GB/s per direction each"};
constexpr NetworkPort kRoce100{"RoCE 100 GbE (?)", kRoce100Bw,
                               "(?) Ascend 910 server: 8 x 100 GbE RoCE (Atlas 800 model 9000 sheets; not in "
                               "hardware.md) = 12.5 GB/s per direction each"};

const NodePreset kAscendPresets[] = {
    {"ascend910b-8", "8 x Ascend 910B, HCCS full mesh (7 x 28 GB/s per NPU), 8 x 200 GbE RoCE", 8, kRoce200,
     add_910b_node},
    {"ascend910-8", "8 x Ascend 910, two 4-NPU HCCS meshes (0-3, 4-7) joined over PCIe + CPUs, 8 x 100 GbE (?)", 8,
     kRoce100, add_910_node},
};

}  // namespace

std::span<const NodePreset> ascend_node_presets() { return kAscendPresets; }

}  // namespace spsim
