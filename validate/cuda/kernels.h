#pragma once
// The device kernels of the CUDA executor: one function per op kind of
// program/op_kind.h (the numeric meaning is written there and is the
// contract), plus the data movement the executor's launch plan needs
// (gathers, packing for collectives, poison/zero fills).
//
// Conventions, shared by every function:
// - A DevTensor is a contiguous row-major [rows, heads, cols] array in device
//   memory of element type `dtype` (a row view is a DevTensor whose data points
//   at its first row). Loads convert to float, stores round from float
//   (bf16/fp16 round to nearest even); fp64 tensors are computed in double.
// - Positions (DevPositions) are device arrays with one entry per row: the
//   sequence id (kPaddingFlag set for padding, program/token_layout.h) and
//   the position. A (q, k) pair is visible iff the sequence ids are equal,
//   not padding, and (not causal or k.pos <= q.pos).
// - GQA: the query head with global index g = q.head_begin + h uses the
//   key/value head g / q_per_kv, at local index g / q_per_kv - k.head_begin.
// - Every function only enqueues work on `stream` (asynchronous, no host
//   synchronization, no allocation) and returns the launch's cudaError_t.
// - `name` of each KernelInfo is the kernel that runs (recorded per op in the
//   measured Timeline).

#include <cuda_runtime.h>

#include <cstdint>

#include "program/dtype.h"

namespace spsim::cuda {

struct DevTensor {
  void* data = nullptr;
  DType dtype = DType::kBF16;
  std::uint32_t rows = 0, heads = 0, cols = 0;
  std::uint32_t head_begin = 0;  // global index of head 0
};

struct DevPositions {
  const std::uint32_t* seq = nullptr;  // rows entries
  const std::int64_t* pos = nullptr;   // rows entries
};

// The name of the kernel a function launches (for the Timeline).
const char* kernel_name_attention_fwd();
const char* kernel_name_attention_bwd();

// ---- softmax attention (flash form) ----
// out, lse = partial attention of q over k (AttnFwd). lse is [rows, heads, 1].
cudaError_t attn_fwd(DevTensor q, DevTensor k, DevTensor v, DevTensor out, DevTensor lse, DevPositions qpos,
                     DevPositions kpos, std::uint32_t q_per_kv, bool causal, cudaStream_t stream);
// out, lse <- exact merge with part_out, part_lse (AttnMerge).
cudaError_t attn_merge(DevTensor out, DevTensor lse, DevTensor part_out, DevTensor part_lse, cudaStream_t stream);
// delta = rowsum(out * dout) per (row, head) (AttnBwdPrep).
cudaError_t attn_bwd_prep(DevTensor out, DevTensor dout, DevTensor delta, cudaStream_t stream);
// dq, dk, dv += gradient of the block (AttnBwd), given the final lse, delta.
cudaError_t attn_bwd(DevTensor q, DevTensor k, DevTensor v, DevTensor dout, DevTensor lse, DevTensor delta,
                     DevTensor dq, DevTensor dk, DevTensor dv, DevPositions qpos, DevPositions kpos,
                     std::uint32_t q_per_kv, bool causal, cudaStream_t stream);

// ---- Ring Self-Attention (scores materialized) ----
// `col` arrays map each row of the key/value operand to its column in the
// score buffer (host-computed by position); `dkfull_row` maps each score
// column to the row of dk_full / dv_full holding that position.
cudaError_t rsa_scores(DevTensor q, DevTensor k, DevTensor scores, DevPositions qpos, DevPositions kpos,
                       const std::uint32_t* col_of_k_row, std::uint32_t q_per_kv, bool causal, cudaStream_t stream);
cudaError_t rsa_softmax(DevTensor scores, DevTensor probs, cudaStream_t stream);
cudaError_t rsa_probs_v(DevTensor probs, DevTensor v, DevTensor out, const std::uint32_t* col_of_v_row,
                        std::uint32_t q_per_kv, cudaStream_t stream);
cudaError_t rsa_dprobs(DevTensor dout, DevTensor v, DevTensor dprobs, const std::uint32_t* col_of_v_row,
                       std::uint32_t q_per_kv, cudaStream_t stream);
cudaError_t rsa_softmax_bwd(DevTensor probs, DevTensor dprobs, DevTensor dscores, cudaStream_t stream);
cudaError_t rsa_dq(DevTensor dscores, DevTensor k, DevTensor dq, const std::uint32_t* col_of_k_row,
                   std::uint32_t q_per_kv, float scale, cudaStream_t stream);
// dk_full += scale dscores^T q; dv_full += probs^T dout: score column c adds
// into row dkfull_row[c] (0xffffffff: the column has no row there, skipped).
cudaError_t rsa_dk_full(DevTensor dscores, DevTensor q, DevTensor dk_full, const std::uint32_t* dkfull_row,
                        std::uint32_t q_per_kv, float scale, cudaStream_t stream);
cudaError_t rsa_dv_full(DevTensor probs, DevTensor dout, DevTensor dv_full, const std::uint32_t* dvfull_row,
                        std::uint32_t q_per_kv, cudaStream_t stream);

// ---- linear attention (op_kind.h; state tensors are [n_seq * d_k, kv_heads, d_v]) ----
cudaError_t lin_state(DevTensor k, DevTensor v, DevTensor state, DevPositions kpos, cudaStream_t stream);
cudaError_t lin_intra(DevTensor q, DevTensor k, DevTensor v, DevTensor out, DevPositions qpos, DevPositions kpos,
                      std::uint32_t q_per_kv, bool causal, cudaStream_t stream);
cudaError_t lin_inter(DevTensor q, DevTensor state, DevTensor out, DevPositions qpos, std::uint32_t q_per_kv,
                      cudaStream_t stream);
// out = sum of the `members` blocks of `gathered` (each out.rows rows) whose
// index j has selected[j] != 0 (`selected`: a device array of `members` bytes).
cudaError_t lin_state_sum(DevTensor gathered, DevTensor out, const std::uint8_t* selected, std::uint32_t members,
                          cudaStream_t stream);
cudaError_t lin_intra_bwd(DevTensor q, DevTensor k, DevTensor v, DevTensor dout, DevTensor dq, DevTensor dk,
                          DevTensor dv, DevPositions qpos, DevPositions kpos, std::uint32_t q_per_kv, bool causal,
                          cudaStream_t stream);
cudaError_t lin_inter_bwd(DevTensor dout, DevTensor state, DevTensor dq, DevPositions qpos, std::uint32_t q_per_kv,
                          cudaStream_t stream);
cudaError_t lin_dstate(DevTensor q, DevTensor dout, DevTensor dstate, DevPositions qpos, std::uint32_t q_per_kv,
                       cudaStream_t stream);
cudaError_t lin_state_bwd(DevTensor k, DevTensor v, DevTensor dstate, DevTensor dk, DevTensor dv, DevPositions kpos,
                          cudaStream_t stream);

// ---- data movement ----
// dst[r, h, c] = src[src_row[r], h + head_shift, c] (Copy: a gather by
// position; head_shift = dst.head_begin - src.head_begin).
cudaError_t gather_rows(DevTensor src, DevTensor dst, const std::uint32_t* src_row, std::uint32_t head_shift,
                        cudaStream_t stream);
// dst[dst_row[r], h + head_shift, c] += src[r, h, c] (Accumulate; head_shift =
// src.head_begin - dst.head_begin; src rows map to distinct dst rows).
cudaError_t scatter_add_rows(DevTensor src, DevTensor dst, const std::uint32_t* dst_row, std::uint32_t head_shift,
                             cudaStream_t stream);
// Copies the window rows [src_row0, +rows) x heads [src_head0, +heads) x all
// cols of src into dst at (dst_row0, dst_head0), converting the dtype (the
// packing/unpacking of collectives along the head axis).
cudaError_t copy_window(DevTensor src, std::uint32_t src_row0, std::uint32_t src_head0, DevTensor dst,
                        std::uint32_t dst_row0, std::uint32_t dst_head0, std::uint32_t rows, std::uint32_t heads,
                        cudaStream_t stream);
// Every element of t set to NaN (poison) or to zero.
cudaError_t fill_nan(DevTensor t, cudaStream_t stream);
cudaError_t fill_zero(DevTensor t, cudaStream_t stream);
// dst[i] += src[i] for i < elements (one dtype): the reductions of emulated
// collectives (validate/cuda/kernels_comm.cu).
cudaError_t add_into(void* dst, const void* src, DType dtype, std::uint64_t elements, cudaStream_t stream);
// Every element uniform in [-1, 1) from a hash of (seed, index): the inputs of
// a timing replay.
cudaError_t fill_random(DevTensor t, std::uint64_t seed, cudaStream_t stream);
// The Dense weights W[i][j] = dense_weight(seed, i, j, in_features) (program/op_kind.h,
// the same splitmix64 bits) as an [out_features x in_features] row-major array of `dtype`.
cudaError_t dense_weights(void* w, DType dtype, std::uint32_t seed, std::uint64_t out_features,
                          std::uint64_t in_features, cudaStream_t stream);

}  // namespace spsim::cuda
