#pragma once
// The numbers the topology presets are built from, each with its source.
// Primary reference: ../shared/reference/hardware.md ("hw.md" below), which
// names the original sources (datasheets, NVIDIA/nccl src/graph/topo.h and
// tuning.cc, nccl-tests issues, Hot Chips 2019, hicann/hccl docs).
// GB = 1e9 bytes; every bandwidth is per direction. "(?)" marks a value that
// is uncertain (so marked in hw.md, or not in hw.md at all and chosen here).
//
// Bandwidth convention: links carry LINE RATES (what the hardware signals),
// never a library's effective rate — efficiency belongs to the cost model and
// is calibrated per link class (Topology::scale_link_kind). The effective
// figures are listed beside the line rates for that calibration. Two
// exceptions, because hw.md has no line rate for them: CPU interconnects use
// NCCL's model values, and the host-memory (staging) hop uses the measured
// host-staged copy rate.
//
// Latency convention: a route's latency is the sum of its links' latencies,
// so per-link values are chosen to reproduce measured end-to-end figures on
// the canonical route of each class; the derivations are next to the values.

namespace spsim::hw {

inline constexpr double kGB = 1e9;
inline constexpr double kUs = 1e-6;

// --- NVLink (hw.md "NVIDIA links"; line rates from NVIDIA datasheets,
//     NCCL's effective model from NVIDIA/nccl src/graph/topo.h) ---
// V100 NVLink2: 6 links x 25 GB/s per GPU. NCCL: 20 GB/s per link.
inline constexpr double kNvlink2LinkBw = 25 * kGB;
inline constexpr double kNvlink2LinkNcclBw = 20 * kGB;
// A100 NVLink3 through NVSwitch gen2: 12 x 25 GB/s = 300 GB/s per GPU.
// NCCL: 20 GB/s per link -> 240 GB/s (measured 8xA100 all-reduce busbw ~230 GB/s, nccl-tests #149).
inline constexpr double kA100NvlinkBw = 300 * kGB;
inline constexpr double kA100NvlinkNcclBw = 240 * kGB;
// H100 NVLink4 through NVSwitch gen3: 18 x 25 GB/s = 450 GB/s per GPU.
// NCCL: 20.6 GB/s per link -> 370.8 GB/s (measured one-way P2P ~371-377 GB/s, nccl #1264).
inline constexpr double kH100NvlinkBw = 450 * kGB;
inline constexpr double kH100NvlinkNcclBw = 18 * 20.6 * kGB;

// --- HCCS (hw.md "Huawei Ascend") ---
// Ascend 910: 3 HCCS ports x 30 GB/s per chip (Hot Chips 2019); one port per
// peer of a 4-NPU full mesh. hw.md does not say "both directions" for this
// figure, so by its convention it is per direction.
inline constexpr double kAscend910HccsLinkBw = 30 * kGB;
// Ascend 910B: 7 links x 56 GB/s both directions = 28 GB/s per direction per
// link. Measured: D2D write 19.0-19.4 GB/s; 8-card all-gather ~21 GB/s per link (~75%).
inline constexpr double kAscend910bHccsLinkBw = 28 * kGB;
inline constexpr double kAscend910bHccsMeasuredBw = 21 * kGB;

// --- PCIe x16 line rates (hw.md "PCIe servers"); NCCL models 12 / 24 / 48 GB/s ---
inline constexpr double kPcieGen3x16Bw = 15.75 * kGB;
inline constexpr double kPcieGen4x16Bw = 31.5 * kGB;
inline constexpr double kPcieGen5x16Bw = 63 * kGB;

// --- CPU interconnects: NCCL's model values (no line rate in hw.md) ---
// hw.md lists Skylake UPI 10, Sapphire Rapids 22, AMD 16 GB/s. Broadwell
// (the DGX-1's Xeon E5-2698 v4) QPI is NCCL's QPI_BW = 6 GB/s, read from
// NVIDIA/nccl src/graph/topo.h, which hw.md names but does not quote for QPI.
inline constexpr double kQpiBroadwellNcclBw = 6 * kGB;
inline constexpr double kUpiSapphireRapidsNcclBw = 22 * kGB;
inline constexpr double kAmdCpuLinkNcclBw = 16 * kGB;

// --- Host-staged copies (hw.md "PCIe servers": P2P off) ---
// A100 PCIe Gen4 host-staged copy ~20 GB/s one way (Gen5 H100 ~37 GB/s).
inline constexpr double kHostStagedGen4Bw = 20 * kGB;

// --- Scale-out NIC ports (hw.md "Networks between nodes", "Huawei Ascend") ---
inline constexpr double kIbEdrBw = 100e9 / 8;  // EDR 100 Gb/s = 12.5 GB/s
inline constexpr double kIbHdrBw = 200e9 / 8;  // HDR 200 Gb/s = 25 GB/s
inline constexpr double kIbNdrBw = 400e9 / 8;  // NDR 400 Gb/s = 50 GB/s (~46-48 measured per NIC)
inline constexpr double kRoce200Bw = 200e9 / 8;  // 910B: 8 x 200 GbE RoCE per server
inline constexpr double kRoce100Bw = 100e9 / 8;  // (?) 910: not in hw.md; Atlas 800 (9000) sheets list 100GE ports

// --- Latencies ---
// NVLink P2P end to end ~3 us: A100 P2P write latency 2.6-3.3 us (hw.md);
// NCCL send/recv on H100 3-4 us is consistent. Through an NVSwitch the route
// is two links, so each carries half.
inline constexpr double kNvlinkP2pLatency = 3.0 * kUs;
inline constexpr double kNvswitchHopLatency = kNvlinkP2pLatency / 2;
// (?) V100 direct NVLink: no V100 figure in hw.md; the A100 P2P figure is reused.
inline constexpr double kNvlinkDirectLatency = kNvlinkP2pLatency;
// (?) HCCS: no latency figure in hw.md; assumed equal to NVLink P2P.
inline constexpr double kHccsLatency = kNvlinkP2pLatency;
// (?) PCIe link: no per-link figure in hw.md. NCCL's per-hop latency is ~1.7x
// higher over PCIe than over NVLink (tuning.cc via hw.md: LL 1.0/0.6,
// Simple 5.7/3.4 us), so a PCIe P2P route under one switch (2 links) is taken
// as 1.7 x 3 us ~ 5 us: 2.5 us per link.
inline constexpr double kPcieHopLatency = 2.5 * kUs;
// (?) CPU interconnect hop: no figure in hw.md; taken equal to a PCIe hop.
inline constexpr double kCpuLinkLatency = kPcieHopLatency;
// Host-memory hop: the staged route GPU->switch->CPU->memory->CPU->switch->GPU
// should take ~21 us, the middle of A100's 18-24 us staged P2P latency
// (hw.md; "12-24 us per staged copy"): 4 x 2.5 us PCIe + 2 x 5.5 us.
inline constexpr double kHostMemoryHopLatency = 5.5 * kUs;
// NIC to leaf switch: a same-rail route GPU->switch->NIC->leaf->NIC->switch->GPU
// should take NCCL's per-hop network latency for the Simple protocol, 14 us
// (tuning.cc via hw.md; consistent with a 2-node small collective at 30-50 us):
// 4 x 2.5 us PCIe + 2 x 2 us.
inline constexpr double kNicToLeafLatency = 2.0 * kUs;
// (?) Leaf to spine: one switch-to-switch hop; no figure in hw.md.
inline constexpr double kLeafToSpineLatency = 0.5 * kUs;
// (?) Ascend NPU to its on-package RoCE port: stands in for the two PCIe hops
// of a GPU's path to its NIC, so a same-rail route is 14 us on both vendors.
inline constexpr double kNpuToRoceLatency = 2 * kPcieHopLatency;

}  // namespace spsim::hw
