#pragma once
// Device-to-device routing over a topology's directed links (used by
// TopologyBuilder::build; Boost.Graph stays inside routing.cc).
//
// Rules (what a communication library does on such a machine):
// 1. Devices never forward: a device is only the first or last vertex of a
//    route (NCCL/HCCL move peer traffic over the fabric, not through a third
//    GPU; PXN-style forwarding would be two messages in a Program). So on the
//    DGX-1, GPU 0 → GPU 5 (no NVLink) goes over PCIe and QPI, not over NVLink
//    through GPU 1.
// 2. NICs forward only between their node and the network: a route inside a
//    node never leaves through a NIC.
// 3. Devices of the same node: if the sender has a staging vertex (host
//    memory; else the receiver's, if it has one), the route is
//    path(a → staging) + path(staging → b): the copy is written to host memory
//    and read back (NCCL's SHM transport when GPU peer-to-peer is off).
//    Otherwise path(a → b).
// 4. Devices of different nodes: path(a → nic(a)) + network path(nic(a) →
//    nic(b)) + path(nic(b) → b). The network path uses network links only.
//    Each device sends through its own NIC (the one on its PCIe switch / its
//    rail), as NCCL picks the NIC nearest the GPU for GPUDirect RDMA; on a
//    rail-optimized fabric cross-rail traffic therefore climbs to the spine.
//
// Weights, within each path: fewest hops first; among equally short paths the
// widest (largest bottleneck bandwidth) — like NCCL preferring NVLink over
// PCIe. The lexicographic (hops, bottleneck) order is isotone, so Dijkstra
// finds the optimum. Remaining ties go to the first path Dijkstra settles,
// which depends only on vertex and link order: the same topology (or its JSON
// round trip) always gets the same routes.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "topology/topology.h"

namespace spsim {

struct RoutingInput {
  const std::vector<Vertex>* vertices = nullptr;
  const std::vector<Link>* links = nullptr;
  const std::vector<VertexId>* device_vertices = nullptr;
  const std::vector<std::optional<VertexId>>* nic = nullptr;      // per device
  const std::vector<std::optional<VertexId>>* staging = nullptr;  // per device
};

struct RouteTable {
  // Route a→b = links[offsets[a * N + b] .. offsets[a * N + b + 1]).
  std::vector<std::uint64_t> offsets;
  std::vector<LinkId> links;
};

// Computes every device-to-device route. Throws spsim::InputError(where, ...)
// naming the first pair (in device order) without a route, or a device on
// another node than its peer that has no NIC.
RouteTable compute_routes(const RoutingInput& in, const std::string& where);

}  // namespace spsim
