// FlashAttention-2 style forward and backward kernels of the CUDA executor
// (kernels.h: attn_fwd, attn_bwd). The numeric meaning is program/op_kind.h's;
// the float64 reference they reproduce is validate/host_executor.cc.
// Everything computes in float (fp64 tensors included); the backward adds into
// dq, dk, dv.
//
// Design (a tile row is split over kLanes = 16 consecutive lanes, tx; the
// thread's group of rows is ty):
// - flash_fwd (AttnFwd): FlashAttention-2. A block of 128 threads owns BR
//   query rows of one query head; it stages Q^T once, then steps over BC-key
//   tiles of K^T and V in shared memory, with the online softmax of each row
//   in registers (a thread holds BR/8 rows x BC/16 scores and BR/8 rows x D/16
//   output columns). Tiles: BR = BC = 64 for head dims <= 128 (buckets 32, 64,
//   128), BR = BC = 32 for <= 256. A key tile with no visible pair costs one
//   barrier. The probability tile reuses the K^T buffer.
// - flash_bwd (AttnBwd): a block of 256 threads owns BC key rows of one
//   key/value head and loops over the query heads of its GQA group and all
//   BR-row query tiles (skipping those with no visible pair). dK and dV stay
//   in registers (BC/16 keys x D/16 columns per thread) and are added to dk, dv
//   once at the end (the block is their only writer); dQ of each tile is
//   reduced in registers and added with atomic_add. Tiles: BC = BR = 64 for
//   head dims <= 128, 32 for <= 256.
// NaN poison follows the reference: it reaches an output only through a
// visible pair (masked scores are selected, not multiplied, and rows a tile's
// mask excludes are kept out of the products).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "program/token_layout.h"
#include "validate/cuda/attention_common.cuh"

namespace spsim::cuda {
namespace {

constexpr double kLog2e = 1.4426950408889634;
constexpr float kLn2 = 0.6931471805599453f;

// The largest head dimension the flash kernels are instantiated for that is
// >= d (0: too large).
constexpr std::uint32_t head_dim_bucket(std::uint32_t d) {
  return d <= 32 ? 32 : d <= 64 ? 64 : d <= 128 ? 128 : d <= 256 ? 256 : 0;
}

// The mask contract (token_layout.h) on staged sequence ids and positions.
__device__ inline bool pair_visible(std::uint32_t sq, std::int64_t pq, std::uint32_t sk, std::int64_t pk,
                                    bool causal) {
  return sq == sk && (sq & kPaddingFlag) == 0 && (!causal || pk <= pq);
}

// Reductions over the 16 lanes of a tile row.
__device__ inline float row_max(float v) {
#pragma unroll
  for (int off = kLanes / 2; off > 0; off /= 2) v = fmaxf(v, __shfl_xor_sync(kFullMask, v, off));
  return v;
}
__device__ inline float row_sum(float v) {
#pragma unroll
  for (int off = kLanes / 2; off > 0; off /= 2) v += __shfl_xor_sync(kFullMask, v, off);
  return v;
}

// a warp map such an index into word j / 2.
template <int N>
__device__ inline void mark_lane_indices(std::uint32_t* words, int tx, std::uint32_t flags) {
#pragma unroll
  for (int j = 0; j < N; ++j) {
    const std::uint32_t word = __reduce_or_sync(kFullMask, (flags >> j & 1u) << (tx + kLanes * (j % 2)));
    if (word != 0 && threadIdx.x % 32 == 0) atomicOr(&words[j / 2], word);
  }
}
// Index ty * N + i (i < N) is marked when bit i of `flags` is set; the 2N
// indices of a warp's two groups lie in one word.
template <int N>
__device__ inline void mark_group_indices(std::uint32_t* words, int ty, std::uint32_t flags) {
  static_assert(32 % (2 * N) == 0);
  std::uint32_t bits = 0;
#pragma unroll
  for (int i = 0; i < N; ++i) bits |= (flags >> i & 1u) << ((ty * N + i) % 32);
  const std::uint32_t word = __reduce_or_sync(kFullMask, bits);
  if (word != 0 && threadIdx.x % 32 == 0) atomicOr(&words[ty * N / 32], word);
}
// The bitmap of N <= 64 indices held in words[0, N / 32).
template <int N>
__device__ inline std::uint64_t hit_mask(const std::uint32_t* words) {
  static_assert(N == 32 || N == 64);
  if constexpr (N == 32) {
    return words[0];
  } else {
    return words[0] | std::uint64_t{words[1]} << 32;
  }
}
// The lowest set index of a nonzero mask.
__device__ inline int lowest_bit(std::uint64_t mask) { return __ffsll(static_cast<long long>(mask)) - 1; }

__device__ inline unsigned char* dynamic_smem() {
  extern __shared__ __align__(16) unsigned char smem[];
  return smem;
}

// ---------------------------------------------------------------- AttnFwd

struct FwdParams {
  DevTensor q, k, v, out, lse;
  DevPositions qpos, kpos;
  std::uint32_t q_per_kv;
  bool causal;
  float scale_log2;  // log2(e) / sqrt(head dim): scores in base 2
};

template <int D, int BR, int BC>
struct FwdTile {
  static constexpr int kThreads = 128;
  static constexpr int kTM = BR / (kThreads / kLanes);  // query rows per thread
  static constexpr int kTN = BC / kLanes;               // scores per thread row
  static constexpr int kJD = D / kLanes;                // output columns per thread
  static constexpr int kQtStride = BR + 4;              // Qt[d][r]: float4 reads of a thread's rows
  static constexpr int kKtStride = BC + 1;              // Kt[d][c]: conflict-free transposing stores
  static constexpr int kPtStride = BR + 4;              // Pt[c][r], in the Kt buffer
  static constexpr int kQt = D * kQtStride;
  static constexpr int kKt = std::max(D * kKtStride, BC * kPtStride);
  static constexpr int kVs = BC * D;  // Vs[c][d]
  static constexpr std::size_t kSmemBytes = sizeof(float) * (kQt + kKt + kVs) +
                                            BR * (sizeof(std::int64_t) + sizeof(std::uint32_t)) +
                                            BC / 32 * sizeof(std::uint32_t);
  static_assert(kTM % 4 == 0 && kTM * kTN <= 32 && BC % 32 == 0 && D % 32 == 0);
  static_assert(kQt % 4 == 0 && kKt % 4 == 0 && kVs % 4 == 0, "regions stay 16-byte aligned");
};

template <int D, int BR, int BC>
__global__ void __launch_bounds__(128) flash_fwd_kernel(FwdParams p) {
  using T = FwdTile<D, BR, BC>;
  constexpr int TM = T::kTM, TN = T::kTN, JD = T::kJD;
  float* qt = reinterpret_cast<float*>(dynamic_smem());
  float* kt = qt + T::kQt;
  float* pt = kt;
  float* vs = kt + T::kKt;
  auto* q_pos = reinterpret_cast<std::int64_t*>(vs + T::kVs);
  auto* q_seq = reinterpret_cast<std::uint32_t*>(q_pos + BR);
  std::uint32_t* key_used = q_seq + BR;  // keys some query of the tile sees

  const DevTensor &q = p.q, &k = p.k, &v = p.v;
  const int tid = static_cast<int>(threadIdx.x), tx = tid % kLanes, ty = tid / kLanes;
  const std::uint32_t h = blockIdx.y;
  // Reverse order: under a causal mask the last rows see the most keys.
  const std::size_t row0 = std::size_t{gridDim.x - 1 - blockIdx.x} * BR;
  const std::uint32_t kh = (q.head_begin + h) / p.q_per_kv - k.head_begin;

  for (int r = tid; r < BR; r += T::kThreads) {
    const std::size_t gr = row0 + r;
    const bool in = gr < q.rows;
    q_seq[r] = in ? p.qpos.seq[gr] : kPaddingFlag;
    q_pos[r] = in ? p.qpos.pos[gr] : 0;
  }
  for (int e = tid; e < BR * D; e += T::kThreads) {
    const int r = e / D, d = e % D;
    const std::size_t gr = row0 + r;
    qt[d * T::kQtStride + r] =
        gr < q.rows && static_cast<std::uint32_t>(d) < q.cols ? ldf(q, elem_index(q, gr, h, d)) : 0.f;
  }
  if (tid < BC / 32) key_used[tid] = 0;
  __syncthreads();

  float o[TM][JD] = {};
  float m[TM], l[TM];  // running max (base 2) and this thread's share of the row sum
#pragma unroll
  for (int i = 0; i < TM; ++i) m[i] = kNegInf, l[i] = 0.f;

  for (std::size_t c0 = 0; c0 < k.rows; c0 += BC) {
    // Visibility of the thread's pairs: bit i * TN + j for row ty * TM + i and
    // key tx + 16 j.
    std::uint32_t ks[TN];
    std::int64_t kp[TN];
#pragma unroll
    for (int j = 0; j < TN; ++j) {
      const std::size_t gc = c0 + tx + kLanes * j;
      ks[j] = gc < k.rows ? p.kpos.seq[gc] : kPaddingFlag;
      kp[j] = gc < k.rows ? p.kpos.pos[gc] : 0;
    }
    std::uint32_t bits = 0, col_any = 0;
#pragma unroll
    for (int i = 0; i < TM; ++i) {
      const std::uint32_t sq = q_seq[ty * TM + i];
      const std::int64_t pq = q_pos[ty * TM + i];
#pragma unroll
      for (int j = 0; j < TN; ++j)
        if (pair_visible(sq, pq, ks[j], kp[j], p.causal)) bits |= 1u << (i * TN + j), col_any |= 1u << j;
    }
    mark_lane_indices<TN>(key_used, tx, col_any);
    if (!__syncthreads_or(bits != 0)) continue;

    // Stage K^T and V. The V rows of keys no query of the tile sees are zero,
    // so that poison there cannot reach the outputs through 0 * NaN.
    for (int e = tid; e < BC * D; e += T::kThreads) {
      const int c = e / D, d = e % D;
      const std::size_t gc = c0 + c;
      float kx = 0.f, vx = 0.f;
      if (gc < k.rows) {
        if (static_cast<std::uint32_t>(d) < k.cols) kx = ldf(k, elem_index(k, gc, kh, d));
        if (static_cast<std::uint32_t>(d) < v.cols && (key_used[c / 32] >> (c % 32) & 1u))
          vx = ldf(v, elem_index(v, gc, kh, d));
      }
      kt[d * T::kKtStride + c] = kx;
      vs[c * D + d] = vx;
    }
    __syncthreads();
    if (tid < BC / 32) key_used[tid] = 0;  // for the next tile, two barriers on

    float s[TM][TN] = {};
#pragma unroll 8
    for (int d = 0; d < D; ++d) {
      float qv[TM], kv[TN];
      load_vec(qt + d * T::kQtStride + ty * TM, qv);
#pragma unroll
      for (int j = 0; j < TN; ++j) kv[j] = kt[d * T::kKtStride + tx + kLanes * j];
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) s[i][j] = fmaf(qv[i], kv[j], s[i][j]);
    }
    __syncthreads();  // Kt is read: Pt overwrites it

    // Online softmax. A row that has seen nothing visible keeps base 0, so its
    // probabilities stay exactly 0; NaN scores propagate into l and o.
#pragma unroll
    for (int i = 0; i < TM; ++i) {
      float mx = kNegInf;
#pragma unroll
      for (int j = 0; j < TN; ++j) {
        s[i][j] = (bits >> (i * TN + j) & 1u) ? s[i][j] * p.scale_log2 : kNegInf;
        mx = fmaxf(mx, s[i][j]);
      }
      const float m_new = fmaxf(m[i], row_max(mx));
      const float base = m_new == kNegInf ? 0.f : m_new;
      const float alpha = exp2f(m[i] - base);
      float sum = 0.f;
#pragma unroll
      for (int j = 0; j < TN; ++j) {
        const float pr = exp2f(s[i][j] - base);
        pt[(tx + kLanes * j) * T::kPtStride + ty * TM + i] = pr;
        sum += pr;
      }
      l[i] = l[i] * alpha + sum;
      m[i] = m_new;
#pragma unroll
      for (int jj = 0; jj < JD; ++jj) o[i][jj] *= alpha;
    }
    __syncthreads();

#pragma unroll 4
    for (int c = 0; c < BC; ++c) {
      float pv[TM], vv[JD];
      load_vec(pt + c * T::kPtStride + ty * TM, pv);
#pragma unroll
      for (int jj = 0; jj < JD; ++jj) vv[jj] = vs[c * D + tx + kLanes * jj];
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int jj = 0; jj < JD; ++jj) o[i][jj] = fmaf(pv[i], vv[jj], o[i][jj]);
    }
    // The next tile's first barrier orders these reads before its staging.
  }

  // A row with no visible key (sum exactly 0) gets out = 0 and lse = -inf;
  // a NaN sum makes both NaN, as in the reference.
#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const float lt = row_sum(l[i]);
    const std::size_t gr = row0 + ty * TM + i;
    if (gr >= q.rows) continue;
    const bool none = lt == 0.f;
    const float inv = 1.f / lt;
#pragma unroll
    for (int jj = 0; jj < JD; ++jj) {
      const int d = tx + kLanes * jj;
      if (static_cast<std::uint32_t>(d) < v.cols)
        store(p.out, elem_index(p.out, gr, h, d), none ? 0.f : o[i][jj] * inv);
    }
    if (tx == 0) store(p.lse, elem_index(p.lse, gr, h, 0), none ? kNegInf : (m[i] + log2f(lt)) * kLn2);
  }
}

template <int D, int BR, int BC>
cudaError_t launch_fwd(const FwdParams& p, cudaStream_t stream) {
  using T = FwdTile<D, BR, BC>;
  const auto kernel = flash_fwd_kernel<D, BR, BC>;
  if (const cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                 static_cast<int>(T::kSmemBytes));
      e != cudaSuccess)
    return e;
  kernel<<<dim3(ceil_div(p.q.rows, BR), p.q.heads), T::kThreads, T::kSmemBytes, stream>>>(p);
  return cudaGetLastError();
}

// ---------------------------------------------------------------- AttnBwd

struct BwdParams {
  DevTensor q, k, v, dout, lse, delta, dq, dk, dv;
  DevPositions qpos, kpos;
  std::uint32_t q_per_kv;
  bool causal;
  float scale;       // 1 / sqrt(head dim)
  float scale_log2;  // scale * log2(e)
};

template <int D, int BC, int BR>
struct BwdTile {
  static constexpr int kThreads = 256;
  static constexpr int kGroups = kThreads / kLanes;  // ty
  static constexpr int kTM = BC / kGroups;           // keys per thread (scores, dK, dV)
  static constexpr int kTN = BR / kLanes;            // query rows per thread in the score tile
  static constexpr int kTQ = BR / kGroups;           // query rows per thread in dQ
  static constexpr int kJD = D / kLanes;             // head columns per thread
  static constexpr int kRowStride = D + 1;           // Ks, Vs, Qs, dOs: [row][d], odd stride
  static constexpr int kPaStride = BC + 4;           // Pa, dSa: [query row][key]
  static constexpr int kPbStride = BR + 4;           // dSb: [key][query row]
  static constexpr int kKs = BC * kRowStride, kQs = BR * kRowStride;
  static constexpr int kPa = BR * kPaStride, kPb = BC * kPbStride;
  static constexpr int kFloats = 2 * kKs + 2 * kQs + 2 * kPa + kPb + 2 * BR;  // + q_lse2, q_delta
  static constexpr std::size_t kSmemBytes = sizeof(float) * kFloats +
                                            (BC + BR) * (sizeof(std::int64_t) + sizeof(std::uint32_t)) +
                                            (BC + BR) / 32 * sizeof(std::uint32_t);
  static_assert(kTM * kTN <= 32 && (BC == 32 || BC == 64) && (BR == 32 || BR == 64) && D % 32 == 0);
  static_assert(kKs % 4 == 0 && kQs % 4 == 0 && kPa % 4 == 0 && kPb % 4 == 0 && kFloats % 2 == 0,
                "regions stay aligned");
};

template <int D, int BC, int BR>
__global__ void __launch_bounds__(256) flash_bwd_kernel(BwdParams p) {
  using T = BwdTile<D, BC, BR>;
  constexpr int TM = T::kTM, TN = T::kTN, TQ = T::kTQ, JD = T::kJD, RS = T::kRowStride;
  float* ks = reinterpret_cast<float*>(dynamic_smem());
  float* vs = ks + T::kKs;
  float* qs = vs + T::kKs;
  float* dos = qs + T::kQs;
  float* pa = dos + T::kQs;      // P[r][c]
  float* dsa = pa + T::kPa;      // dS[r][c]
  float* dsb = dsa + T::kPa;     // dS[c][r]
  float* q_lse2 = dsb + T::kPb;  // lse in base 2
  float* q_delta = q_lse2 + BR;
  auto* k_pos = reinterpret_cast<std::int64_t*>(q_delta + BR);
  std::int64_t* q_pos = k_pos + BC;
  auto* k_seq = reinterpret_cast<std::uint32_t*>(q_pos + BR);
  std::uint32_t* q_seq = k_seq + BC;
  std::uint32_t* row_hit = q_seq + BR;         // query rows of the tile that see a key of the block
  std::uint32_t* key_hit = row_hit + BR / 32;  // keys of the block that see a row of the tile

  const DevTensor &q = p.q, &k = p.k, &v = p.v, &dout = p.dout;
  const int tid = static_cast<int>(threadIdx.x), tx = tid % kLanes, ty = tid / kLanes;
  const std::uint32_t kh = blockIdx.y;
  const std::size_t key0 = std::size_t{blockIdx.x} * BC;
  // The query heads of this key/value head's GQA group.
  const std::int64_t g = std::int64_t{k.head_begin} + kh;
  const std::int64_t h_lo = std::max<std::int64_t>(0, g * p.q_per_kv - q.head_begin);
  const std::int64_t h_hi = std::min<std::int64_t>(q.heads, (g + 1) * p.q_per_kv - q.head_begin);
  if (h_lo >= h_hi) return;

  for (int c = tid; c < BC; c += T::kThreads) {
    const std::size_t gc = key0 + c;
    const bool in = gc < k.rows;
    k_seq[c] = in ? p.kpos.seq[gc] : kPaddingFlag;
    k_pos[c] = in ? p.kpos.pos[gc] : 0;
  }
  for (int e = tid; e < BC * D; e += T::kThreads) {
    const int c = e / D, d = e % D;
    const std::size_t gc = key0 + c;
    const bool in = gc < k.rows;
    ks[c * RS + d] = in && static_cast<std::uint32_t>(d) < k.cols ? ldf(k, elem_index(k, gc, kh, d)) : 0.f;
    vs[c * RS + d] = in && static_cast<std::uint32_t>(d) < v.cols ? ldf(v, elem_index(v, gc, kh, d)) : 0.f;
  }
  if (tid < BR / 32) row_hit[tid] = 0;
  if (tid < BC / 32) key_hit[tid] = 0;
  // The first barrier of the loop publishes these.

  float dk_acc[TM][JD] = {}, dv_acc[TM][JD] = {};
  std::uint32_t touched = 0;  // bit i: key ty * TM + i saw a query (its dk, dv change)

  for (std::int64_t hq = h_lo; hq < h_hi; ++hq) {
    const auto h = static_cast<std::uint32_t>(hq);
    for (std::size_t row0 = 0; row0 < q.rows; row0 += BR) {
      // The tile's rows. A row with lse = -inf takes no part (the reference
      // skips it): it is staged as padding.
      for (int r = tid; r < BR; r += T::kThreads) {
        const std::size_t gr = row0 + r;
        std::uint32_t seq = kPaddingFlag;
        std::int64_t pos = 0;
        float lse2 = 0.f, dl = 0.f;
        if (gr < q.rows) {
          const float lse = ldf(p.lse, elem_index(p.lse, gr, h, 0));
          if (lse != kNegInf) {
            seq = p.qpos.seq[gr];
            pos = p.qpos.pos[gr];
            lse2 = lse * static_cast<float>(kLog2e);
            dl = ldf(p.delta, elem_index(p.delta, gr, h, 0));
          }
        }
        q_seq[r] = seq;
        q_pos[r] = pos;
        q_lse2[r] = lse2;
        q_delta[r] = dl;
      }
      __syncthreads();

      // Visibility: bit i * TN + jr for key ty * TM + i and row tx + 16 jr.
      std::uint32_t bits = 0, row_any = 0, key_any = 0;
#pragma unroll
      for (int i = 0; i < TM; ++i) {
        const std::uint32_t sk = k_seq[ty * TM + i];
        const std::int64_t pk = k_pos[ty * TM + i];
#pragma unroll
        for (int jr = 0; jr < TN; ++jr) {
          const int r = tx + kLanes * jr;
          if (pair_visible(q_seq[r], q_pos[r], sk, pk, p.causal))
            bits |= 1u << (i * TN + jr), row_any |= 1u << jr, key_any |= 1u << i;
        }
      }
      mark_lane_indices<TN>(row_hit, tx, row_any);
      mark_group_indices<TM>(key_hit, ty, key_any);
      if (!__syncthreads_or(bits != 0)) continue;

      const std::uint64_t rows_hit = hit_mask<BR>(row_hit), keys_hit = hit_mask<BC>(key_hit);
      touched |= static_cast<std::uint32_t>(keys_hit >> (ty * TM)) & ((1u << TM) - 1);
      for (int e = tid; e < BR * D; e += T::kThreads) {
        const int r = e / D, d = e % D;
        const std::size_t gr = row0 + r;
        const bool in = gr < q.rows;
        qs[r * RS + d] = in && static_cast<std::uint32_t>(d) < q.cols ? ldf(q, elem_index(q, gr, h, d)) : 0.f;
        dos[r * RS + d] =
            in && static_cast<std::uint32_t>(d) < dout.cols ? ldf(dout, elem_index(dout, gr, h, d)) : 0.f;
      }
      __syncthreads();
      if (tid < BR / 32) row_hit[tid] = 0;  // for the next tile, two barriers on
      if (tid < BC / 32) key_hit[tid] = 0;

      // S and dP of the thread's pairs, then P and dS (exactly 0 off the mask).
      float s[TM][TN] = {}, dp[TM][TN] = {};
#pragma unroll 4
      for (int d = 0; d < D; ++d) {
        float kv[TM], vv[TM], qv[TN], ov[TN];
#pragma unroll
        for (int i = 0; i < TM; ++i) kv[i] = ks[(ty * TM + i) * RS + d], vv[i] = vs[(ty * TM + i) * RS + d];
#pragma unroll
        for (int jr = 0; jr < TN; ++jr)
          qv[jr] = qs[(tx + kLanes * jr) * RS + d], ov[jr] = dos[(tx + kLanes * jr) * RS + d];
#pragma unroll
        for (int i = 0; i < TM; ++i)
#pragma unroll
          for (int jr = 0; jr < TN; ++jr) {
            s[i][jr] = fmaf(kv[i], qv[jr], s[i][jr]);
            dp[i][jr] = fmaf(vv[i], ov[jr], dp[i][jr]);
          }
      }
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int jr = 0; jr < TN; ++jr) {
          const int c = ty * TM + i, r = tx + kLanes * jr;
          const bool vis = (bits >> (i * TN + jr) & 1u) != 0;
          const float pr = vis ? exp2f(s[i][jr] * p.scale_log2 - q_lse2[r]) : 0.f;
          const float ds = vis ? pr * (dp[i][jr] - q_delta[r]) : 0.f;
          pa[r * T::kPaStride + c] = pr;
          dsa[r * T::kPaStride + c] = ds;
          dsb[c * T::kPbStride + r] = ds;
        }
      __syncthreads();

      // dV += P^T dO and dK += dS^T Q over the rows that see a key of the block
      // (the others' Q and dO rows take no part).
      for (std::uint64_t rest = rows_hit; rest != 0; rest &= rest - 1) {
        const int r = lowest_bit(rest);
        float pv[TM], dsv[TM];
        load_vec(pa + r * T::kPaStride + ty * TM, pv);
        load_vec(dsa + r * T::kPaStride + ty * TM, dsv);
#pragma unroll
        for (int jj = 0; jj < JD; ++jj) {
          const float o = dos[r * RS + tx + kLanes * jj], x = qs[r * RS + tx + kLanes * jj];
#pragma unroll
          for (int i = 0; i < TM; ++i) {
            dv_acc[i][jj] = fmaf(pv[i], o, dv_acc[i][jj]);
            dk_acc[i][jj] = fmaf(dsv[i], x, dk_acc[i][jj]);
          }
        }
      }
      // dQ += scale dS K over the keys that see a row, added atomically
      // (the other key blocks add into the same rows).
      float dq_acc[TQ][JD] = {};
      for (std::uint64_t rest = keys_hit; rest != 0; rest &= rest - 1) {
        const int c = lowest_bit(rest);
        float dsv[TQ];
        load_vec(dsb + c * T::kPbStride + ty * TQ, dsv);
#pragma unroll
        for (int jj = 0; jj < JD; ++jj) {
          const float x = ks[c * RS + tx + kLanes * jj];
#pragma unroll
          for (int i = 0; i < TQ; ++i) dq_acc[i][jj] = fmaf(dsv[i], x, dq_acc[i][jj]);
        }
      }
#pragma unroll
      for (int i = 0; i < TQ; ++i) {
        const int r = ty * TQ + i;
        if (!(rows_hit >> r & 1u)) continue;
#pragma unroll
        for (int jj = 0; jj < JD; ++jj) {
          const int d = tx + kLanes * jj;
          if (static_cast<std::uint32_t>(d) < p.dq.cols)
            atomic_add(p.dq, elem_index(p.dq, row0 + r, h, d), p.scale * dq_acc[i][jj]);
        }
      }
      // The next tile's first barrier orders these reads before its writes.
    }
  }

  // The block is the only writer of its keys' dk and dv rows.
#pragma unroll
  for (int i = 0; i < TM; ++i) {
    if (!(touched >> i & 1u)) continue;
    const std::size_t gc = key0 + ty * TM + i;
#pragma unroll
    for (int jj = 0; jj < JD; ++jj) {
      const int d = tx + kLanes * jj;
      if (static_cast<std::uint32_t>(d) < p.dk.cols) {
        const std::size_t at = elem_index(p.dk, gc, kh, d);
        store(p.dk, at, load(p.dk, at) + p.scale * dk_acc[i][jj]);
      }
      if (static_cast<std::uint32_t>(d) < p.dv.cols) {
        const std::size_t at = elem_index(p.dv, gc, kh, d);
        store(p.dv, at, load(p.dv, at) + dv_acc[i][jj]);
      }
    }
  }
}

template <int D, int BC, int BR>
cudaError_t launch_bwd(const BwdParams& p, cudaStream_t stream) {
  using T = BwdTile<D, BC, BR>;
  const auto kernel = flash_bwd_kernel<D, BC, BR>;
  if (const cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                 static_cast<int>(T::kSmemBytes));
      e != cudaSuccess)
    return e;
  kernel<<<dim3(ceil_div(p.k.rows, BC), p.k.heads), T::kThreads, T::kSmemBytes, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace

const char* kernel_name_attention_fwd() { return "spsim_flash_fwd_tiled"; }
const char* kernel_name_attention_bwd() { return "spsim_flash_bwd_tiled"; }

cudaError_t attn_fwd(DevTensor q, DevTensor k, DevTensor v, DevTensor out, DevTensor lse, DevPositions qpos,
                     DevPositions kpos, std::uint32_t q_per_kv, bool causal, cudaStream_t stream) {
  if (q.rows == 0 || q.heads == 0) return cudaSuccess;
  const auto scale_log2 = static_cast<float>(kLog2e / std::sqrt(static_cast<double>(q.cols)));
  const FwdParams p{q, k, v, out, lse, qpos, kpos, q_per_kv, causal, scale_log2};
  switch (head_dim_bucket(std::max(q.cols, v.cols))) {
    case 32: return launch_fwd<32, 64, 64>(p, stream);
    case 64: return launch_fwd<64, 64, 64>(p, stream);
    case 128: return launch_fwd<128, 64, 64>(p, stream);
    case 256: return launch_fwd<256, 32, 32>(p, stream);
    default: return cudaErrorInvalidValue;  // head dims above 256 are not instantiated
  }
}

cudaError_t attn_bwd(DevTensor q, DevTensor k, DevTensor v, DevTensor dout, DevTensor lse, DevTensor delta,
                     DevTensor dq, DevTensor dk, DevTensor dv, DevPositions qpos, DevPositions kpos,
                     std::uint32_t q_per_kv, bool causal, cudaStream_t stream) {
  if (q.rows == 0 || q.heads == 0 || k.rows == 0 || k.heads == 0) return cudaSuccess;
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.cols));
  const auto scale_f = static_cast<float>(scale), scale_log2 = static_cast<float>(scale * kLog2e);
  const BwdParams p{q, k, v, dout, lse, delta, dq, dk, dv, qpos, kpos, q_per_kv, causal, scale_f, scale_log2};
  switch (head_dim_bucket(std::max(q.cols, v.cols))) {
    case 32: return launch_bwd<32, 64, 64>(p, stream);
    case 64: return launch_bwd<64, 64, 64>(p, stream);
    case 128: return launch_bwd<128, 64, 64>(p, stream);
    case 256: return launch_bwd<256, 32, 32>(p, stream);
    default: return cudaErrorInvalidValue;  // head dims above 256 are not instantiated
  }
}

}  // namespace spsim::cuda
