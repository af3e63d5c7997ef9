// Linear-attention kernels of the CUDA executor (kernels.h). The numeric
// meaning is program/op_kind.h's; validate/host_executor.cc is the float64
// reference these reproduce (padding rows take no part, every kind but
// LinStateSum adds into its outputs).
//
// Design: three tiled kernels on 16 x 16 thread blocks. A thread owns a
// register micro-tile (rows ty + 16 a, columns tx + 16 b) of the block's
// 64 x 128 output tile; operands go through shared memory in chunks of
// kChunk along the reduction dimension.
// - masked_product: out[i] += sum_j mask(i, j) (x_i . y_j) z_j, stepping over
//   64-row tiles of y (LinIntra and the three terms of LinIntraBwd). A tile
//   with no visible pair is skipped; a block owns its output tile, so it adds
//   without atomics.
// - rows_times_state: out[i] += x_i M[seq i] (or x_i M^T), one pass per run
//   of rows with one sequence id (LinInter, LinInterBwd, LinStateBwd).
// - state_outer: state[seq] += sum_r a_r^T b_r over a slab of rows, flushed
//   with atomic adds at each change of sequence id (LinState, LinDState).
// LinStateSum is an elementwise grid-stride sum over the selected blocks.
// Accumulation is in float, or in double when an operand is fp64.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "program/token_layout.h"
#include "validate/cuda/device_tensor.cuh"

namespace spsim::cuda {
namespace {

constexpr int kSide = 16;            // a block is kSide x kSide threads
constexpr int kThreads = kSide * kSide;
constexpr int kTM = 4;               // micro-tile rows per thread
constexpr int kTN = 8;               // micro-tile output columns per thread
constexpr int kTileM = kSide * kTM;  // output rows per block
constexpr int kTileN = kSide * kTN;  // output columns per block
constexpr int kTS = 4;               // masked_product: score columns per thread
constexpr int kTileJ = kSide * kTS;  // masked_product: y rows per step
static_assert(kTileJ == kTileM, "masked_product stages x and y tiles in one loop");
static_assert(kTM * kTS <= 32, "the visibility mask of a thread fits 32 bits");

// Reduction chunk staged in shared memory (smaller in double to stay within
// the 48 KiB of static shared memory).
template <class Acc>
constexpr int kChunk = sizeof(Acc) == 4 ? 16 : 8;

template <class Acc>
__device__ inline Acc ld(const DevTensor& t, std::size_t i) {
  return static_cast<Acc>(load(t, i));
}

// The mask contract (token_layout.h) on staged sequence ids and positions.
__device__ inline bool pair_visible(std::uint32_t sq, std::int64_t pq, std::uint32_t sk, std::int64_t pk,
                                    bool causal) {
  return sq == sk && (sq & kPaddingFlag) == 0 && (!causal || pk <= pq);
}

template <class Acc>
struct XYStage {
  Acc x[kTileM][kChunk<Acc>];
  Acc yt[kChunk<Acc>][kTileJ + 1];  // y transposed (padded against bank conflicts)
};
template <class Acc>
union ProductStage {
  XYStage<Acc> xy;             // score phase
  Acc z[kChunk<Acc>][kTileN];  // output phase
};

// out[i, ho, n] += sum over rows j of y and the y heads joined with ho of
// mask(i, j) (x[i, ho] . y[j, yh]) z[j, yh, n]. Not transposed (x query side):
// the y head is the key/value head of ho and mask = visible(x_i, y_j).
// Transposed (x key side): the y heads are the query heads of the group of
// key/value head ho and mask = visible(y_j, x_i). Grid: (x row tiles,
// x.heads, out column tiles).
// out[i0 + ty + kSide a, head, n0 + tx + kSide b] += o[a][b]: a thread's part
// of an output tile, for the elements inside out (the kernels' epilogue).
template <class Acc>
__device__ void add_tile(const DevTensor& out, std::size_t i0, std::uint32_t n0, std::uint32_t head,
                         const Acc (&o)[kTM][kTN], int tx, int ty) {
  #pragma unroll
  for (int a = 0; a < kTM; ++a) {
    #pragma unroll
    for (int b = 0; b < kTN; ++b) {
      const std::size_t i = i0 + ty + kSide * a;
      const std::uint32_t n = n0 + tx + kSide * b;
      if (i < out.rows && n < out.cols) {
        const std::size_t at = elem_index(out, i, head, n);
        store(out, at, load(out, at) + o[a][b]);
      }
    }
  }
}

template <class Acc>
__global__ void __launch_bounds__(kThreads)
    masked_product_kernel(DevTensor x, DevTensor y, DevTensor z, DevTensor out, DevPositions xpos,
                          DevPositions ypos, std::uint32_t q_per_kv, bool causal, bool transposed) {
  constexpr int kc = kChunk<Acc>;
  __shared__ ProductStage<Acc> stage;
  __shared__ Acc scores[kTileM][kTileJ + 1];
  __shared__ std::uint32_t xseq[kTileM], yseq[kTileJ];
  __shared__ std::int64_t xp[kTileM], yp[kTileJ];

  const int tid = static_cast<int>(threadIdx.x), tx = tid % kSide, ty = tid / kSide;
  const std::size_t i0 = std::size_t{blockIdx.x} * kTileM;
  const std::uint32_t ho = blockIdx.y, n0 = blockIdx.z * kTileN;
  std::uint32_t h_lo = 0, h_hi = 0;  // the y heads [h_lo, h_hi)
  if (!transposed) {
    h_lo = (x.head_begin + ho) / q_per_kv - y.head_begin;
    h_hi = h_lo + 1;
  } else {
    const std::uint64_t g = std::uint64_t{x.head_begin} + ho, yb = y.head_begin;
    const std::uint64_t lo = std::max(g * q_per_kv, yb), hi = std::min((g + 1) * q_per_kv, yb + y.heads);
    h_lo = static_cast<std::uint32_t>(lo - yb);
    h_hi = hi > lo ? static_cast<std::uint32_t>(hi - yb) : h_lo;
  }
  if (tid < kTileM) {
    const std::size_t i = i0 + tid;
    xseq[tid] = i < x.rows ? xpos.seq[i] : kPaddingFlag;
    xp[tid] = i < x.rows ? xpos.pos[i] : 0;
  }

  Acc o[kTM][kTN] = {};
  for (std::size_t j0 = 0; j0 < y.rows; j0 += kTileJ) {
    __syncthreads();  // the previous step is done with yseq, scores and stage
    if (tid < kTileJ) {
      const std::size_t j = j0 + tid;
      yseq[tid] = j < y.rows ? ypos.seq[j] : kPaddingFlag;
      yp[tid] = j < y.rows ? ypos.pos[j] : 0;
    }
    __syncthreads();
    std::uint32_t mask = 0;  // bit a * kTS + b: pair (ty + 16 a, tx + 16 b) visible
    #pragma unroll
    for (int a = 0; a < kTM; ++a) {
      #pragma unroll
      for (int b = 0; b < kTS; ++b) {
        const int r = ty + kSide * a, c = tx + kSide * b;
        const bool v = transposed ? pair_visible(yseq[c], yp[c], xseq[r], xp[r], causal)
                                  : pair_visible(xseq[r], xp[r], yseq[c], yp[c], causal);
        mask |= static_cast<std::uint32_t>(v) << (a * kTS + b);
      }
    }
    if (!__syncthreads_or(mask != 0)) continue;

    for (std::uint32_t yh = h_lo; yh < h_hi; ++yh) {
      Acc s[kTM][kTS] = {};
      for (std::uint32_t k0 = 0; k0 < x.cols; k0 += kc) {
        __syncthreads();  // stage is free
        for (int e = tid; e < kTileM * kc; e += kThreads) {
          const int r = e / kc, k = e % kc;
          const std::uint32_t kk = k0 + k;
          const std::size_t i = i0 + r, j = j0 + r;
          stage.xy.x[r][k] = i < x.rows && kk < x.cols ? ld<Acc>(x, elem_index(x, i, ho, kk)) : Acc(0);
          stage.xy.yt[k][r] = j < y.rows && kk < x.cols ? ld<Acc>(y, elem_index(y, j, yh, kk)) : Acc(0);
        }
        __syncthreads();
        #pragma unroll
        for (int k = 0; k < kc; ++k) {
          Acc xa[kTM], yb[kTS];
          #pragma unroll
          for (int a = 0; a < kTM; ++a) xa[a] = stage.xy.x[ty + kSide * a][k];
          #pragma unroll
          for (int b = 0; b < kTS; ++b) yb[b] = stage.xy.yt[k][tx + kSide * b];
          #pragma unroll
          for (int a = 0; a < kTM; ++a) {
            #pragma unroll
            for (int b = 0; b < kTS; ++b) s[a][b] += xa[a] * yb[b];
          }
        }
      }
      #pragma unroll
      for (int a = 0; a < kTM; ++a) {
        #pragma unroll
        for (int b = 0; b < kTS; ++b)
          scores[ty + kSide * a][tx + kSide * b] = (mask >> (a * kTS + b)) & 1u ? s[a][b] : Acc(0);
      }

      for (int k0 = 0; k0 < kTileJ; k0 += kc) {
        __syncthreads();  // scores written, stage free
        for (int e = tid; e < kc * kTileN; e += kThreads) {
          const int k = e / kTileN, c = e % kTileN;
          const std::size_t j = j0 + k0 + k;
          const std::uint32_t n = n0 + c;
          stage.z[k][c] = j < y.rows && n < z.cols ? ld<Acc>(z, elem_index(z, j, yh, n)) : Acc(0);
        }
        __syncthreads();
        #pragma unroll
        for (int k = 0; k < kc; ++k) {
          Acc sa[kTM], zb[kTN];
          #pragma unroll
          for (int a = 0; a < kTM; ++a) sa[a] = scores[ty + kSide * a][k0 + k];
          #pragma unroll
          for (int b = 0; b < kTN; ++b) zb[b] = stage.z[k][tx + kSide * b];
          #pragma unroll
          for (int a = 0; a < kTM; ++a) {
            #pragma unroll
            for (int b = 0; b < kTN; ++b) o[a][b] += sa[a] * zb[b];
          }
        }
      }
    }
  }

  add_tile(out, i0, n0, ho, o, tx, ty);
}

// out[i, h, n] += sum_m x[i, h, m] Mat[m][n] with Mat = M (not transposed) or
// M^T (transposed), M the d_k x d_v state of row i's sequence at state head
// (x.head_begin + h) / group - state.head_begin. Padding rows are skipped.
// Grid: (x row tiles, x.heads, out column tiles).
template <class Acc>
__global__ void __launch_bounds__(kThreads)
    rows_state_kernel(DevTensor x, DevTensor state, DevTensor out, DevPositions pos, std::uint32_t group,
                      std::uint32_t d_k, bool transposed) {
  constexpr int kc = kChunk<Acc>;
  __shared__ Acc xs[kTileM][kc];
  __shared__ Acc ms[kc][kTileN + 1];
  __shared__ std::uint32_t seq[kTileM];

  const int tid = static_cast<int>(threadIdx.x), tx = tid % kSide, ty = tid / kSide;
  const std::size_t i0 = std::size_t{blockIdx.x} * kTileM;
  const std::uint32_t h = blockIdx.y, n0 = blockIdx.z * kTileN;
  const std::uint32_t hs = (x.head_begin + h) / group - state.head_begin;
  if (tid < kTileM) seq[tid] = i0 + tid < x.rows ? pos.seq[i0 + tid] : kPaddingFlag;
  __syncthreads();

  Acc o[kTM][kTN] = {};
  // Runs [r0, r1) of tile rows with one sequence id (the same for every thread).
  for (int r0 = 0; r0 < kTileM;) {
    const std::uint32_t s = seq[r0];
    int r1 = r0 + 1;
    while (r1 < kTileM && seq[r1] == s) ++r1;
    if ((s & kPaddingFlag) == 0) {
      const std::size_t base = std::size_t{s} * d_k;  // first state row of sequence s
      for (std::uint32_t m0 = 0; m0 < x.cols; m0 += kc) {
        __syncthreads();  // xs and ms are free
        for (int e = tid; e < kTileM * kc; e += kThreads) {
          const int r = e / kc, k = e % kc;
          const std::uint32_t m = m0 + k;
          xs[r][k] = r >= r0 && r < r1 && m < x.cols ? ld<Acc>(x, elem_index(x, i0 + r, h, m)) : Acc(0);
        }
        for (int e = tid; e < kc * kTileN; e += kThreads) {
          // Consecutive threads read consecutive state columns.
          const int k = transposed ? e % kc : e / kTileN, c = transposed ? e / kc : e % kTileN;
          const std::uint32_t m = m0 + k, n = n0 + c;
          const std::size_t at = transposed ? elem_index(state, base + n, hs, m) : elem_index(state, base + m, hs, n);
          ms[k][c] = m < x.cols && n < out.cols ? ld<Acc>(state, at) : Acc(0);
        }
        __syncthreads();
        #pragma unroll
        for (int k = 0; k < kc; ++k) {
          Acc xa[kTM], mb[kTN];
          #pragma unroll
          for (int a = 0; a < kTM; ++a) xa[a] = xs[ty + kSide * a][k];
          #pragma unroll
          for (int b = 0; b < kTN; ++b) mb[b] = ms[k][tx + kSide * b];
          #pragma unroll
          for (int a = 0; a < kTM; ++a) {
            #pragma unroll
            for (int b = 0; b < kTN; ++b) o[a][b] += xa[a] * mb[b];
          }
        }
      }
    }
    r0 = r1;
  }

  add_tile(out, i0, n0, h, o, tx, ty);
}

// state[seq r * d_k + p, hs, q] += sum over the non-padding rows r of the
// block's slab of a[r, h, p] b[r, h, q], d_k = a.cols, hs = (a.head_begin +
// h) / group - state.head_begin. Grid: (row slabs of rows_per_block,
// a.heads, (d_k tiles) x (d_v tiles)); the sums are flushed with atomic adds
// whenever the sequence id changes along the slab.
template <class Acc>
__global__ void __launch_bounds__(kThreads)
    state_outer_kernel(DevTensor a, DevTensor b, DevTensor state, DevPositions pos, std::uint32_t group,
                       std::uint32_t rows_per_block, std::uint32_t col_tiles) {
  constexpr int kc = kChunk<Acc>;
  __shared__ Acc as[kc][kTileM];
  __shared__ Acc bs[kc][kTileN];
  __shared__ std::uint32_t seq[kc];

  const int tid = static_cast<int>(threadIdx.x), tx = tid % kSide, ty = tid / kSide;
  const std::uint32_t h = blockIdx.y;
  const std::uint32_t p0 = blockIdx.z / col_tiles * kTileM, q0 = blockIdx.z % col_tiles * kTileN;
  const std::uint32_t hs = (a.head_begin + h) / group - state.head_begin;
  const std::size_t r_begin = std::size_t{blockIdx.x} * rows_per_block;
  const std::size_t r_end = std::min<std::size_t>(a.rows, r_begin + rows_per_block);

  Acc acc[kTM][kTN] = {};
  std::uint32_t cur = kPaddingFlag;  // sequence id of acc; padding: acc holds nothing
  const auto flush = [&] {
    if (cur & kPaddingFlag) return;
    #pragma unroll
    for (int i = 0; i < kTM; ++i) {
      #pragma unroll
      for (int j = 0; j < kTN; ++j) {
        const std::uint32_t p = p0 + ty + kSide * i, q = q0 + tx + kSide * j;
        if (p < a.cols && q < b.cols)
          atomic_add(state, elem_index(state, std::size_t{cur} * a.cols + p, hs, q), acc[i][j]);
        acc[i][j] = 0;
      }
    }
  };
  for (std::size_t r0 = r_begin; r0 < r_end; r0 += kc) {
    __syncthreads();  // as, bs and seq are free
    if (tid < kc) seq[tid] = r0 + tid < r_end ? pos.seq[r0 + tid] : kPaddingFlag;
    for (int e = tid; e < kc * kTileM; e += kThreads) {
      const int k = e / kTileM, c = e % kTileM;
      const std::size_t r = r0 + k;
      const std::uint32_t p = p0 + c;
      as[k][c] = r < r_end && p < a.cols ? ld<Acc>(a, elem_index(a, r, h, p)) : Acc(0);
    }
    for (int e = tid; e < kc * kTileN; e += kThreads) {
      const int k = e / kTileN, c = e % kTileN;
      const std::size_t r = r0 + k;
      const std::uint32_t q = q0 + c;
      bs[k][c] = r < r_end && q < b.cols ? ld<Acc>(b, elem_index(b, r, h, q)) : Acc(0);
    }
    __syncthreads();
    for (int k = 0; k < kc; ++k) {
      const std::uint32_t s = seq[k];  // the same for every thread
      if (s & kPaddingFlag) continue;  // padding rows take no part
      if (s != cur) {
        flush();
        cur = s;
      }
      Acc av[kTM], bv[kTN];
      #pragma unroll
      for (int i = 0; i < kTM; ++i) av[i] = as[k][ty + kSide * i];
      #pragma unroll
      for (int j = 0; j < kTN; ++j) bv[j] = bs[k][tx + kSide * j];
      #pragma unroll
      for (int i = 0; i < kTM; ++i) {
        #pragma unroll
        for (int j = 0; j < kTN; ++j) acc[i][j] += av[i] * bv[j];
      }
    }
  }
  flush();
}

// out[e] = sum of gathered[j * n + e] over the selected members j (n: the
// elements of one block; gathered has out's heads and columns).
__global__ void state_sum_kernel(DevTensor gathered, DevTensor out, const std::uint8_t* selected,
                                 std::uint32_t members, std::size_t n) {
  const std::size_t stride = std::size_t{gridDim.x} * blockDim.x;
  for (std::size_t e = std::size_t{blockIdx.x} * blockDim.x + threadIdx.x; e < n; e += stride) {
    double sum = 0;
    for (std::uint32_t j = 0; j < members; ++j)
      if (selected[j]) sum += load(gathered, j * n + e);
    store(out, e, sum);
  }
}

constexpr unsigned ceil_div(std::size_t a, std::size_t b) { return static_cast<unsigned>((a + b - 1) / b); }

bool empty(const DevTensor& t) { return t.rows == 0 || t.heads == 0 || t.cols == 0; }

bool any_f64(std::initializer_list<DevTensor> ts) {
  return std::any_of(ts.begin(), ts.end(), [](const DevTensor& t) { return t.dtype == DType::kF64; });
}

cudaError_t masked_product(DevTensor x, DevTensor y, DevTensor z, DevTensor out, DevPositions xpos,
                           DevPositions ypos, std::uint32_t q_per_kv, bool causal, bool transposed,
                           cudaStream_t stream) {
  if (empty(x) || empty(y) || empty(z) || empty(out)) return cudaSuccess;
  const dim3 grid(ceil_div(x.rows, kTileM), x.heads, ceil_div(out.cols, kTileN));
  if (any_f64({x, y, z, out}))
    masked_product_kernel<double><<<grid, kThreads, 0, stream>>>(x, y, z, out, xpos, ypos, q_per_kv, causal,
                                                                 transposed);
  else
    masked_product_kernel<float><<<grid, kThreads, 0, stream>>>(x, y, z, out, xpos, ypos, q_per_kv, causal,
                                                                transposed);
  return cudaGetLastError();
}

cudaError_t rows_times_state(DevTensor x, DevTensor state, DevTensor out, DevPositions pos, std::uint32_t group,
                             std::uint32_t d_k, bool transposed, cudaStream_t stream) {
  if (empty(x) || empty(state) || empty(out)) return cudaSuccess;
  const dim3 grid(ceil_div(x.rows, kTileM), x.heads, ceil_div(out.cols, kTileN));
  if (any_f64({x, state, out}))
    rows_state_kernel<double><<<grid, kThreads, 0, stream>>>(x, state, out, pos, group, d_k, transposed);
  else
    rows_state_kernel<float><<<grid, kThreads, 0, stream>>>(x, state, out, pos, group, d_k, transposed);
  return cudaGetLastError();
}

cudaError_t state_outer(DevTensor a, DevTensor b, DevTensor state, DevPositions pos, std::uint32_t group,
                        cudaStream_t stream) {
  if (empty(a) || empty(b) || empty(state)) return cudaSuccess;
  // Slabs sized for about kTargetBlocks blocks in all: long slabs mean few
  // atomic flushes, enough of them keep every SM busy.
  constexpr std::size_t kTargetBlocks = 1024, kMinSlab = 16;
  const unsigned col_tiles = ceil_div(b.cols, kTileN);
  const std::size_t tiles = std::size_t{a.heads} * ceil_div(a.cols, kTileM) * col_tiles;
  const std::size_t slabs = std::clamp<std::size_t>(kTargetBlocks / tiles, 1, ceil_div(a.rows, kMinSlab));
  const auto rows_per_block = static_cast<std::uint32_t>(ceil_div(a.rows, slabs));
  const dim3 grid(ceil_div(a.rows, rows_per_block), a.heads, ceil_div(a.cols, kTileM) * col_tiles);
  if (any_f64({a, b, state}))
    state_outer_kernel<double><<<grid, kThreads, 0, stream>>>(a, b, state, pos, group, rows_per_block, col_tiles);
  else
    state_outer_kernel<float><<<grid, kThreads, 0, stream>>>(a, b, state, pos, group, rows_per_block, col_tiles);
  return cudaGetLastError();
}

}  // namespace

// state[s][:, h] += k[r, h]^T v[r, h] over the rows r of sequence s (state head = k's global head).
cudaError_t lin_state(DevTensor k, DevTensor v, DevTensor state, DevPositions kpos, cudaStream_t stream) {
  return state_outer(k, v, state, kpos, 1, stream);
}

cudaError_t lin_intra(DevTensor q, DevTensor k, DevTensor v, DevTensor out, DevPositions qpos, DevPositions kpos,
                      std::uint32_t q_per_kv, bool causal, cudaStream_t stream) {
  return masked_product(q, k, v, out, qpos, kpos, q_per_kv, causal, false, stream);
}

// out[t, h] += q[t, h] M[seq t][:, h / q_per_kv].
cudaError_t lin_inter(DevTensor q, DevTensor state, DevTensor out, DevPositions qpos, std::uint32_t q_per_kv,
                      cudaStream_t stream) {
  return rows_times_state(q, state, out, qpos, q_per_kv, q.cols, false, stream);
}

cudaError_t lin_state_sum(DevTensor gathered, DevTensor out, const std::uint8_t* selected, std::uint32_t members,
                          cudaStream_t stream) {
  const std::size_t n = std::size_t{out.rows} * out.heads * out.cols;
  if (n == 0) return cudaSuccess;
  constexpr unsigned kBlock = 256, kMaxBlocks = 4096;
  state_sum_kernel<<<std::min(ceil_div(n, kBlock), kMaxBlocks), kBlock, 0, stream>>>(gathered, out, selected,
                                                                                     members, n);
  return cudaGetLastError();
}

// With A = q k^T and dA = dout v^T over visible pairs: dq += dA k (query side),
// dk += dA^T q and dv += A^T dout (key side, summed over the query heads of
// each key/value head's group).
cudaError_t lin_intra_bwd(DevTensor q, DevTensor k, DevTensor v, DevTensor dout, DevTensor dq, DevTensor dk,
                          DevTensor dv, DevPositions qpos, DevPositions kpos, std::uint32_t q_per_kv, bool causal,
                          cudaStream_t stream) {
  if (const cudaError_t e = masked_product(dout, v, k, dq, qpos, kpos, q_per_kv, causal, false, stream);
      e != cudaSuccess)
    return e;
  if (const cudaError_t e = masked_product(v, dout, q, dk, kpos, qpos, q_per_kv, causal, true, stream);
      e != cudaSuccess)
    return e;
  return masked_product(k, q, dout, dv, kpos, qpos, q_per_kv, causal, true, stream);
}

// dq[t, h] += M[seq t][:, h / q_per_kv] dout[t, h] (d_k = dq.cols).
cudaError_t lin_inter_bwd(DevTensor dout, DevTensor state, DevTensor dq, DevPositions qpos, std::uint32_t q_per_kv,
                          cudaStream_t stream) {
  return rows_times_state(dout, state, dq, qpos, q_per_kv, dq.cols, true, stream);
}

// dstate[s][:, h / q_per_kv] += q[r, h]^T dout[r, h] over the rows r of sequence s.
cudaError_t lin_dstate(DevTensor q, DevTensor dout, DevTensor dstate, DevPositions qpos, std::uint32_t q_per_kv,
                       cudaStream_t stream) {
  return state_outer(q, dout, dstate, qpos, q_per_kv, stream);
}

// With D = dstate[seq r][:, h]: dk[r, h] += D v[r, h], dv[r, h] += D^T k[r, h].
cudaError_t lin_state_bwd(DevTensor k, DevTensor v, DevTensor dstate, DevTensor dk, DevTensor dv, DevPositions kpos,
                          cudaStream_t stream) {
  if (const cudaError_t e = rows_times_state(v, dstate, dk, kpos, 1, k.cols, true, stream); e != cudaSuccess)
    return e;
  return rows_times_state(k, dstate, dv, kpos, 1, k.cols, false, stream);
}

}  // namespace spsim::cuda
