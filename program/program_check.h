#pragma once
// The Program checker: everything a Program promises, checked before anything
// runs it. Throws ProgramError with one message naming the op or buffer:
//
//  1. operands have the shapes, positions and heads their op kind requires;
//  2. every Send has exactly one matching Recv of equal size, and collectives
//     match across their group (comm_matching.h);
//  3. the Program can run to the end: no dependency cycle, no deadlock of
//     rendezvous communication (a FIFO walk of ReadyTracker completes);
//  4. buffer accesses are ordered on their rank: every read has a write (or
//     zero_init / input binding) that happens before it, and two accesses of
//     one buffer where one writes are never unordered (no read-after-write,
//     write-after-read or write-after-write races; views count as their root);
//  5. every output-bound buffer is written.
//
// "Happens before" is local: stream order and deps on the buffer's own rank.
// Cross-rank communication does not order local accesses (as with CUDA events,
// which are local to a device).

#include "program/comm_matching.h"
#include "program/program.h"

namespace spsim {

// Runs all checks; returns the communication matching it computed.
CommMatching check_program(const Program& program);

}  // namespace spsim
