// Data-movement kernels of the CUDA executor (kernels.h): row gathers and
// scatter-adds through a row map (Copy, Accumulate), windows copied with
// dtype conversion (packing for collectives), poison and zero fills, and the
// implicit weights of Dense ops.
//
// Design: grid-stride loops throughout. A row move copies one contiguous run
// of heads x cols per row; its 2-D block lays threadIdx.x along the run (as
// wide as the run, up to 256 threads) and threadIdx.y over rows, so no index
// is divided. Fills write bit patterns, 16 bytes at a time where aligned.
// dense_weights walks (i, j) incrementally, one division per thread.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "validate/cuda/device_tensor.cuh"

namespace spsim::cuda {
namespace {

constexpr unsigned kBlock = 256;
constexpr unsigned kMaxBlocks = 4096;  // grid-stride loops cover the rest

constexpr unsigned grid_for(std::size_t n, std::size_t per_block) {
  return static_cast<unsigned>(std::min<std::size_t>((n + per_block - 1) / per_block, kMaxBlocks));
}

// One side of a row move: row r is map[r] (map set) or row0 + r, and its run
// starts at head `head`, column 0.
struct RowSide {
  DevTensor t;
  const std::uint32_t* map = nullptr;
  std::uint32_t row0 = 0, head = 0;
};

// For r < rows: the n elements from src's run of row r are stored into (Add:
// added to) dst's run of row r, converting the dtype.
template <bool Add>
__global__ void move_rows_kernel(RowSide src, RowSide dst, std::uint32_t rows, std::size_t n) {
  const std::size_t stride = std::size_t{gridDim.x} * blockDim.y;
  for (std::size_t r = std::size_t{blockIdx.x} * blockDim.y + threadIdx.y; r < rows; r += stride) {
    const std::size_t sr = src.map ? src.map[r] : src.row0 + r, dr = dst.map ? dst.map[r] : dst.row0 + r;
    const std::size_t s0 = elem_index(src.t, sr, src.head, 0), d0 = elem_index(dst.t, dr, dst.head, 0);
    for (std::size_t e = threadIdx.x; e < n; e += blockDim.x) {
      const double v = load(src.t, s0 + e);
      store(dst.t, d0 + e, Add ? load(dst.t, d0 + e) + v : v);
    }
  }
}

// Runs of n elements per row must be contiguous on both sides: equal columns.
cudaError_t move_rows(const RowSide& src, const RowSide& dst, std::uint32_t rows, std::size_t n, bool add,
                      cudaStream_t stream) {
  if (rows == 0 || n == 0) return cudaSuccess;
  if (src.t.cols != dst.t.cols) return cudaErrorInvalidValue;
  const unsigned width = n >= kBlock ? kBlock : static_cast<unsigned>((n + 31) / 32 * 32);
  const dim3 block(width, kBlock / width);
  const unsigned blocks = grid_for(rows, block.y);
  if (add)
    move_rows_kernel<true><<<blocks, block, 0, stream>>>(src, dst, rows, n);
  else
    move_rows_kernel<false><<<blocks, block, 0, stream>>>(src, dst, rows, n);
  return cudaGetLastError();
}

// The heads [begin, end) of a `from` tensor whose head h + shift (mod 2^32,
// so a shift may be negative) is one of the `to` tensor's `to_heads` heads.
struct HeadRange {
  std::uint32_t begin = 0, end = 0;
};
HeadRange overlap(std::uint32_t from_heads, std::uint32_t to_heads, std::uint32_t shift) {
  const std::int64_t s = static_cast<std::int32_t>(shift);
  const std::int64_t b = std::max<std::int64_t>(0, -s);
  const std::int64_t e = std::min<std::int64_t>(from_heads, std::int64_t{to_heads} - s);
  return {static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(std::max(b, e))};
}

// data[0, n) = value, the first n_wide * (16 / sizeof(E)) elements as the
// 16-byte words `wide`.
template <class E>
__global__ void fill_kernel(E* data, std::size_t n, E value, std::size_t n_wide, uint4 wide) {
  const std::size_t tail0 = n_wide * (sizeof(uint4) / sizeof(E)), total = n_wide + (n - tail0);
  const std::size_t stride = std::size_t{gridDim.x} * blockDim.x;
  for (std::size_t i = std::size_t{blockIdx.x} * blockDim.x + threadIdx.x; i < total; i += stride) {
    if (i < n_wide)
      reinterpret_cast<uint4*>(data)[i] = wide;
    else
      data[tail0 + (i - n_wide)] = value;
  }
}

template <class E>
cudaError_t fill_bits(void* data, std::size_t n, E bits, cudaStream_t stream) {
  constexpr std::size_t kLanes = sizeof(uint4) / sizeof(E);
  const bool aligned = reinterpret_cast<std::uintptr_t>(data) % sizeof(uint4) == 0;
  const std::size_t n_wide = aligned ? n / kLanes : 0;
  E lanes[kLanes];
  std::fill(lanes, lanes + kLanes, bits);
  uint4 wide;
  std::memcpy(&wide, lanes, sizeof wide);
  fill_kernel<E><<<grid_for(n_wide + (n - n_wide * kLanes), kBlock), kBlock, 0, stream>>>(static_cast<E*>(data), n,
                                                                                          bits, n_wide, wide);
  return cudaGetLastError();
}

// Every element of t set to the quiet NaN (nan) or to the zero of its dtype.
cudaError_t fill(DevTensor t, bool nan, cudaStream_t stream) {
  const std::size_t n = std::size_t{t.rows} * t.heads * t.cols;
  if (n == 0) return cudaSuccess;
  switch (t.dtype) {
    case DType::kBF16: return fill_bits<std::uint16_t>(t.data, n, nan ? 0x7FC0 : 0, stream);
    case DType::kF16: return fill_bits<std::uint16_t>(t.data, n, nan ? 0x7E00 : 0, stream);
    case DType::kF32: return fill_bits<std::uint32_t>(t.data, n, nan ? 0x7FC00000u : 0u, stream);
    case DType::kF64: return fill_bits<std::uint64_t>(t.data, n, nan ? 0x7FF8000000000000ull : 0ull, stream);
  }
  return cudaErrorInvalidValue;
}

// dense_weight() of program/op_kind.cc, bit for bit: splitmix64 of (seed, i,
// j), u in [-1, 1), divided by root_in = sqrt(in_features) (computed on the
// host, as the reference does, so the quotient is the same double).
__device__ inline double dense_weight_at(std::uint32_t seed, std::uint64_t i, std::uint64_t j, double root_in) {
  std::uint64_t z = (std::uint64_t{seed} << 40) ^ (i * 0x9E3779B97F4A7C15ull) ^ (j * 0xC2B2AE3D27D4EB4Full);
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  const double u = static_cast<double>(z >> 11) * 0x1.0p-52 - 1.0;
  return u / root_in;
}

// w[i] = v rounded once, to nearest even, from double to the dtype (store()
// goes through float, which could round twice).
__device__ inline void store_rounded(void* w, DType dtype, std::size_t i, double v) {
  switch (dtype) {
    case DType::kBF16: static_cast<__nv_bfloat16*>(w)[i] = __double2bfloat16(v); return;
    case DType::kF16: static_cast<__half*>(w)[i] = __double2half(v); return;
    case DType::kF32: static_cast<float*>(w)[i] = static_cast<float>(v); return;
    case DType::kF64: static_cast<double*>(w)[i] = v; return;
  }
}

// w[i * in_features + j] = dense_weight(seed, i, j, in_features) for all
// `total` = out_features * in_features elements.
__global__ void dense_weights_kernel(void* w, DType dtype, std::uint32_t seed, std::uint64_t in_features,
                                     std::uint64_t total, double root_in) {
  const std::uint64_t stride = std::uint64_t{gridDim.x} * blockDim.x;
  std::uint64_t idx = std::uint64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  if (idx >= total) return;
  std::uint64_t i = idx / in_features, j = idx % in_features;
  const std::uint64_t step_i = stride / in_features, step_j = stride % in_features;
  for (; idx < total; idx += stride) {
    store_rounded(w, dtype, idx, dense_weight_at(seed, i, j, root_in));
    i += step_i;
    j += step_j;
    if (j >= in_features) {
      j -= in_features;
      ++i;
    }
  }
}

}  // namespace

// dst[r, h, c] = src[src_row[r], h + head_shift, c] for the dst heads h whose
// h + head_shift is a head of src (all of them under the Copy contract).
cudaError_t gather_rows(DevTensor src, DevTensor dst, const std::uint32_t* src_row, std::uint32_t head_shift,
                        cudaStream_t stream) {
  const HeadRange h = overlap(dst.heads, src.heads, head_shift);
  return move_rows({src, src_row, 0, h.begin + head_shift}, {dst, nullptr, 0, h.begin}, dst.rows,
                   std::size_t{h.end - h.begin} * dst.cols, false, stream);
}

// dst[dst_row[r], h + head_shift, c] += src[r, h, c] for the src heads h whose
// h + head_shift is a head of dst; distinct src rows reach distinct dst rows,
// so each element has one writer.
cudaError_t scatter_add_rows(DevTensor src, DevTensor dst, const std::uint32_t* dst_row, std::uint32_t head_shift,
                             cudaStream_t stream) {
  const HeadRange h = overlap(src.heads, dst.heads, head_shift);
  return move_rows({src, nullptr, 0, h.begin}, {dst, dst_row, 0, h.begin + head_shift}, src.rows,
                   std::size_t{h.end - h.begin} * src.cols, true, stream);
}

cudaError_t copy_window(DevTensor src, std::uint32_t src_row0, std::uint32_t src_head0, DevTensor dst,
                        std::uint32_t dst_row0, std::uint32_t dst_head0, std::uint32_t rows, std::uint32_t heads,
                        cudaStream_t stream) {
  return move_rows({src, nullptr, src_row0, src_head0}, {dst, nullptr, dst_row0, dst_head0}, rows,
                   std::size_t{heads} * src.cols, false, stream);
}

cudaError_t fill_nan(DevTensor t, cudaStream_t stream) { return fill(t, true, stream); }

cudaError_t fill_zero(DevTensor t, cudaStream_t stream) { return fill(t, false, stream); }

cudaError_t dense_weights(void* w, DType dtype, std::uint32_t seed, std::uint64_t out_features,
                          std::uint64_t in_features, cudaStream_t stream) {
  const std::uint64_t total = out_features * in_features;
  if (total == 0) return cudaSuccess;
  const double root_in = std::sqrt(static_cast<double>(in_features));
  dense_weights_kernel<<<grid_for(total, kBlock), kBlock, 0, stream>>>(w, dtype, seed, in_features, total, root_in);
  return cudaGetLastError();
}

}  // namespace spsim::cuda
