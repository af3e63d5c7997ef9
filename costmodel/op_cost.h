#pragma once
// Time of one compute op of a Program on a device (the roofline with
// efficiency curves of DESIGN.md):
//   seconds = launch_s + max(flops_run / (peak(dtype) · eff), bytes / (hbm · memory_efficiency))
//
// Per kind (H = query heads, D / Dv = head dims of q / v, pairs = Op::work):
//   AttnFwd   flops = 2·pairs·(D + Dv)·H (= 4·pairs·D·H for D = Dv; hardware.md's
//             block form). The kernel runs the pairs of the tiles it cannot
//             skip (attention_tiles.h) at the curve efficiency of
//             attention_efficiency.h, forward model (outer rows = q rows).
//   AttnBwd   2.5x the forward FLOPs (hardware.md: "backward 2.5× forward"),
//             backward model (outer rows = k rows).
//   RsaScores, RsaProbsV, RsaDProbs, RsaDQ, RsaDKFull, RsaDVFull: dense GEMMs,
//             flops = 2·work·(inner dim = cols of the second operand)·H, at
//             gemm_efficiency; bytes count only the score columns the op touches.
//   AttnMerge, AttnBwdPrep, RsaSoftmax, RsaSoftmaxBwd, Copy, Accumulate:
//             memory-bound: no FLOP term (flops = 0), bytes read + written.
// Bytes: each operand once per read and once per write (read-and-update
// operands twice) — the compulsory HBM traffic; Copy moves the destination's
// rows only, Accumulate the source's.
// Peak by dtype: q's for attention, the wider of the two GEMM inputs for RSA
// kinds (DeviceProfile::peak_flop_per_s).
//
// Linear-attention kinds (LinState, LinIntra, ...): the executor's FLOPs
//             (op_kind.h) at gemm_efficiency; LinStateSum memory-bound on the
//             blocks it reads. Dense / DenseBwd: 2·work / 4·work FLOPs at
//             gemm_efficiency, bytes include reading W (and writing dW).
// Communication ops (Send, Recv, Collective) are not costed here (the network
// model does it): flops 0, seconds 0, bytes = the buffer moved (Collective:
// its input).

#include "costmodel/device_profile.h"
#include "program/program.h"

namespace spsim {

struct OpCost {
  double flops = 0;    // useful FLOPs (from Op::work, what TFLOP/s figures count)
  double bytes = 0;    // device-memory bytes read + written; comm: bytes moved
  double seconds = 0;  // kernel time on the device; 0 for communication ops
};

// Cost of op `id` of `program` on `device`. Throws ProgramError when an
// attention operand lacks its token layout.
OpCost compute_op_cost(const Program& program, OpId id, const DeviceProfile& device);

}  // namespace spsim
