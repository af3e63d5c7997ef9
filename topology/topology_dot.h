#pragma once
// Graphviz rendering of a topology: one undirected edge per physical link,
// labelled with its kind, per-direction bandwidth and latency; each node's
// vertices in a "cluster_node<n>" subgraph; cluster-level switches (leaves,
// spine) outside. Deterministic: vertex and link order.

#include <string>

#include "topology/topology.h"

namespace spsim {

std::string topology_to_dot(const Topology& t);

}  // namespace spsim
