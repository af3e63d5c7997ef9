// NVIDIA SXM node presets: DGX H100 / DGX A100 (NVSwitch) and DGX-1 V100
// (NVLink hybrid cube-mesh). Numbers: hardware_facts.h (hardware.md).
#include <array>
#include <utility>

#include "topology/hardware_facts.h"
#include "topology/node_preset.h"

namespace spsim {
namespace {

using namespace hw;

struct NvswitchNodeSpec {
  const char* device_type;
  double nvlink_bytes_per_s;
  const char* nvlink_source;
  double pcie_bytes_per_s;
  const char* pcie_source;
  std::uint32_t nics_per_pcie_switch = 2;  // 2: one NIC per GPU (DGX); 1: one per GPU pair
};

// 8 GPUs on one NVSwitch fabric, modelled as ONE switch vertex with one link
// per GPU carrying that GPU's aggregate NVLink bandwidth (the 4 or 6 physical
// NVSwitch chips together act as a non-blocking crossbar). GPU i and i+1 (i
// even) share a PCIe switch, which also carries NICs i and i+1 in clusters:
// DGX A100/H100 have 8 compute NICs, one per GPU (hardware.md); the PCIe
// switch layout (4 switches x 2 GPUs + 2 NICs) is (?) not in hardware.md.
// Nodes with 4 NICs (ABCI's) put one NIC on each switch, shared by its pair.
std::vector<NicAttachment> add_nvswitch_node(TopologyBuilder& b, std::uint32_t node, const NvswitchNodeSpec& s) {
  const DeviceId first = b.num_devices();
  std::array<VertexId, 8> gpu{};
  for (std::uint32_t i = 0; i < 8; ++i)
    gpu[i] = b.add_device(node_vertex_name(node, "gpu" + std::to_string(i)), node, s.device_type);
  const VertexId nvswitch = b.add_vertex(VertexKind::kSwitch, node_vertex_name(node, "nvswitch"), node);
  for (VertexId g : gpu) b.add_link(g, nvswitch, s.nvlink_bytes_per_s, kNvswitchHopLatency, LinkKind::kNvlink, s.nvlink_source);
  std::vector<NicAttachment> nics;
  for (std::uint32_t p = 0; p < 4; ++p) {
    const VertexId sw = b.add_vertex(VertexKind::kPcieSwitch, node_vertex_name(node, "pcie" + std::to_string(p)), node);
    for (std::uint32_t i = 2 * p; i < 2 * p + 2; ++i) {
      b.add_link(gpu[i], sw, s.pcie_bytes_per_s, kPcieHopLatency, LinkKind::kPcie, s.pcie_source);
      if (s.nics_per_pcie_switch == 2)
        nics.push_back(NicAttachment{sw, s.pcie_bytes_per_s, kPcieHopLatency, LinkKind::kPcie, s.pcie_source, {first + i}});
    }
    if (s.nics_per_pcie_switch == 1)
      nics.push_back(NicAttachment{sw, s.pcie_bytes_per_s, kPcieHopLatency, LinkKind::kPcie, s.pcie_source,
                                   {first + 2 * p, first + 2 * p + 1}});
  }
  return nics;
}

constexpr const char* kPcieGen4Source =
    "hardware.md PCIe: Gen4 x16 31.5 GB/s per direction (NCCL model 24); latency 2.5 us per link (?) derived "
    "from NCCL tuning.cc PCIe/NVLink per-hop ratio; PCIe switch layout (?)";
constexpr const char* kPcieGen5Source =
    "hardware.md PCIe: Gen5 x16 63 GB/s per direction (NCCL model 48); latency 2.5 us per link (?) derived "
    "from NCCL tuning.cc PCIe/NVLink per-hop ratio; PCIe switch layout (?)";
constexpr const char* kPcieGen3Source =
    "hardware.md PCIe: Gen3 x16 15.75 GB/s per direction (NCCL model 12); latency 2.5 us per link (?) derived "
    "from NCCL tuning.cc PCIe/NVLink per-hop ratio";

// H100 SXM5: NVLink4 18 x 25 = 450 GB/s per direction per GPU (line rate;
// NCCL's effective model 18 x 20.6 = 370.8 GB/s, nccl src/graph/topo.h;
// measured one-way P2P ~371-377 GB/s, nccl #1264). PCIe Gen5.
constexpr NvswitchNodeSpec kH100{
    "h100-sxm5", kH100NvlinkBw,
    "hardware.md NVIDIA links: NVLink4 18 x 25 GB/s = 450 GB/s per direction per GPU, line rate (H100 datasheet; "
    "NCCL effective 20.6/link = 370.8 GB/s, nccl src/graph/topo.h); latency 1.5 us = half of A100 P2P 2.6-3.3 us",
    kPcieGen5x16Bw, kPcieGen5Source};
// A100 SXM4: NVLink3 12 x 25 = 300 GB/s per direction per GPU (line rate;
// NCCL's effective model 12 x 20 = 240 GB/s; measured all-reduce busbw ~230 GB/s,
// nccl-tests #149). PCIe Gen4.
constexpr NvswitchNodeSpec kA100{
    "a100-sxm4-80gb", kA100NvlinkBw,
    "hardware.md NVIDIA links: NVLink3 12 x 25 GB/s = 300 GB/s per direction per GPU, line rate (A100 datasheet; "
    "NCCL effective 20/link = 240 GB/s, nccl src/graph/topo.h); latency 1.5 us = half of A100 P2P 2.6-3.3 us",
    kPcieGen4x16Bw, kPcieGen4Source};
constexpr NvswitchNodeSpec kA100_40{"a100-sxm4-40gb", kA100.nvlink_bytes_per_s, kA100.nvlink_source,
                                    kA100.pcie_bytes_per_s, kA100.pcie_source};
// ABCI Compute Node (A): 8 x A100 SXM4 40GB on NVLink + NVSwitch, 4 x HDR
// 200 Gb/s (aistabci/abci-docs en/docs/system-overview.md, "Compute Node (A)":
// "InfiniBand HDR (200 Gbps) | 4"); which PCIe switch each NIC sits on is
// (?) not documented there: one per GPU pair, as the DGX pairs its GPUs.
constexpr NvswitchNodeSpec kAbciA{"a100-sxm4-40gb", kA100.nvlink_bytes_per_s, kA100.nvlink_source,
                                  kA100.pcie_bytes_per_s, kA100.pcie_source, 1};

// DGX-1 V100 hybrid cube-mesh, exactly as hardware.md lists it (from
// `nvidia-smi topo -m` of real machines): pairs joined by two NVLinks carry
// 2 x 25 GB/s per direction, pairs with one carry 25 GB/s.
constexpr std::array<std::pair<int, int>, 8> kDgx1DoubleLinks{{{0, 3}, {0, 4}, {1, 2}, {1, 5}, {2, 3}, {4, 7}, {5, 6}, {6, 7}}};
constexpr std::array<std::pair<int, int>, 8> kDgx1SingleLinks{{{0, 1}, {0, 2}, {1, 3}, {2, 6}, {3, 7}, {4, 5}, {4, 6}, {5, 7}}};

// DGX-1: unlinked pairs (0<->5,6,7; 1<->4,6,7; 2<->4,5,7; 3<->4,5,6) fall back
// to PCIe Gen3 and QPI: 4 PCIe switches with 2 GPUs and one EDR NIC each
// (hardware.md), switches 0-1 on CPU 0 and 2-3 on CPU 1 (every unlinked pair
// then crosses QPI, as the unlinked pairs all span the two GPU quads).
std::vector<NicAttachment> add_dgx1_node(TopologyBuilder& b, std::uint32_t node) {
  const DeviceId first = b.num_devices();
  std::array<VertexId, 8> gpu{};
  for (std::uint32_t i = 0; i < 8; ++i)
    gpu[i] = b.add_device(node_vertex_name(node, "gpu" + std::to_string(i)), node, "v100-sxm2");
  const char* nvlink_source =
      "hardware.md NVIDIA links + DGX-1 cube-mesh: NVLink2 25 GB/s per direction per link, line rate (V100 datasheet; "
      "NCCL effective 20/link, nccl src/graph/topo.h); latency 3 us (?) A100 P2P 2.6-3.3 us reused for V100";
  for (auto [x, y] : kDgx1DoubleLinks)
    b.add_link(gpu[x], gpu[y], 2 * kNvlink2LinkBw, kNvlinkDirectLatency, LinkKind::kNvlink, nvlink_source);
  for (auto [x, y] : kDgx1SingleLinks)
    b.add_link(gpu[x], gpu[y], kNvlink2LinkBw, kNvlinkDirectLatency, LinkKind::kNvlink, nvlink_source);

  const std::array<VertexId, 2> cpu{b.add_vertex(VertexKind::kCpu, node_vertex_name(node, "cpu0"), node),
                                    b.add_vertex(VertexKind::kCpu, node_vertex_name(node, "cpu1"), node)};
  b.add_link(cpu[0], cpu[1], kQpiBroadwellNcclBw, kCpuLinkLatency, LinkKind::kCpuInterconnect,
             "NCCL model QPI_BW 6 GB/s for Broadwell QPI (nccl src/graph/topo.h, named by hardware.md; hardware.md "
             "quotes Skylake UPI 10); latency 2.5 us (?) taken equal to a PCIe hop");
  std::vector<NicAttachment> nics;
  for (std::uint32_t p = 0; p < 4; ++p) {
    const VertexId sw = b.add_vertex(VertexKind::kPcieSwitch, node_vertex_name(node, "pcie" + std::to_string(p)), node);
    b.add_link(sw, cpu[p / 2], kPcieGen3x16Bw, kPcieHopLatency, LinkKind::kPcie, kPcieGen3Source);
    for (std::uint32_t i = 2 * p; i < 2 * p + 2; ++i)
      b.add_link(gpu[i], sw, kPcieGen3x16Bw, kPcieHopLatency, LinkKind::kPcie, kPcieGen3Source);
    nics.push_back(NicAttachment{sw, kPcieGen3x16Bw, kPcieHopLatency, LinkKind::kPcie, kPcieGen3Source,
                                 {first + 2 * p, first + 2 * p + 1}});
  }
  return nics;
}

constexpr NetworkPort kNdr{"InfiniBand NDR 400 Gb/s", kIbNdrBw,
                           "hardware.md networks: NDR 400 Gb/s = 50 GB/s per direction (~46-48 measured per NIC); "
                           "DGX H100: 8 compute NICs, one per GPU"};
constexpr NetworkPort kHdr{"InfiniBand HDR 200 Gb/s", kIbHdrBw,
                           "hardware.md networks: HDR 200 Gb/s = 25 GB/s per direction; DGX A100: 8 compute NICs, one "
                           "per GPU"};
constexpr NetworkPort kHdrAbci{"InfiniBand HDR 200 Gb/s", kIbHdrBw,
                               "hardware.md networks: HDR 200 Gb/s = 25 GB/s per direction; ABCI Compute Node (A): 4 "
                               "HDR ports (aistabci/abci-docs en/docs/system-overview.md)"};
constexpr NetworkPort kEdr{"InfiniBand EDR 100 Gb/s", kIbEdrBw,
                           "hardware.md networks + DGX-1: EDR 100 Gb/s = 12.5 GB/s per direction; 4 NICs, one per PCIe "
                           "switch"};

const NodePreset kNvidiaPresets[] = {
    {"h100-sxm8", "DGX H100: 8 x H100 SXM5 on NVSwitch (450 GB/s per GPU), 8 x NDR 400 Gb/s", 8, kNdr,
     [](TopologyBuilder& b, std::uint32_t n) { return add_nvswitch_node(b, n, kH100); }},
    {"a100-sxm8", "DGX A100 80GB: 8 x A100 SXM4 on NVSwitch (300 GB/s per GPU), 8 x HDR 200 Gb/s", 8, kHdr,
     [](TopologyBuilder& b, std::uint32_t n) { return add_nvswitch_node(b, n, kA100); }},
    {"a100-40gb-sxm8", "DGX A100 40GB: as a100-sxm8 with 40 GB GPUs", 8, kHdr,
     [](TopologyBuilder& b, std::uint32_t n) { return add_nvswitch_node(b, n, kA100_40); }},
    {"abci-a100", "ABCI Compute Node (A): 8 x A100 SXM4 40GB on NVSwitch, 4 x HDR 200 Gb/s (one per GPU pair)", 8,
     kHdrAbci, [](TopologyBuilder& b, std::uint32_t n) { return add_nvswitch_node(b, n, kAbciA); }},
    {"dgx1-v100", "DGX-1: 8 x V100 SXM2, NVLink2 hybrid cube-mesh, PCIe Gen3 + QPI fallback, 4 x EDR 100 Gb/s", 8,
     kEdr, add_dgx1_node},
};

}  // namespace

std::span<const NodePreset> nvidia_node_presets() { return kNvidiaPresets; }

}  // namespace spsim
