#pragma once
// Topology <-> JSON, in the schema documented in docs/topology-format.md.
// Saving then loading gives back the same vertices, links (same ids, same
// numbers bit for bit), NIC and staging assignments, and therefore the same
// routes; saving is deterministic (same topology, same bytes).
//
// Loading is strict: unknown keys, missing keys, wrong types and bad values
// throw spsim::InputError whose `where` names the file and the key, e.g.
// "topo.json: key 'links[3].kind'".

#include <string>
#include <string_view>

#include "program/memory_limit.h"
#include "topology/topology.h"

namespace spsim {

// The JSON text of `t` (ends with a newline).
std::string topology_to_json(const Topology& t);

// Parses JSON `text`; `file` names its origin in error messages.
// `memory_limit_bytes`: TopologyBuilder::set_memory_limit.
Topology topology_from_json(std::string_view text, const std::string& file,
                            double memory_limit_bytes = default_memory_limit_bytes());

// Reads and parses a file; InputError(path, ...) when it cannot be read.
Topology load_topology_file(const std::string& path, double memory_limit_bytes = default_memory_limit_bytes());
// Writes topology_to_json(t) to `path`; InputError(path, ...) when it cannot be written.
void save_topology_file(const Topology& t, const std::string& path);

}  // namespace spsim
