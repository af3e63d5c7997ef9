// The Ring Self-Attention products of the CUDA executor (kernels.h:
// rsa_scores, rsa_dprobs, rsa_probs_v, rsa_dq, rsa_dk_full, rsa_dv_full) on one
// tiled GEMM. The numeric meaning is program/op_kind.h's (reference:
// validate/host_executor.cc); computed in float, accumulating kinds add into
// their outputs.
//
// - gemm (the RSA products): a 64 x 64 output tile per block of 256 threads
//   (4 x 4 per thread), the reduction staged in chunks of 32; a Problem type
//   supplies the operand loads and the epilogue (scores by column map, add into
//   rows, atomic add into the position-matched rows of dk_full / dv_full).

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "validate/cuda/attention_common.cuh"

namespace spsim::cuda {
namespace {

constexpr std::uint32_t kNoRow = 0xffffffffu;  // dkfull_row: the column has no row

// ---------------------------------------------------------------- RSA products

constexpr int kGemmThreads = 256;
constexpr int kGemmBM = 64, kGemmBN = 64, kGemmBK = 32;
constexpr int kGemmTM = kGemmBM / (kGemmThreads / kLanes), kGemmTN = kGemmBN / kLanes;

// out(m, n) = sum_k a(m, k) b(k, n) for batch z = blockIdx.z (a head of the
// query-side operand; kv is its key/value head). A Problem provides M(), N(),
// K(), kv_head(z), a(z, kv, m, k), b(z, kv, k, n), put(z, kv, m, n, acc) and
// whether each operand is contiguous along k (for coalesced staging).
template <class Problem>
__global__ void __launch_bounds__(kGemmThreads) gemm_kernel(Problem pb) {
  __shared__ __align__(16) float as[kGemmBK][kGemmBM + 4];  // a^T: float4 reads of a thread's rows
  __shared__ float bs[kGemmBK][kGemmBN + 1];
  const int tid = static_cast<int>(threadIdx.x), tx = tid % kLanes, ty = tid / kLanes;
  const std::uint32_t z = blockIdx.z, kv = pb.kv_head(z);
  const std::size_t m0 = std::size_t{blockIdx.y} * kGemmBM, n0 = std::size_t{blockIdx.x} * kGemmBN;
  const std::size_t M = pb.M(), N = pb.N(), K = pb.K();
  float acc[kGemmTM][kGemmTN] = {};
  for (std::size_t k0 = 0; k0 < K; k0 += kGemmBK) {
    for (int e = tid; e < kGemmBM * kGemmBK; e += kGemmThreads) {
      const int m = Problem::kAAlongK ? e / kGemmBK : e % kGemmBM;
      const int kk = Problem::kAAlongK ? e % kGemmBK : e / kGemmBM;
      as[kk][m] = m0 + m < M && k0 + kk < K ? pb.a(z, kv, m0 + m, k0 + kk) : 0.f;
    }
    for (int e = tid; e < kGemmBN * kGemmBK; e += kGemmThreads) {
      const int n = Problem::kBAlongK ? e / kGemmBK : e % kGemmBN;
      const int kk = Problem::kBAlongK ? e % kGemmBK : e / kGemmBN;
      bs[kk][n] = n0 + n < N && k0 + kk < K ? pb.b(z, kv, k0 + kk, n0 + n) : 0.f;
    }
    __syncthreads();
#pragma unroll 8
    for (int kk = 0; kk < kGemmBK; ++kk) {
      float av[kGemmTM], bv[kGemmTN];
      load_vec(&as[kk][ty * kGemmTM], av);
#pragma unroll
      for (int j = 0; j < kGemmTN; ++j) bv[j] = bs[kk][tx + kLanes * j];
#pragma unroll
      for (int i = 0; i < kGemmTM; ++i)
#pragma unroll
        for (int j = 0; j < kGemmTN; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < kGemmTM; ++i)
#pragma unroll
    for (int j = 0; j < kGemmTN; ++j) {
      const std::size_t m = m0 + ty * kGemmTM + i, n = n0 + tx + kLanes * j;
      if (m < M && n < N) pb.put(z, kv, m, n, acc[i][j]);
    }
}

template <class Problem>
cudaError_t launch_gemm(const Problem& pb, std::uint32_t batches, cudaStream_t stream) {
  gemm_kernel<<<dim3(ceil_div(pb.N(), kGemmBN), ceil_div(pb.M(), kGemmBM), batches), kGemmThreads, 0, stream>>>(pb);
  return cudaGetLastError();
}

// The key/value head of head z of x, local to kv.
__host__ __device__ inline std::uint32_t kv_head_of(const DevTensor& x, const DevTensor& kv, std::uint32_t z,
                                                    std::uint32_t q_per_kv) {
  return (x.head_begin + z) / q_per_kv - kv.head_begin;
}

// out[i, z, col[j]] = scale x_i . y_j, or -inf where (i, j) is masked
// (RsaScores; RsaDProbs unmasked with scale 1). Rows of x: m, rows of y: n.
struct ScoreProblem {
  DevTensor x, y, out;
  DevPositions xpos, ypos;
  const std::uint32_t* col;
  std::uint32_t q_per_kv;
  float scale;
  bool masked, causal;
  static constexpr bool kAAlongK = true, kBAlongK = true;
  __host__ __device__ std::size_t M() const { return x.rows; }
  __host__ __device__ std::size_t N() const { return y.rows; }
  __device__ std::size_t K() const { return x.cols; }
  __device__ std::uint32_t kv_head(std::uint32_t z) const { return kv_head_of(x, y, z, q_per_kv); }
  __device__ float a(std::uint32_t z, std::uint32_t, std::size_t m, std::size_t k) const {
    return ldf(x, elem_index(x, m, z, k));
  }
  __device__ float b(std::uint32_t, std::uint32_t kv, std::size_t k, std::size_t n) const {
    return ldf(y, elem_index(y, n, kv, k));
  }
  __device__ void put(std::uint32_t z, std::uint32_t, std::size_t m, std::size_t n, float acc) const {
    const float val = masked && !visible(xpos, m, ypos, n, causal) ? kNegInf : scale * acc;
    store(out, elem_index(out, m, z, col[n]), val);
  }
};

// out[i, z] += scale sum_j s[i, z, col[j]] y_j (RsaProbsV, RsaDQ). The block
// owns its output elements.
struct RowsProblem {
  DevTensor s, y, out;
  const std::uint32_t* col;
  std::uint32_t q_per_kv;
  float scale;
  static constexpr bool kAAlongK = true, kBAlongK = false;
  __host__ __device__ std::size_t M() const { return s.rows; }
  __host__ __device__ std::size_t N() const { return y.cols; }
  __device__ std::size_t K() const { return y.rows; }
  __device__ std::uint32_t kv_head(std::uint32_t z) const { return kv_head_of(s, y, z, q_per_kv); }
  __device__ float a(std::uint32_t z, std::uint32_t, std::size_t m, std::size_t k) const {
    return ldf(s, elem_index(s, m, z, col[k]));
  }
  __device__ float b(std::uint32_t, std::uint32_t kv, std::size_t k, std::size_t n) const {
    return ldf(y, elem_index(y, k, kv, n));
  }
  __device__ void put(std::uint32_t z, std::uint32_t, std::size_t m, std::size_t n, float acc) const {
    const std::size_t at = elem_index(out, m, z, n);
    store(out, at, load(out, at) + scale * acc);
  }
};

// full[row[c], kv] += scale sum_i s[i, z, c] x[i, z] (RsaDKFull, RsaDVFull);
// the query heads of a group add into one key/value head, hence atomically.
struct ColumnsProblem {
  DevTensor s, x, full;
  const std::uint32_t* row;
  std::uint32_t q_per_kv;
  float scale;
  static constexpr bool kAAlongK = false, kBAlongK = false;
  __host__ __device__ std::size_t M() const { return s.cols; }
  __host__ __device__ std::size_t N() const { return x.cols; }
  __device__ std::size_t K() const { return s.rows; }
  __device__ std::uint32_t kv_head(std::uint32_t z) const { return kv_head_of(s, full, z, q_per_kv); }
  __device__ float a(std::uint32_t z, std::uint32_t, std::size_t m, std::size_t k) const {
    return ldf(s, elem_index(s, k, z, m));
  }
  __device__ float b(std::uint32_t z, std::uint32_t, std::size_t k, std::size_t n) const {
    return ldf(x, elem_index(x, k, z, n));
  }
  __device__ void put(std::uint32_t, std::uint32_t kv, std::size_t m, std::size_t n, float acc) const {
    if (const std::uint32_t r = row[m]; r != kNoRow) atomic_add(full, elem_index(full, r, kv, n), scale * acc);
  }
};

}  // namespace

cudaError_t rsa_scores(DevTensor q, DevTensor k, DevTensor scores, DevPositions qpos, DevPositions kpos,
                       const std::uint32_t* col_of_k_row, std::uint32_t q_per_kv, bool causal, cudaStream_t stream) {
  if (q.rows == 0 || q.heads == 0 || k.rows == 0) return cudaSuccess;
  const auto scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(q.cols)));
  return launch_gemm(ScoreProblem{q, k, scores, qpos, kpos, col_of_k_row, q_per_kv, scale, true, causal}, q.heads,
                     stream);
}

cudaError_t rsa_probs_v(DevTensor probs, DevTensor v, DevTensor out, const std::uint32_t* col_of_v_row,
                        std::uint32_t q_per_kv, cudaStream_t stream) {
  if (probs.rows == 0 || probs.heads == 0 || v.rows == 0 || v.cols == 0) return cudaSuccess;
  return launch_gemm(RowsProblem{probs, v, out, col_of_v_row, q_per_kv, 1.f}, probs.heads, stream);
}

cudaError_t rsa_dprobs(DevTensor dout, DevTensor v, DevTensor dprobs, const std::uint32_t* col_of_v_row,
                       std::uint32_t q_per_kv, cudaStream_t stream) {
  if (dout.rows == 0 || dout.heads == 0 || v.rows == 0) return cudaSuccess;
  return launch_gemm(ScoreProblem{dout, v, dprobs, {}, {}, col_of_v_row, q_per_kv, 1.f, false, false}, dout.heads,
                     stream);
}

cudaError_t rsa_dq(DevTensor dscores, DevTensor k, DevTensor dq, const std::uint32_t* col_of_k_row,
                   std::uint32_t q_per_kv, float scale, cudaStream_t stream) {
  if (dscores.rows == 0 || dscores.heads == 0 || k.rows == 0 || k.cols == 0) return cudaSuccess;
  return launch_gemm(RowsProblem{dscores, k, dq, col_of_k_row, q_per_kv, scale}, dscores.heads, stream);
}

cudaError_t rsa_dk_full(DevTensor dscores, DevTensor q, DevTensor dk_full, const std::uint32_t* dkfull_row,
                        std::uint32_t q_per_kv, float scale, cudaStream_t stream) {
  if (dscores.rows == 0 || dscores.heads == 0 || dscores.cols == 0 || q.cols == 0) return cudaSuccess;
  return launch_gemm(ColumnsProblem{dscores, q, dk_full, dkfull_row, q_per_kv, scale}, dscores.heads, stream);
}

cudaError_t rsa_dv_full(DevTensor probs, DevTensor dout, DevTensor dv_full, const std::uint32_t* dvfull_row,
                        std::uint32_t q_per_kv, cudaStream_t stream) {
  if (probs.rows == 0 || probs.heads == 0 || probs.cols == 0 || dout.cols == 0) return cudaSuccess;
  return launch_gemm(ColumnsProblem{probs, dout, dv_full, dvfull_row, q_per_kv, 1.f}, probs.heads, stream);
}

}  // namespace spsim::cuda
