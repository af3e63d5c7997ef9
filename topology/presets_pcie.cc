// PCIe server presets: 8 x L40S on two sockets without GPU peer-to-peer, and
// 4 x A10 behind two PCIe switches (the TokenRing test bed). Numbers:
// hardware_facts.h (hardware.md "PCIe servers").
#include <array>

#include "topology/hardware_facts.h"
#include "topology/node_preset.h"

namespace spsim {
namespace {

using namespace hw;

constexpr const char* kGen4Source =
    "hardware.md PCIe: Gen4 x16 31.5 GB/s per direction (NCCL model 24); (?) the card's Gen4 x16 interface is from "
    "its NVIDIA datasheet, not hardware.md; latency 2.5 us per link (?) derived from NCCL tuning.cc PCIe/NVLink "
    "per-hop ratio";

// One NIC per PCIe switch, on the switch's Gen4 x16 link: a modelling choice
// (?) for generic PCIe servers, which hardware.md does not describe.
NicAttachment nic_on(VertexId sw, std::vector<DeviceId> serves) {
  return NicAttachment{sw, kPcieGen4x16Bw, kPcieHopLatency, LinkKind::kPcie, kGen4Source, std::move(serves)};
}

// 8 x L40S: two sockets x 2 PCIe Gen4 switches x 2 GPUs ("typical 8-GPU PCIe
// server: two sockets x 4 GPUs behind PCIe switches", hardware.md; 2 switches
// per socket is (?) a choice). No GPU peer-to-peer: every copy between two
// GPUs of the node is staged through the sender's socket memory (NCCL's SHM
// transport), so it climbs to the CPU even between GPUs on one switch, loads
// the switch uplinks in both directions, crosses the host-memory hop twice
// (write, then read back) and pays ~21 us.
std::vector<NicAttachment> add_l40s_node(TopologyBuilder& b, std::uint32_t node) {
  const DeviceId first = b.num_devices();
  std::array<VertexId, 8> gpu{};
  for (std::uint32_t i = 0; i < 8; ++i)
    gpu[i] = b.add_device(node_vertex_name(node, "gpu" + std::to_string(i)), node, "l40s");
  std::array<VertexId, 2> cpu{}, mem{};
  for (std::uint32_t s = 0; s < 2; ++s) {
    cpu[s] = b.add_vertex(VertexKind::kCpu, node_vertex_name(node, "cpu" + std::to_string(s)), node);
    mem[s] = b.add_vertex(VertexKind::kHostMemory, node_vertex_name(node, "mem" + std::to_string(s)), node);
    b.add_link(cpu[s], mem[s], kHostStagedGen4Bw, kHostMemoryHopLatency, LinkKind::kHostMemory,
               "hardware.md PCIe servers: host-staged copy ~20 GB/s one way (A100 Gen4, measured; (?) reused for "
               "L40S); latency 5.5 us so a staged GPU-GPU route is ~21 us (A100 staged 18-24 us)");
  }
  b.add_link(cpu[0], cpu[1], kUpiSapphireRapidsNcclBw, kCpuLinkLatency, LinkKind::kCpuInterconnect,
             "hardware.md PCIe servers: NCCL CPU-link model, Sapphire Rapids UPI 22 GB/s ((?) CPU choice); latency "
             "2.5 us (?) taken equal to a PCIe hop");
  std::vector<NicAttachment> nics;
  for (std::uint32_t p = 0; p < 4; ++p) {
    const VertexId sw = b.add_vertex(VertexKind::kPcieSwitch, node_vertex_name(node, "pcie" + std::to_string(p)), node);
    b.add_link(sw, cpu[p / 2], kPcieGen4x16Bw, kPcieHopLatency, LinkKind::kPcie, kGen4Source);
    for (std::uint32_t i = 2 * p; i < 2 * p + 2; ++i) {
      b.add_link(gpu[i], sw, kPcieGen4x16Bw, kPcieHopLatency, LinkKind::kPcie, kGen4Source);
      b.set_staging(first + i, mem[p / 2]);
    }
    nics.push_back(nic_on(sw, {first + 2 * p, first + 2 * p + 1}));
  }
  return nics;
}

// 4 x A10 behind two PCIe Gen4 switches on one CPU (strategies.md: TokenRing's
// test bed, "4 x A10 on PCIe, GPUs behind one switch, or several"). (?) GPU
// peer-to-peer over PCIe is assumed on (A10 is a data-centre card), so GPUs
// on one switch talk through it and the pairs across switches through the CPU.
std::vector<NicAttachment> add_a10_node(TopologyBuilder& b, std::uint32_t node) {
  const DeviceId first = b.num_devices();
  std::array<VertexId, 4> gpu{};
  for (std::uint32_t i = 0; i < 4; ++i)
    gpu[i] = b.add_device(node_vertex_name(node, "gpu" + std::to_string(i)), node, "a10");
  const VertexId cpu = b.add_vertex(VertexKind::kCpu, node_vertex_name(node, "cpu0"), node);
  std::vector<NicAttachment> nics;
  for (std::uint32_t p = 0; p < 2; ++p) {
    const VertexId sw = b.add_vertex(VertexKind::kPcieSwitch, node_vertex_name(node, "pcie" + std::to_string(p)), node);
    b.add_link(sw, cpu, kPcieGen4x16Bw, kPcieHopLatency, LinkKind::kPcie, kGen4Source);
    for (std::uint32_t i = 2 * p; i < 2 * p + 2; ++i)
      b.add_link(gpu[i], sw, kPcieGen4x16Bw, kPcieHopLatency, LinkKind::kPcie, kGen4Source);
    nics.push_back(nic_on(sw, {first + 2 * p, first + 2 * p + 1}));
  }
  return nics;
}

constexpr NetworkPort kL40sPort{"InfiniBand HDR 200 Gb/s (?)", kIbHdrBw,
                                "(?) modelling choice: one HDR 200 Gb/s NIC per PCIe switch (25 GB/s per direction, "
                                "hardware.md networks)"};
constexpr NetworkPort kA10Port{"InfiniBand EDR 100 Gb/s (?)", kIbEdrBw,
                               "(?) modelling choice: one EDR 100 Gb/s NIC per PCIe switch (12.5 GB/s per direction, "
                               "hardware.md networks)"};

const NodePreset kPciePresets[] = {
    {"pcie-l40s-8", "8 x L40S, 2 sockets x 2 PCIe Gen4 switches, no GPU P2P (staged through host memory)", 8,
     kL40sPort, add_l40s_node},
    {"pcie-a10-4", "4 x A10 behind 2 PCIe Gen4 switches on one CPU, P2P over PCIe (TokenRing test bed)", 4, kA10Port,
     add_a10_node},
};

}  // namespace

std::span<const NodePreset> pcie_node_presets() { return kPciePresets; }

}  // namespace spsim
