#pragma once
// Linear-attention layers of the LASP strategies (lasp1, lasp2, lasp2h):
// shared layout, state buffers and the LASP-2 schedule.
//
// Linear attention (op_kind.h): o_t = sum_{s<=t} (q_t·k_s) v_s (causal) with
// no normalization. Cut each sequence into P contiguous chunks, member t
// holding chunk t; with M_j = K_j^T V_j the chunk's memory state,
//   O_t  = intra(Q_t, K_t, V_t) + Q_t · sum_{j<t} M_j            (causal)
//   O_t  = intra_full(Q_t, K_t, V_t) + Q_t · sum_{j!=t} M_j      (full mask)
// and backward, with dM_j = Q_j^T dO_j the state gradient of chunk j and
// D_t = sum_{j>t} dM_j (causal; j != t for the full mask),
//   dQ_t = intra_dq + dO_t (sum_{j<t} M_j)^T,  dK_t = intra_dk + V_t D_t^T,
//   dV_t = intra_dv + K_t D_t.
// The prefix/suffix sums rely on member order = chunk order in every
// sequence, which is why all LASP strategies use contiguous_shard.
//
// States are fp32 [n_seq * D, Hkv, D] (one D x D block per sequence and
// key/value head, op_kind.h), B·Hkv·D·D·4 bytes whatever S is — the
// "KV (B·H·d·d, fp32)" of LASP-1 and the "M_t" of LASP-2
// (../shared/reference/strategies.md). GQA: states hold the key/value heads;
// query heads of a group read and write their group's state.

#include <string_view>

#include "strategies/strategy.h"

namespace spsim {

// A fresh fp32 state buffer on `rank` shaped for the workload.
BufferId lasp_state_buffer(ProgramBuilder& b, const Workload& w, RankId rank, std::string_view name,
                           bool zero_init);

// Refusals shared by the LASP strategies: P in [1, S] and S divisible by P
// (equal contiguous chunks, so every member's state covers every sequence).
std::optional<std::string> refuse_lasp(const Workload& w, const StrategyOptions& o);

// LASP-2 (arXiv 2502.07563; Linear-MoE lasp2_with_mask_triton_op.py), one
// linear layer. Forward, member t: M_t = K_t^T V_t (stream "compute"), ONE
// all-gather of the states (stream "coll", overlapping the intra-chunk term
// on "compute"), prefix sum (causal: j < t; full: j != t), out += Q_t · prefix.
// saved[t] holds the prefix state (empty when there is none: causal member 0,
// or P = 1). Backward: dM_t = Q_t^T dO_t, one all-gather of the dM (stream
// "coll", overlapping the intra-chunk gradients and dQ += dO prefix^T), suffix
// sum (causal: j > t; full: j != t), dK += V D^T, dV += K D. dq, dk, dv fp32.
LayerForward lasp2_forward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in);
LayerBackward lasp2_backward(ProgramBuilder& b, const LayerContext& ctx, const LayerInputs& in,
                             const LayerForward& fwd, const LayerBackwardInputs& grad);

}  // namespace spsim
