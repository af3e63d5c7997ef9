#pragma once
// A readable listing of one rank's schedule in a Program: what docs/strategies.md
// draws its diagrams from, and what a developer prints to see what a strategy
// emits (tests/strategies/schedule_text_test.cc has a skipped test case that
// prints every registered strategy; run it with --no-skip).
//
// The listing groups the rank's ops by stream (streams in the order of the
// program's stream table, only those the rank uses), each stream's ops in
// issue order, one line per op:
//
//   compute
//     1  s1  attn_fwd  q k_recv v_recv -> part_out part_lse  work 16  after recv.0
//   send
//     0  s0  send to 1  k v  32 B
//
// - `1` is the op's index on its stream, `s1` its step label (Op::step;
//   "L2.s1" when the op's layer is not 0).
// - Operands: the buffer names, reads before `->`, then what the op writes;
//   `+name` marks an accumulated (read-and-written) operand, and a row view is
//   shown as `name[begin:end]` (rows of its root buffer).
// - Send/Recv: peer rank and the message's bytes (all of its buffers).
//   Collective: kind (all_to_all also its split and concat axes), the group's
//   ranks, the input buffer's bytes -> the output buffer's bytes.
//   lin_state_sum: the StateRange and member index.
// - `work N`: Op::work where it is non-zero (visible (q, k) pairs per head for
//   attention kinds; op_kind.h / program.h say what it counts for others).
// - `after x.n`: dependencies on ops of other streams (stream name, index);
//   dependencies within a stream are implied by its order and not listed.
//
// Deterministic: the same Program gives the same text, byte for byte.

#include <string>

#include "program/program.h"

namespace spsim {

// The listing of rank `rank`'s ops. Throws std::out_of_range if `rank` is not
// a rank of the program. A rank without ops lists its header only.
std::string schedule_text(const Program& program, RankId rank);

}  // namespace spsim
