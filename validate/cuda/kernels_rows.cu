// The row kernels of the CUDA executor (kernels.h: attn_merge, attn_bwd_prep,
// rsa_softmax, rsa_softmax_bwd): one warp per (row, head). The numeric meaning
// is program/op_kind.h's (reference: validate/host_executor.cc); computed in
// float.

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "validate/cuda/attention_common.cuh"

namespace spsim::cuda {
namespace {

__device__ inline float warp_sum(float v) {
#pragma unroll
  for (int off = 16; off > 0; off /= 2) v += __shfl_xor_sync(kFullMask, v, off);
  return v;
}

// ---------------------------------------------------------------- row kernels

constexpr int kRowWarps = 8;  // warps per block; each owns one (row, head)

// The (row, head) of this warp; false past the end.
__device__ inline bool warp_pair(const DevTensor& t, std::size_t& r, std::uint32_t& h) {
  const std::size_t pair = std::size_t{blockIdx.x} * kRowWarps + threadIdx.x / 32;
  if (pair >= std::size_t{t.rows} * t.heads) return false;
  r = pair / t.heads;
  h = static_cast<std::uint32_t>(pair % t.heads);
  return true;
}

__global__ void __launch_bounds__(kRowWarps * 32)
    merge_kernel(DevTensor out, DevTensor lse, DevTensor part_out, DevTensor part_lse) {
  std::size_t r;
  std::uint32_t h;
  if (!warp_pair(out, r, h)) return;
  const unsigned lane = threadIdx.x % 32;
  const std::size_t li = elem_index(lse, r, h, 0);
  const float la = ldf(lse, li), lb = ldf(part_lse, elem_index(part_lse, r, h, 0));
  if (lb == kNegInf) return;  // the part saw no key: unchanged
  const bool take = la == kNegInf;
  float l = lb, wa = 0.f, wb = 1.f;
  if (!take) {
    const float m = fmaxf(la, lb);
    l = m + logf(expf(la - m) + expf(lb - m));
    wa = expf(la - l), wb = expf(lb - l);
  }
  const std::size_t o = elem_index(out, r, h, 0), po = elem_index(part_out, r, h, 0);
  for (std::uint32_t c = lane; c < out.cols; c += 32)
    store(out, o + c, take ? ldf(part_out, po + c) : wa * ldf(out, o + c) + wb * ldf(part_out, po + c));
  __syncwarp();  // every lane has read la
  if (lane == 0) store(lse, li, l);
}

__global__ void __launch_bounds__(kRowWarps * 32) bwd_prep_kernel(DevTensor out, DevTensor dout, DevTensor delta) {
  std::size_t r;
  std::uint32_t h;
  if (!warp_pair(out, r, h)) return;
  const unsigned lane = threadIdx.x % 32;
  const std::size_t o = elem_index(out, r, h, 0), d = elem_index(dout, r, h, 0);
  float acc = 0.f;
  for (std::uint32_t c = lane; c < out.cols; c += 32) acc = fmaf(ldf(out, o + c), ldf(dout, d + c), acc);
  acc = warp_sum(acc);
  if (lane == 0) store(delta, elem_index(delta, r, h, 0), acc);
}

// Row-wise softmax over all columns: a NaN anywhere poisons the row; a row of
// -inf only (or -inf entries) gives 0. In place is allowed.
__global__ void __launch_bounds__(kRowWarps * 32) softmax_kernel(DevTensor scores, DevTensor probs) {
  std::size_t r;
  std::uint32_t h;
  if (!warp_pair(scores, r, h)) return;
  const unsigned lane = threadIdx.x % 32;
  const std::size_t si = elem_index(scores, r, h, 0), pi = elem_index(probs, r, h, 0);
  float m = kNegInf, sum = 0.f;  // this lane's max and sum of exp(x - m)
  bool poisoned = false;
  for (std::uint32_t c = lane; c < scores.cols; c += 32) {
    const float x = ldf(scores, si + c);
    poisoned |= isnan(x);
    if (x > m) {
      sum = sum * expf(m - x) + 1.f;
      m = x;
    } else if (x != kNegInf) {
      sum += expf(x - m);
    }
  }
#pragma unroll
  for (int off = 16; off > 0; off /= 2) {
    const float mo = __shfl_xor_sync(kFullMask, m, off), so = __shfl_xor_sync(kFullMask, sum, off);
    const float mn = fmaxf(m, mo);
    sum = (m == kNegInf ? 0.f : sum * expf(m - mn)) + (mo == kNegInf ? 0.f : so * expf(mo - mn));
    m = mn;
  }
  poisoned = __any_sync(kFullMask, poisoned);
  for (std::uint32_t c = lane; c < scores.cols; c += 32) {
    const float x = ldf(scores, si + c);
    store(probs, pi + c, poisoned ? kNaN : m == kNegInf || x == kNegInf ? 0.f : expf(x - m) / sum);
  }
}

// dscores = probs * (dprobs - rowsum(probs * dprobs)); in place is allowed.
__global__ void __launch_bounds__(kRowWarps * 32)
    softmax_bwd_kernel(DevTensor probs, DevTensor dprobs, DevTensor dscores) {
  std::size_t r;
  std::uint32_t h;
  if (!warp_pair(probs, r, h)) return;
  const unsigned lane = threadIdx.x % 32;
  const std::size_t pi = elem_index(probs, r, h, 0), di = elem_index(dprobs, r, h, 0),
                    oi = elem_index(dscores, r, h, 0);
  float dot = 0.f;
  for (std::uint32_t c = lane; c < probs.cols; c += 32) dot = fmaf(ldf(probs, pi + c), ldf(dprobs, di + c), dot);
  dot = warp_sum(dot);
  for (std::uint32_t c = lane; c < probs.cols; c += 32)
    store(dscores, oi + c, ldf(probs, pi + c) * (ldf(dprobs, di + c) - dot));
}

unsigned row_blocks(const DevTensor& t) { return ceil_div(std::size_t{t.rows} * t.heads, kRowWarps); }

}  // namespace

cudaError_t attn_merge(DevTensor out, DevTensor lse, DevTensor part_out, DevTensor part_lse, cudaStream_t stream) {
  if (out.rows == 0 || out.heads == 0) return cudaSuccess;
  merge_kernel<<<row_blocks(out), kRowWarps * 32, 0, stream>>>(out, lse, part_out, part_lse);
  return cudaGetLastError();
}

cudaError_t attn_bwd_prep(DevTensor out, DevTensor dout, DevTensor delta, cudaStream_t stream) {
  if (out.rows == 0 || out.heads == 0) return cudaSuccess;
  bwd_prep_kernel<<<row_blocks(out), kRowWarps * 32, 0, stream>>>(out, dout, delta);
  return cudaGetLastError();
}

cudaError_t rsa_softmax(DevTensor scores, DevTensor probs, cudaStream_t stream) {
  if (scores.rows == 0 || scores.heads == 0 || scores.cols == 0) return cudaSuccess;
  softmax_kernel<<<row_blocks(scores), kRowWarps * 32, 0, stream>>>(scores, probs);
  return cudaGetLastError();
}

cudaError_t rsa_softmax_bwd(DevTensor probs, DevTensor dprobs, DevTensor dscores, cudaStream_t stream) {
  if (probs.rows == 0 || probs.heads == 0 || probs.cols == 0) return cudaSuccess;
  softmax_bwd_kernel<<<row_blocks(probs), kRowWarps * 32, 0, stream>>>(probs, dprobs, dscores);
  return cudaGetLastError();
}

}  // namespace spsim::cuda
