// Compute ops of the CUDA executor (replayer.h): each op kind to its kernel
// (kernels.h), Dense and DenseBwd to cuBLAS, and the name of what ran.

#include "validate/cuda/replayer.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "validate/cuda/cuda_check.h"

namespace spsim::cuda {

namespace {

cudaDataType_t blas_type(DType t) {
  switch (t) {
    case DType::kF16: return CUDA_R_16F;
    case DType::kBF16: return CUDA_R_16BF;
    case DType::kF32: return CUDA_R_32F;
    case DType::kF64: return CUDA_R_64F;
  }
  return CUDA_R_32F;
}

}  // namespace

void Replayer::compute(OpId id, cudaStream_t s) {
  const Op& o = p_.op(id);
  const auto b = p_.operands(id);
  const OpExtra& x = extra_[idx(id)];
  auto T = [&](std::size_t i) { return tensor(b[i]); };
  auto P = [&](std::size_t i) { return positions(b[i]); };
  const bool causal = o.causal();
  cudaError_t e = cudaSuccess;
  switch (o.kind) {
    case OpKind::kAttnFwd: e = cuda::attn_fwd(T(0), T(1), T(2), T(3), T(4), P(0), P(1), q_per_kv(), causal, s); break;
    case OpKind::kAttnMerge: e = cuda::attn_merge(T(0), T(1), T(2), T(3), s); break;
    case OpKind::kAttnBwdPrep: e = cuda::attn_bwd_prep(T(0), T(1), T(2), s); break;
    case OpKind::kAttnBwd:
      e = cuda::attn_bwd(T(0), T(1), T(2), T(3), T(4), T(5), T(6), T(7), T(8), P(0), P(1), q_per_kv(), causal, s);
      break;
    case OpKind::kRsaScores: e = cuda::rsa_scores(T(0), T(1), T(2), P(0), P(1), x.map, q_per_kv(), causal, s); break;
    case OpKind::kRsaSoftmax: e = cuda::rsa_softmax(T(0), T(1), s); break;
    case OpKind::kRsaProbsV: e = cuda::rsa_probs_v(T(0), T(1), T(2), x.map, q_per_kv(), s); break;
    case OpKind::kRsaDProbs: e = cuda::rsa_dprobs(T(0), T(1), T(2), x.map, q_per_kv(), s); break;
    case OpKind::kRsaSoftmaxBwd: e = cuda::rsa_softmax_bwd(T(0), T(1), T(2), s); break;
    case OpKind::kRsaDQ: {
      const float sc = 1.0f / std::sqrt(static_cast<float>(std::max<std::uint32_t>(1, p_.buffer(b[1]).cols)));
      e = cuda::rsa_dq(T(0), T(1), T(2), x.map, q_per_kv(), sc, s);
      break;
    }
    case OpKind::kRsaDKFull: {
      const float sc = 1.0f / std::sqrt(static_cast<float>(std::max<std::uint32_t>(1, p_.buffer(b[1]).cols)));
      e = cuda::rsa_dk_full(T(0), T(1), T(2), x.map, q_per_kv(), sc, s);
      break;
    }
    case OpKind::kRsaDVFull: e = cuda::rsa_dv_full(T(0), T(1), T(2), x.map, q_per_kv(), s); break;
    case OpKind::kCopy: {
      const DevTensor src = T(0), dst = T(1);
      e = cuda::gather_rows(src, dst, x.map, dst.head_begin - src.head_begin, s);
      break;
    }
    case OpKind::kAccumulate: {
      const DevTensor src = T(0), dst = T(1);
      e = cuda::scatter_add_rows(src, dst, x.map, src.head_begin - dst.head_begin, s);
      break;
    }
    case OpKind::kLinState: e = cuda::lin_state(T(0), T(1), T(2), P(0), s); break;
    case OpKind::kLinIntra: e = cuda::lin_intra(T(0), T(1), T(2), T(3), P(0), P(1), q_per_kv(), causal, s); break;
    case OpKind::kLinInter: e = cuda::lin_inter(T(0), T(1), T(2), P(0), q_per_kv(), s); break;
    case OpKind::kLinStateSum: {
      const DevTensor g = T(0), out = T(1);
      e = cuda::lin_state_sum(g, out, x.selected, out.rows ? g.rows / out.rows : 0, s);
      break;
    }
    case OpKind::kLinIntraBwd:
      e = cuda::lin_intra_bwd(T(0), T(1), T(2), T(3), T(4), T(5), T(6), P(0), P(1), q_per_kv(), causal, s);
      break;
    case OpKind::kLinInterBwd: e = cuda::lin_inter_bwd(T(0), T(1), T(2), P(0), q_per_kv(), s); break;
    case OpKind::kLinDState: e = cuda::lin_dstate(T(0), T(1), T(2), P(0), q_per_kv(), s); break;
    case OpKind::kLinStateBwd: e = cuda::lin_state_bwd(T(0), T(1), T(2), T(3), T(4), P(0), s); break;
    case OpKind::kDense: dense(id, s); break;
    case OpKind::kDenseBwd: dense_bwd(id, s); break;
    case OpKind::kSend:
    case OpKind::kRecv:
    case OpKind::kCollective: throw std::logic_error("communication reached compute()");
  }
  CUDA_OK(e);
}

void Replayer::dense(OpId id, cudaStream_t s) {
  const auto b = p_.operands(id);
  const DevTensor in = tensor(b[0]), out = tensor(b[1]);
  const int k = static_cast<int>(in.heads * in.cols), n = static_cast<int>(out.heads * out.cols);
  const int rows = static_cast<int>(in.rows);
  cublasHandle_t h = blas_[static_cast<std::size_t>(gpu_of(p_.op(id).rank))];
  CUBLAS_OK(cublasSetStream(h, s));
  gemm(h, CUBLAS_OP_T, CUBLAS_OP_N, n, rows, k, extra_[idx(id)].weights, in.dtype, k, in.data, in.dtype, k, out.data,
       out.dtype, n);
}

void Replayer::dense_bwd(OpId id, cudaStream_t s) {
  const auto b = p_.operands(id);
  const DevTensor in = tensor(b[0]), dout = tensor(b[1]), din = tensor(b[2]);
  const int k = static_cast<int>(in.heads * in.cols), n = static_cast<int>(dout.heads * dout.cols);
  const int rows = static_cast<int>(in.rows);
  const int g = gpu_of(p_.op(id).rank);
  cublasHandle_t h = blas_[static_cast<std::size_t>(g)];
  CUBLAS_OK(cublasSetStream(h, s));
  gemm(h, CUBLAS_OP_N, CUBLAS_OP_N, k, rows, n, extra_[idx(id)].weights, in.dtype, k, dout.data, dout.dtype, n,
       din.data, din.dtype, k);
  gemm(h, CUBLAS_OP_N, CUBLAS_OP_T, k, n, rows, in.data, in.dtype, k, dout.data, dout.dtype, n, dw_[g], in.dtype, k);
}

void Replayer::gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const void* a,
                 DType at, int lda, const void* b, DType bt, int ldb, void* c, DType ct, int ldc) {
  const bool f64 = at == DType::kF64;
  const double one_d = 1, zero_d = 0;
  const float one_f = 1, zero_f = 0;
  CUBLAS_OK(cublasGemmEx(h, ta, tb, m, n, k, f64 ? static_cast<const void*>(&one_d) : &one_f, a, blas_type(at), lda,
                         b, blas_type(bt), ldb, f64 ? static_cast<const void*>(&zero_d) : &zero_f, c, blas_type(ct),
                         ldc, f64 ? CUBLAS_COMPUTE_64F : CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

std::string Replayer::kernel_of(OpId id) const {
  const Op& o = p_.op(id);
  switch (o.kind) {
    case OpKind::kAttnFwd: return cuda::kernel_name_attention_fwd();
    case OpKind::kAttnBwd: return cuda::kernel_name_attention_bwd();
    case OpKind::kDense:
    case OpKind::kDenseBwd: return "cublasGemmEx";
    case OpKind::kSend: return o_.mode == ReplayMode::kMultiGpu ? "ncclSend" : "cudaMemcpyAsync";
    case OpKind::kRecv: return o_.mode == ReplayMode::kMultiGpu ? "ncclRecv" : "cudaMemcpyAsync";
    case OpKind::kCollective: {
      if (o_.mode != ReplayMode::kMultiGpu) return "cudaMemcpyAsync";
      switch (CollectiveSpec::decode(o.tag).kind) {
        case CollectiveKind::kAllGather: return "ncclAllGather";
        case CollectiveKind::kReduceScatter: return "ncclReduceScatter";
        case CollectiveKind::kAllReduce: return "ncclAllReduce";
        case CollectiveKind::kBroadcast: return "ncclBroadcast";
        case CollectiveKind::kAllToAll: return "ncclSend/ncclRecv";
      }
      return "nccl";
    }
    default: return "spsim_" + std::string(op_kind_name(o.kind));
  }
}

}  // namespace spsim::cuda
