#pragma once
// Which communication ops belong together: each Send with its Recv, and the
// member ops of each collective instance.
//
// Matching rule (non-overtaking, like MPI): the k-th Send from rank a to rank
// b with tag t pairs with the k-th Recv on b from a with tag t, in program
// order. The k-th collective op over group g on each member forms instance k
// of g. match_communication() throws ProgramError naming the first op without
// a partner, a size mismatch, or members that disagree on a collective.

#include <cstdint>
#include <span>
#include <vector>

#include "program/program.h"

namespace spsim {

class CommMatching {
 public:
  // The Send paired with a Recv or the Recv paired with a Send.
  OpId partner(OpId p2p_op) const { return OpId(link_[idx(p2p_op)]); }
  // Index of the collective instance a Collective op belongs to.
  std::uint32_t instance(OpId coll_op) const { return link_[idx(coll_op)]; }
  std::size_t num_instances() const { return instance_begin_.size() - 1; }
  // Member ops of an instance, in group order.
  std::span<const OpId> members(std::uint32_t instance) const {
    return {instance_ops_.data() + instance_begin_[instance],
            instance_ops_.data() + instance_begin_[instance + 1]};
  }

  std::size_t memory_bytes() const {
    return (link_.capacity() + instance_begin_.capacity()) * sizeof(std::uint32_t) +
           instance_ops_.capacity() * sizeof(OpId);
  }

 private:
  friend CommMatching match_communication(const Program& program);
  std::vector<std::uint32_t> link_;  // per op: partner op (p2p) or instance (collective)
  std::vector<std::uint32_t> instance_begin_{0};
  std::vector<OpId> instance_ops_;
};

CommMatching match_communication(const Program& program);

}  // namespace spsim
