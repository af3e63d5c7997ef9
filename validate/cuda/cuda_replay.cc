// The CUDA executor: replay_program() of validate/replay.h on real GPUs.
//
// Set-up (before any timed run): the launch plan; one CUDA stream per (rank,
// IR stream) on the rank's GPU; the plan's events; the memory estimate
// checked against each GPU's free memory before anything is allocated; every
// root buffer, the positions of each token layout, the host-computed row maps
// of gathers, scatters and score columns, the staging of collectives, the
// Dense weights (generated on the device from op_kind.h's hash); NCCL
// communicators (multi-gpu) and one cuBLAS handle per GPU.
//
// A run: every buffer poisoned (NaN) or zeroed (zero_init), the inputs
// loaded, a reference event per GPU, then the plan's groups issued in order:
// each op waits its events, is bracketed by timing events, and records its
// plan event. Communication units go to NCCL inside one
// ncclGroupStart/ncclGroupEnd (multi-gpu) or become device copies after a
// rendezvous of the members' streams (emulated).

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <nccl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "program/input_error.h"
#include "validate/cuda/kernels.h"
#include "validate/host_executor.h"
#include "validate/launch_plan.h"
#include "validate/replay.h"

namespace spsim {
namespace {

using cuda::DevPositions;
using cuda::DevTensor;

void cuda_ok(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string("CUDA: ") + what + ": " + cudaGetErrorString(e));
}
void nccl_ok(ncclResult_t e, const char* what) {
  if (e != ncclSuccess) throw std::runtime_error(std::string("NCCL: ") + what + ": " + ncclGetErrorString(e));
}
void cublas_ok(cublasStatus_t e, const char* what) {
  if (e != CUBLAS_STATUS_SUCCESS)
    throw std::runtime_error(std::string("cuBLAS: ") + what + ": status " + std::to_string(static_cast<int>(e)));
}
#define CUDA_OK(x) cuda_ok((x), #x)
#define NCCL_OK(x) nccl_ok((x), #x)
#define CUBLAS_OK(x) cublas_ok((x), #x)

ncclDataType_t nccl_type(DType t) {
  switch (t) {
    case DType::kF16: return ncclFloat16;
    case DType::kBF16: return ncclBfloat16;
    case DType::kF32: return ncclFloat32;
    case DType::kF64: return ncclFloat64;
  }
  return ncclFloat32;
}

cudaDataType_t blas_type(DType t) {
  switch (t) {
    case DType::kF16: return CUDA_R_16F;
    case DType::kBF16: return CUDA_R_16BF;
    case DType::kF32: return CUDA_R_32F;
    case DType::kF64: return CUDA_R_64F;
  }
  return CUDA_R_32F;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Device memory owned by the replay, freed on the right device.
class DeviceArena {
 public:
  ~DeviceArena() {
    for (auto& [dev, ptr] : blocks_) {
      cudaSetDevice(dev);
      cudaFree(ptr);
    }
  }
  void* alloc(int device, std::size_t bytes) {
    if (bytes == 0) bytes = 16;
    void* p = nullptr;
    CUDA_OK(cudaSetDevice(device));
    CUDA_OK(cudaMalloc(&p, bytes));
    blocks_.emplace_back(device, p);
    return p;
  }
  template <class T>
  T* upload(int device, const std::vector<T>& v) {
    T* p = static_cast<T*>(alloc(device, v.size() * sizeof(T)));
    if (!v.empty()) CUDA_OK(cudaMemcpy(p, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
    return p;
  }

 private:
  std::vector<std::pair<int, void*>> blocks_;
};

struct OpExtra {
  const std::uint32_t* map = nullptr;   // Copy / Accumulate rows; RSA key or value columns; DKFull/DVFull column rows
  const std::uint8_t* selected = nullptr;  // LinStateSum
  void* weights = nullptr;              // Dense / DenseBwd
  void* send_stage = nullptr;           // Collective
  void* recv_stage = nullptr;
  void* sum = nullptr;                  // emulated reductions
};

class Replayer {
 public:
  Replayer(const Program& p, const CommMatching& m, const ReplayOptions& o) : p_(p), m_(m), o_(o) {}

  ~Replayer() {
    for (auto& [c, comms] : nccl_)
      for (ncclComm_t x : comms) ncclCommDestroy(x);
    for (std::size_t g = 0; g < blas_.size(); ++g) {
      cudaSetDevice(static_cast<int>(g));
      cublasDestroy(blas_[g]);
    }
    for (auto& e : all_events_) cudaEventDestroy(e);
    for (auto& s : streams_) cudaStreamDestroy(s);
  }

  ReplayResult run() {
    setup();
    ReplayResult r;
    r.mode = o_.mode;
    r.repeats = o_.repeats;
    r.device_type = gpu_name(gpu_of(0));
    for (RankId k = 0; k < p_.num_ranks(); ++k)
      r.gpu_names.push_back(gpu_name(gpu_of(k)) + " (GPU " + std::to_string(gpu_of(k)) + ")");
    if (o_.mode == ReplayMode::kKernels) {
      time_kernels(r);
      return r;
    }
    std::vector<std::vector<double>> starts(p_.num_ops()), ends(p_.num_ops());
    std::vector<double> steps;
    for (std::uint32_t rep = 0; rep < o_.warmup + o_.repeats; ++rep) {
      run_once();
      if (rep < o_.warmup) continue;
      double step = 0;
      for (std::size_t i = 0; i < p_.num_ops(); ++i) {
        // The reference event of the op's GPU (ref_ is indexed from first_gpu).
        const cudaEvent_t ref = ref_[static_cast<std::size_t>(gpu_of(p_.op(op_id(i)).rank)) - o_.first_gpu];
        float a = 0, b = 0;
        CUDA_OK(cudaEventElapsedTime(&a, ref, start_ev_[i]));
        CUDA_OK(cudaEventElapsedTime(&b, ref, end_ev_[i]));
        starts[i].push_back(a * 1e-3);
        ends[i].push_back(b * 1e-3);
        step = std::max(step, b * 1e-3);
      }
      steps.push_back(step);
    }
    r.step_s = median(steps);
    for (std::size_t i = 0; i < p_.num_ops(); ++i) {
      const OpId id = op_id(i);
      r.ops.push_back({id, median(starts[i]), std::max(median(starts[i]), median(ends[i])), kernel_of(id),
                       static_cast<std::uint32_t>(gpu_of(p_.op(id).rank)), 1});
    }
    if (o_.inputs) r.outputs = read_outputs();
    return r;
  }

 private:
  int gpu_of(RankId r) const { return o_.mode == ReplayMode::kMultiGpu ? static_cast<int>(o_.first_gpu + r) : static_cast<int>(o_.first_gpu); }

  static std::string gpu_name(int device) {
    cudaDeviceProp prop{};
    CUDA_OK(cudaGetDeviceProperties(&prop, device));
    return prop.name;
  }

  // ----- set-up -----

  void setup() {
    int count = 0;
    CUDA_OK(cudaGetDeviceCount(&count));
    const std::uint32_t need = o_.mode == ReplayMode::kMultiGpu ? p_.num_ranks() : 1;
    if (o_.first_gpu + need > static_cast<std::uint32_t>(count))
      throw InputError("--mode " + std::string(replay_mode_name(o_.mode)),
                       "needs GPUs " + std::to_string(o_.first_gpu) + ".." + std::to_string(o_.first_gpu + need - 1) +
                           "; this machine has " + std::to_string(count) +
                           (o_.mode == ReplayMode::kMultiGpu ? " (emulated puts every rank on one GPU)" : ""));
    const std::vector<double> need_bytes = replay_gpu_memory_bytes(p_, m_, o_.mode);
    for (std::size_t g = 0; g < need_bytes.size(); ++g) {
      const int dev = static_cast<int>(o_.first_gpu + g);
      std::size_t free_b = 0, total_b = 0;
      CUDA_OK(cudaSetDevice(dev));
      CUDA_OK(cudaMemGetInfo(&free_b, &total_b));
      if (need_bytes[g] > 0.95 * static_cast<double>(free_b))
        throw InputError("--mode " + std::string(replay_mode_name(o_.mode)),
                         "the replay needs " + gb(need_bytes[g]) + " on GPU " + std::to_string(dev) + ", which has " +
                             gb(static_cast<double>(free_b)) + " free of " + gb(static_cast<double>(total_b)) +
                             "; lower --seq, --layers or --sp");
    }
    plan_ = make_launch_plan(p_, m_);
    const std::size_t S = p_.num_streams();
    for (std::uint32_t s = 0; s < plan_.num_streams; ++s) {
      CUDA_OK(cudaSetDevice(gpu_of(static_cast<RankId>(s / S))));
      cudaStream_t st = nullptr;
      CUDA_OK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
      streams_.push_back(st);
    }
    // Plan events live on the GPU of the op that records them.
    plan_events_.assign(plan_.num_events, nullptr);
    for (std::size_t i = 0; i < p_.num_ops(); ++i)
      if (const std::uint32_t e = plan_.ops[i].record; e != kNoEvent)
        plan_events_[e] = make_event(gpu_of(p_.op(op_id(i)).rank), false);
    if (o_.mode != ReplayMode::kKernels) {
      for (std::size_t i = 0; i < p_.num_ops(); ++i) {
        const int g = gpu_of(p_.op(op_id(i)).rank);
        start_ev_.push_back(make_event(g, true));
        end_ev_.push_back(make_event(g, true));
      }
    }
    const int gpus = o_.mode == ReplayMode::kMultiGpu ? static_cast<int>(p_.num_ranks()) : 1;
    for (int g = 0; g < gpus; ++g) ref_.push_back(make_event(static_cast<int>(o_.first_gpu) + g, true));
    int max_dev = 0;
    for (int g = 0; g < gpus; ++g) max_dev = std::max(max_dev, static_cast<int>(o_.first_gpu) + g);
    blas_.assign(static_cast<std::size_t>(max_dev) + 1, nullptr);
    for (int g = 0; g < gpus; ++g) {
      const int dev = static_cast<int>(o_.first_gpu) + g;
      CUDA_OK(cudaSetDevice(dev));
      CUBLAS_OK(cublasCreate(&blas_[static_cast<std::size_t>(dev)]));
    }
    allocate_buffers();
    prepare_ops();
    if (o_.mode == ReplayMode::kMultiGpu) make_communicators();
  }

  static std::string gb(double bytes) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2f GB", bytes / 1e9);
    return b;
  }

  cudaEvent_t make_event(int device, bool timing) {
    CUDA_OK(cudaSetDevice(device));
    cudaEvent_t e = nullptr;
    CUDA_OK(cudaEventCreateWithFlags(&e, timing ? cudaEventDefault : cudaEventDisableTiming));
    all_events_.push_back(e);
    return e;
  }

  void allocate_buffers() {
    root_.assign(p_.num_buffers(), nullptr);
    for (std::size_t i = 0; i < p_.num_buffers(); ++i) {
      const Buffer& b = p_.buffer(buffer_id(i));
      if (b.parent) continue;
      root_[i] = arena_.alloc(gpu_of(b.rank), b.bytes());
    }
  }

  DevTensor tensor(BufferId id) const {
    const Buffer& b = p_.buffer(id);
    const Buffer& root = p_.buffer(p_.root(id));
    char* base = static_cast<char*>(root_[idx(p_.root(id))]);
    const std::size_t offset = std::size_t{b.row_offset} * root.heads * root.cols * dtype_bytes(root.dtype);
    return DevTensor{base + offset, b.dtype, b.rows, b.heads, b.cols, b.head_begin};
  }

  DevPositions positions(BufferId id) {
    const Buffer& b = p_.buffer(id);
    if (!b.layout) throw ProgramError(p_.describe_buffer(id) + " has no token layout");
    const auto key = std::make_pair(static_cast<std::uint32_t>(idx(*b.layout)), gpu_of(b.rank));
    if (const auto it = pos_.find(key); it != pos_.end()) return it->second;
    const std::vector<TokenPos> rows = expand_layout(p_.layout(*b.layout));
    std::vector<std::uint32_t> seq(rows.size());
    std::vector<std::int64_t> pos(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      seq[r] = rows[r].seq;
      pos[r] = rows[r].pos;
    }
    const DevPositions d{arena_.upload(key.second, seq), arena_.upload(key.second, pos)};
    pos_.emplace(key, d);
    return d;
  }

  void prepare_ops() {
    extra_.assign(p_.num_ops(), {});
    std::map<std::tuple<int, std::uint32_t, std::uint64_t, std::uint64_t, DType>, void*> weights;
    for (std::size_t i = 0; i < p_.num_ops(); ++i) {
      const OpId id = op_id(i);
      const Op& o = p_.op(id);
      const auto ops = p_.operands(id);
      const int g = gpu_of(o.rank);
      OpExtra& x = extra_[i];
      auto up = [&](const std::vector<std::uint32_t>& v) { return arena_.upload(g, v); };
      switch (o.kind) {
        case OpKind::kCopy: x.map = up(gather_rows_map(p_, ops[0], ops[1])); break;
        case OpKind::kAccumulate: x.map = up(scatter_rows_map(p_, ops[0], ops[1])); break;
        case OpKind::kRsaScores: x.map = up(score_columns(p_, ops[2], ops[1])); break;
        case OpKind::kRsaProbsV:
        case OpKind::kRsaDProbs: x.map = up(score_columns(p_, o.kind == OpKind::kRsaProbsV ? ops[0] : ops[2], ops[1])); break;
        case OpKind::kRsaDQ: x.map = up(score_columns(p_, ops[0], ops[1])); break;
        case OpKind::kRsaDKFull:
        case OpKind::kRsaDVFull: x.map = up(score_column_rows(p_, ops[0], ops[2])); break;
        case OpKind::kLinStateSum: {
          const Buffer& gathered = p_.buffer(ops[0]);
          const Buffer& out = p_.buffer(ops[1]);
          const std::uint32_t members = out.rows ? gathered.rows / out.rows : 0;
          std::vector<std::uint8_t> sel(members);
          for (std::uint32_t j = 0; j < members; ++j)
            sel[j] = state_range_selects(static_cast<StateRange>(o.tag), o.peer, j) ? 1 : 0;
          x.selected = arena_.upload(g, sel);
          break;
        }
        case OpKind::kDense:
        case OpKind::kDenseBwd: {
          const Buffer& in = p_.buffer(ops[0]);
          const Buffer& out = p_.buffer(ops[1]);
          const std::uint64_t k = std::uint64_t{in.heads} * in.cols, n = std::uint64_t{out.heads} * out.cols;
          auto [it, fresh] = weights.try_emplace({g, o.tag, n, k, in.dtype}, nullptr);
          if (fresh) {
            it->second = arena_.alloc(g, n * k * dtype_bytes(in.dtype));
            CUDA_OK(cuda::dense_weights(it->second, in.dtype, o.tag, n, k, nullptr));
          }
          x.weights = it->second;
          if (o.kind == OpKind::kDenseBwd) {
            const std::size_t bytes = n * k * dtype_bytes(in.dtype);
            if (bytes > dw_bytes_[g]) {
              dw_[g] = arena_.alloc(g, bytes);
              dw_bytes_[g] = bytes;
            }
          }
          break;
        }
        case OpKind::kCollective: {
          const CollectivePacking c = collective_packing(p_, m_, id);
          const Buffer& in = p_.buffer(ops[0]);
          const std::size_t eb = dtype_bytes(in.dtype);
          if (c.send_staged) x.send_stage = arena_.alloc(g, c.send_part_elements(in.cols) * c.parts * eb);
          if (c.recv_staged) x.recv_stage = arena_.alloc(g, c.recv_part_elements(in.cols) * c.parts * eb);
          const CollectiveKind k = CollectiveSpec::decode(o.tag).kind;
          if (o_.mode == ReplayMode::kEmulated && (k == CollectiveKind::kAllReduce || k == CollectiveKind::kReduceScatter))
            x.sum = arena_.alloc(g, c.recv_part_elements(in.cols) * c.parts * eb);
          packing_.emplace(i, c);
          break;
        }
        default: break;
      }
      // Positions uploaded now, not during a timed run.
      if (op_kind_info(o.kind).category != OpCategory::kComm)
        for (BufferId b : ops)
          if (p_.buffer(b).layout) positions(b);
    }
    CUDA_OK(cudaDeviceSynchronize());
  }

  void make_communicators() {
    nccl_.resize(plan_.comms.size());
    for (std::size_t c = 0; c < plan_.comms.size(); ++c) {
      const auto& ranks = plan_.comms[c].ranks;
      std::vector<int> devs;
      for (RankId r : ranks) devs.push_back(gpu_of(r));
      nccl_[c].first = c;
      nccl_[c].second.resize(ranks.size());
      NCCL_OK(ncclCommInitAll(nccl_[c].second.data(), static_cast<int>(ranks.size()), devs.data()));
      for (std::size_t i = 0; i < ranks.size(); ++i) nccl_rank_[{c, ranks[i]}] = static_cast<int>(i);
    }
  }

  // ----- one run -----

  void run_once() {
    for (std::size_t i = 0; i < p_.num_buffers(); ++i) {
      const Buffer& b = p_.buffer(buffer_id(i));
      if (b.parent) continue;
      const DevTensor t = tensor(buffer_id(i));
      CUDA_OK(cudaSetDevice(gpu_of(b.rank)));
      CUDA_OK(b.zero_init ? cuda::fill_zero(t, nullptr) : cuda::fill_nan(t, nullptr));
    }
    load_inputs();
    for (std::size_t g = 0; g < ref_.size(); ++g) {
      CUDA_OK(cudaSetDevice(static_cast<int>(o_.first_gpu + g)));
      CUDA_OK(cudaDeviceSynchronize());
    }
    for (std::size_t g = 0; g < ref_.size(); ++g) {
      CUDA_OK(cudaSetDevice(static_cast<int>(o_.first_gpu + g)));
      CUDA_OK(cudaEventRecord(ref_[g], nullptr));
    }
    for (const LaunchGroup& grp : plan_.order) {
      const Op& first = p_.op(grp.ops[0]);
      if (op_kind_info(first.kind).category != OpCategory::kComm) {
        begin_op(grp.ops[0]);
        compute(grp.ops[0], stream_of(grp.ops[0]));
        end_op(grp.ops[0]);
      } else if (o_.mode == ReplayMode::kMultiGpu) {
        nccl_unit(grp);
      } else {
        emulated_unit(grp);
      }
    }
    for (std::size_t g = 0; g < ref_.size(); ++g) {
      CUDA_OK(cudaSetDevice(static_cast<int>(o_.first_gpu + g)));
      CUDA_OK(cudaDeviceSynchronize());
    }
  }

  cudaStream_t stream_of(OpId id) const { return streams_[plan_.ops[idx(id)].stream]; }

  void begin_op(OpId id) {
    CUDA_OK(cudaSetDevice(gpu_of(p_.op(id).rank)));
    const cudaStream_t s = stream_of(id);
    for (std::uint32_t e : plan_.waits_of(id)) CUDA_OK(cudaStreamWaitEvent(s, plan_events_[e], 0));
    CUDA_OK(cudaEventRecord(start_ev_[idx(id)], s));
  }

  void end_op(OpId id) {
    CUDA_OK(cudaSetDevice(gpu_of(p_.op(id).rank)));
    const cudaStream_t s = stream_of(id);
    CUDA_OK(cudaEventRecord(end_ev_[idx(id)], s));
    if (const std::uint32_t e = plan_.ops[idx(id)].record; e != kNoEvent) CUDA_OK(cudaEventRecord(plan_events_[e], s));
  }

  void load_inputs() {
    if (!o_.inputs) {
      // Timing replays: every input-bound buffer random.
      for (const Binding& b : p_.inputs()) {
        CUDA_OK(cudaSetDevice(gpu_of(p_.buffer(b.buffer).rank)));
        CUDA_OK(cuda::fill_random(tensor(b.buffer), o_.seed + idx(b.buffer), nullptr));
      }
      return;
    }
    // The host executor binds the global tensors to buffers (by position and head).
    HostExecutor host(p_, m_);
    host.load_inputs(*o_.inputs);
    for (const Binding& b : p_.inputs()) upload_values(b.buffer, host.buffer(b.buffer));
  }

  void upload_values(BufferId id, const std::vector<double>& values) {
    const DevTensor t = tensor(id);
    std::vector<double> staged(values);
    void* tmp = nullptr;
    const int g = gpu_of(p_.buffer(id).rank);
    CUDA_OK(cudaSetDevice(g));
    CUDA_OK(cudaMalloc(&tmp, staged.size() * sizeof(double)));
    CUDA_OK(cudaMemcpy(tmp, staged.data(), staged.size() * sizeof(double), cudaMemcpyHostToDevice));
    const DevTensor src{tmp, DType::kF64, t.rows, t.heads, t.cols, t.head_begin};
    CUDA_OK(cuda::copy_window(src, 0, 0, t, 0, 0, t.rows, t.heads, nullptr));
    CUDA_OK(cudaDeviceSynchronize());
    CUDA_OK(cudaFree(tmp));
  }

  std::vector<double> download_values(BufferId id) {
    const DevTensor t = tensor(id);
    const std::size_t n = std::size_t{t.rows} * t.heads * t.cols;
    void* tmp = nullptr;
    CUDA_OK(cudaSetDevice(gpu_of(p_.buffer(id).rank)));
    CUDA_OK(cudaMalloc(&tmp, std::max<std::size_t>(n, 1) * sizeof(double)));
    const DevTensor dst{tmp, DType::kF64, t.rows, t.heads, t.cols, t.head_begin};
    CUDA_OK(cuda::copy_window(t, 0, 0, dst, 0, 0, t.rows, t.heads, nullptr));
    std::vector<double> v(n);
    CUDA_OK(cudaMemcpy(v.data(), tmp, n * sizeof(double), cudaMemcpyDeviceToHost));
    CUDA_OK(cudaFree(tmp));
    return v;
  }

  std::map<Tensor, GlobalTensor> read_outputs() {
    HostExecutor host(p_, m_);
    for (const Binding& b : p_.outputs()) host.set_buffer(b.buffer, download_values(b.buffer));
    return host.collect_outputs(*o_.inputs);
  }

  // ----- compute -----

  std::uint32_t q_per_kv() const { return p_.q_per_kv(); }

  void compute(OpId id, cudaStream_t s) {
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

  // out[r] = W in[r]: column-major out^T (N x rows) = W (K x N stored, op T) in^T (K x rows).
  void dense(OpId id, cudaStream_t s) {
    const auto b = p_.operands(id);
    const DevTensor in = tensor(b[0]), out = tensor(b[1]);
    const int k = static_cast<int>(in.heads * in.cols), n = static_cast<int>(out.heads * out.cols);
    const int rows = static_cast<int>(in.rows);
    cublasHandle_t h = blas_[static_cast<std::size_t>(gpu_of(p_.op(id).rank))];
    CUBLAS_OK(cublasSetStream(h, s));
    gemm(h, CUBLAS_OP_T, CUBLAS_OP_N, n, rows, k, extra_[idx(id)].weights, in.dtype, k, in.data, in.dtype, k, out.data,
         out.dtype, n);
  }

  // din[r] = W^T dout[r]; and the weight gradient dW = dout^T in (its FLOPs
  // are the op's; its value stays in scratch).
  void dense_bwd(OpId id, cudaStream_t s) {
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

  static void gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const void* a,
                   DType at, int lda, const void* b, DType bt, int ldb, void* c, DType ct, int ldc) {
    const bool f64 = at == DType::kF64;
    const double one_d = 1, zero_d = 0;
    const float one_f = 1, zero_f = 0;
    CUBLAS_OK(cublasGemmEx(h, ta, tb, m, n, k, f64 ? static_cast<const void*>(&one_d) : &one_f, a, blas_type(at), lda,
                           b, blas_type(bt), ldb, f64 ? static_cast<const void*>(&zero_d) : &zero_f, c, blas_type(ct),
                           ldc, f64 ? CUBLAS_COMPUTE_64F : CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  }

  // ----- communication -----

  // Staging copies of collective op `id` before (pack) or after (unpack) the transfer.
  void stage(OpId id, bool pack, cudaStream_t s) {
    const auto it = packing_.find(idx(id));
    const CollectivePacking& c = it->second;
    const auto b = p_.operands(id);
    const DevTensor in = tensor(b[0]), out = tensor(b[1]);
    const OpExtra& x = extra_[idx(id)];
    const std::size_t eb = dtype_bytes(in.dtype);
    for (const Window& w : pack ? c.pack : c.unpack) {
      if (pack) {
        char* base = static_cast<char*>(x.send_stage) + w.part * c.send_part_elements(in.cols) * eb;
        const DevTensor part{base, in.dtype, c.send_part_rows, c.send_part_heads, in.cols, 0};
        CUDA_OK(cuda::copy_window(in, w.src_row0, w.src_head0, part, w.dst_row0, w.dst_head0, w.rows, w.heads, s));
      } else {
        char* base = static_cast<char*>(x.recv_stage) + w.part * c.recv_part_elements(in.cols) * eb;
        const DevTensor part{base, out.dtype, c.recv_part_rows, c.recv_part_heads, out.cols, 0};
        CUDA_OK(cuda::copy_window(part, w.src_row0, w.src_head0, out, w.dst_row0, w.dst_head0, w.rows, w.heads, s));
      }
    }
  }

  void* send_side(OpId id) const {
    const OpExtra& x = extra_[idx(id)];
    return x.send_stage ? x.send_stage : tensor(p_.operands(id)[0]).data;
  }
  void* recv_side(OpId id) const {
    const OpExtra& x = extra_[idx(id)];
    return x.recv_stage ? x.recv_stage : tensor(p_.operands(id)[1]).data;
  }

  void nccl_unit(const LaunchGroup& grp) {
    const Op& first = p_.op(grp.ops[0]);
    for (OpId id : grp.ops) {
      begin_op(id);
      if (first.kind == OpKind::kCollective) stage(id, true, stream_of(id));
    }
    NCCL_OK(ncclGroupStart());
    for (OpId id : grp.ops) {
      const Op& o = p_.op(id);
      const std::uint32_t c = plan_.ops[idx(id)].comm;
      ncclComm_t comm = nccl_[c].second[static_cast<std::size_t>(nccl_rank_.at({c, o.rank}))];
      const cudaStream_t s = stream_of(id);
      const auto b = p_.operands(id);
      if (o.kind == OpKind::kSend || o.kind == OpKind::kRecv) {
        const int peer = nccl_rank_.at({c, o.peer});
        for (BufferId buf : b) {
          const DevTensor t = tensor(buf);
          const std::size_t bytes = p_.buffer(buf).bytes();
          if (o.kind == OpKind::kSend) NCCL_OK(ncclSend(t.data, bytes, ncclChar, peer, comm, s));
          else NCCL_OK(ncclRecv(t.data, bytes, ncclChar, peer, comm, s));
        }
        continue;
      }
      const CollectiveSpec spec = CollectiveSpec::decode(o.tag);
      const CollectivePacking& pk = packing_.at(idx(id));
      const DevTensor in = tensor(b[0]);
      const ncclDataType_t dt = nccl_type(in.dtype);
      const std::size_t send_part = pk.send_part_elements(in.cols), recv_part = pk.recv_part_elements(in.cols);
      const std::size_t eb = dtype_bytes(in.dtype);
      char* sp = static_cast<char*>(send_side(id));
      char* rp = static_cast<char*>(recv_side(id));
      switch (spec.kind) {
        case CollectiveKind::kAllGather: NCCL_OK(ncclAllGather(sp, rp, recv_part, dt, comm, s)); break;
        case CollectiveKind::kReduceScatter: NCCL_OK(ncclReduceScatter(sp, rp, send_part, dt, ncclSum, comm, s)); break;
        case CollectiveKind::kAllReduce:
          NCCL_OK(ncclAllReduce(sp, rp, p_.buffer(b[0]).elements(), dt, ncclSum, comm, s));
          break;
        case CollectiveKind::kBroadcast:
          NCCL_OK(ncclBroadcast(sp, rp, p_.buffer(b[1]).elements(), dt, static_cast<int>(spec.root), comm, s));
          break;
        case CollectiveKind::kAllToAll:
          for (std::uint32_t j = 0; j < pk.parts; ++j) {
            NCCL_OK(ncclSend(sp + j * send_part * eb, send_part, dt, static_cast<int>(j), comm, s));
            NCCL_OK(ncclRecv(rp + j * recv_part * eb, recv_part, dt, static_cast<int>(j), comm, s));
          }
          break;
      }
    }
    NCCL_OK(ncclGroupEnd());
    for (OpId id : grp.ops) {
      if (first.kind == OpKind::kCollective) stage(id, false, stream_of(id));
      end_op(id);
    }
  }

  cudaEvent_t scratch_event() {
    if (scratch_next_ == scratch_events_.size()) scratch_events_.push_back(make_event(static_cast<int>(o_.first_gpu), false));
    return scratch_events_[scratch_next_++];
  }

  // Emulated: every member's stream reaches the unit (arrival events), the
  // first member's stream moves the data, the others wait for it (done).
  void emulated_unit(const LaunchGroup& grp) {
    const Op& first = p_.op(grp.ops[0]);
    const cudaStream_t exec = stream_of(grp.ops[0]);
    for (OpId id : grp.ops) {
      begin_op(id);
      if (first.kind == OpKind::kCollective) stage(id, true, stream_of(id));
      if (id != grp.ops[0]) {
        const cudaEvent_t arrived = scratch_event();
        CUDA_OK(cudaEventRecord(arrived, stream_of(id)));
        CUDA_OK(cudaStreamWaitEvent(exec, arrived, 0));
      }
    }
    if (first.kind == OpKind::kSend || first.kind == OpKind::kRecv) {
      const OpId send = first.kind == OpKind::kSend ? grp.ops[0] : grp.ops[1];
      const OpId recv = m_.partner(send);
      const auto sb = p_.operands(send), rb = p_.operands(recv);
      for (std::size_t k = 0; k < sb.size(); ++k)
        CUDA_OK(cudaMemcpyAsync(tensor(rb[k]).data, tensor(sb[k]).data, p_.buffer(sb[k]).bytes(),
                                cudaMemcpyDeviceToDevice, exec));
    } else {
      emulated_collective(grp, exec);
    }
    const cudaEvent_t done = scratch_event();
    CUDA_OK(cudaEventRecord(done, exec));
    for (OpId id : grp.ops) {
      if (id != grp.ops[0]) CUDA_OK(cudaStreamWaitEvent(stream_of(id), done, 0));
      if (first.kind == OpKind::kCollective) stage(id, false, stream_of(id));
      end_op(id);
    }
    scratch_next_ = 0;  // events may be re-recorded: every wait above was issued
  }

  void emulated_collective(const LaunchGroup& grp, cudaStream_t s) {
    const std::size_t n = grp.ops.size();
    // Members in group order (the instance's order).
    const auto members = m_.members(m_.instance(grp.ops[0]));
    const Op& o = p_.op(members[0]);
    const CollectiveSpec spec = CollectiveSpec::decode(o.tag);
    const CollectivePacking& pk = packing_.at(idx(members[0]));
    const DevTensor in0 = tensor(p_.operands(members[0])[0]);
    const std::size_t eb = dtype_bytes(in0.dtype);
    const std::size_t sp = pk.send_part_elements(in0.cols) * eb, rp = pk.recv_part_elements(in0.cols) * eb;
    auto send = [&](std::size_t j) { return static_cast<char*>(send_side(members[j])); };
    auto recv = [&](std::size_t j) { return static_cast<char*>(recv_side(members[j])); };
    auto copy = [&](void* d, const void* from, std::size_t bytes) {
      CUDA_OK(cudaMemcpyAsync(d, from, bytes, cudaMemcpyDeviceToDevice, s));
    };
    switch (spec.kind) {
      case CollectiveKind::kAllGather:
        for (std::size_t i = 0; i < n; ++i)
          for (std::size_t j = 0; j < n; ++j) copy(recv(i) + j * rp, send(j), rp);
        break;
      case CollectiveKind::kAllToAll:
        for (std::size_t i = 0; i < n; ++i)
          for (std::size_t j = 0; j < n; ++j) copy(recv(i) + j * rp, send(j) + i * sp, rp);
        break;
      case CollectiveKind::kBroadcast: {
        const std::size_t bytes = p_.buffer(p_.operands(members[0])[1]).bytes();
        for (std::size_t i = 0; i < n; ++i)
          if (i != spec.root) copy(recv(i), send(spec.root), bytes);
        if (recv(spec.root) != send(spec.root)) copy(recv(spec.root), send(spec.root), bytes);
        break;
      }
      case CollectiveKind::kAllReduce:
      case CollectiveKind::kReduceScatter: {
        // Sums into a temporary first (an all-reduce may be in place).
        char* sum = static_cast<char*>(extra_[idx(members[0])].sum);
        const bool all = spec.kind == CollectiveKind::kAllReduce;
        const std::size_t bytes = all ? p_.buffer(p_.operands(members[0])[0]).bytes() : sp;
        const std::size_t parts = all ? 1 : n;
        for (std::size_t part = 0; part < parts; ++part) {
          char* dst = sum + part * bytes;
          copy(dst, send(0) + part * bytes, bytes);
          for (std::size_t j = 1; j < n; ++j) CUDA_OK(cuda::add_into(dst, send(j) + part * bytes, in0.dtype, bytes / eb, s));
        }
        for (std::size_t i = 0; i < n; ++i) copy(recv(i), sum + (all ? 0 : i * bytes), bytes);
        break;
      }
    }
  }

  std::string kernel_of(OpId id) const {
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

  // ----- kernels mode -----

  // What makes two compute ops the same kernel launch: kind, flags, work and
  // the shape and dtype of every operand.
  std::string signature(OpId id) const {
    const Op& o = p_.op(id);
    std::string s = std::string(op_kind_name(o.kind)) + "/" + std::to_string(o.flags) + "/" + std::to_string(o.work);
    for (BufferId b : p_.operands(id)) {
      const Buffer& x = p_.buffer(b);
      s += "/" + std::to_string(x.rows) + "x" + std::to_string(x.heads) + "x" + std::to_string(x.cols) +
           std::string(dtype_name(x.dtype));
    }
    return s;
  }

  void time_kernels(ReplayResult& r) {
    std::map<std::string, std::pair<OpId, std::uint32_t>> distinct;  // signature -> first op, count
    for (std::size_t i = 0; i < p_.num_ops(); ++i) {
      const OpId id = op_id(i);
      if (op_kind_info(p_.op(id).kind).category == OpCategory::kComm) continue;
      auto [it, fresh] = distinct.try_emplace(signature(id), id, 0);
      ++it->second.second;
    }
    cudaDeviceProp prop{};
    CUDA_OK(cudaGetDeviceProperties(&prop, static_cast<int>(o_.first_gpu)));
    const double l2 = static_cast<double>(prop.l2CacheSize);
    CUDA_OK(cudaSetDevice(static_cast<int>(o_.first_gpu)));
    cudaStream_t s = streams_[0];
    const cudaEvent_t a = make_event(static_cast<int>(o_.first_gpu), true), b = make_event(static_cast<int>(o_.first_gpu), true);
    std::vector<std::pair<OpId, std::uint32_t>> ops;
    for (const auto& [sig, v] : distinct) ops.push_back(v);
    std::sort(ops.begin(), ops.end());
    for (const auto& [id, count] : ops) {
      // Copies of the op's root buffers so that consecutive repeats read
      // different memory: as many as fill twice the L2, at most 8.
      std::vector<BufferId> roots;
      double bytes = 0;
      for (BufferId x : p_.operands(id))
        if (std::find(roots.begin(), roots.end(), p_.root(x)) == roots.end()) {
          roots.push_back(p_.root(x));
          bytes += static_cast<double>(p_.buffer(p_.root(x)).bytes());
        }
      const std::uint32_t copies = static_cast<std::uint32_t>(std::clamp(std::ceil(2 * l2 / std::max(bytes, 1.0)), 1.0, 8.0));
      std::vector<std::vector<void*>> sets(copies);
      DeviceArena local;
      for (std::uint32_t c = 0; c < copies; ++c)
        for (BufferId root : roots) {
          void* ptr = c == 0 ? root_[idx(root)] : local.alloc(static_cast<int>(o_.first_gpu), p_.buffer(root).bytes());
          sets[c].push_back(ptr);
          const Buffer& rb = p_.buffer(root);
          CUDA_OK(cuda::fill_random(DevTensor{ptr, rb.dtype, rb.rows, rb.heads, rb.cols, rb.head_begin},
                                    o_.seed + idx(root) + c, s));
        }
      std::vector<double> times;
      for (std::uint32_t rep = 0; rep < o_.warmup + o_.repeats; ++rep) {
        for (std::size_t k = 0; k < roots.size(); ++k) root_[idx(roots[k])] = sets[rep % copies][k];
        CUDA_OK(cudaEventRecord(a, s));
        compute(id, s);
        CUDA_OK(cudaEventRecord(b, s));
        CUDA_OK(cudaEventSynchronize(b));
        float ms = 0;
        CUDA_OK(cudaEventElapsedTime(&ms, a, b));
        if (rep >= o_.warmup) times.push_back(ms * 1e-3);
      }
      for (std::size_t k = 0; k < roots.size(); ++k) root_[idx(roots[k])] = sets[0][k];
      r.ops.push_back({id, 0.0, median(times), kernel_of(id), o_.first_gpu, count});
    }
  }

  const Program& p_;
  const CommMatching& m_;
  ReplayOptions o_;
  LaunchPlan plan_;
  DeviceArena arena_;
  std::vector<cudaStream_t> streams_;
  std::vector<cudaEvent_t> all_events_, plan_events_, start_ev_, end_ev_, ref_, scratch_events_;
  std::size_t scratch_next_ = 0;
  std::vector<void*> root_;
  std::map<std::pair<std::uint32_t, int>, DevPositions> pos_;
  std::vector<OpExtra> extra_;
  std::map<std::size_t, CollectivePacking> packing_;
  std::map<int, void*> dw_;
  std::map<int, std::size_t> dw_bytes_;
  std::vector<cublasHandle_t> blas_;
  std::vector<std::pair<std::size_t, std::vector<ncclComm_t>>> nccl_;
  std::map<std::pair<std::size_t, RankId>, int> nccl_rank_;
};

}  // namespace

std::optional<std::string> replay_unavailable_reason() {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) return std::string("no CUDA device: ") + cudaGetErrorString(e);
  if (count == 0) return std::string("no CUDA device on this machine");
  return std::nullopt;
}

std::uint32_t cuda_device_count() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0 ? static_cast<std::uint32_t>(count) : 0;
}

ReplayResult replay_program(const Program& program, const CommMatching& matching, const ReplayOptions& options) {
  if (const auto why = replay_unavailable_reason()) throw ReplayUnavailable(*why);
  Replayer r(program, matching, options);
  return r.run();
}

}  // namespace spsim
