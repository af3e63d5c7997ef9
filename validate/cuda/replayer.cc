// Set-up, one run and the inputs and outputs of the CUDA executor (replayer.h);
// replay_program() and the device queries of validate/replay.h.

#include "validate/cuda/replayer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "program/input_error.h"
#include "validate/cuda/cuda_check.h"
#include "validate/host_executor.h"

namespace spsim::cuda {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

Replayer::~Replayer() {
  for (auto& comms : nccl_)
    for (ncclComm_t x : comms) ncclCommDestroy(x);
  for (std::size_t g = 0; g < blas_.size(); ++g) {
    cudaSetDevice(static_cast<int>(g));
    cublasDestroy(blas_[g]);
  }
  for (auto& e : all_events_) cudaEventDestroy(e);
  for (auto& s : streams_) cudaStreamDestroy(s);
}

ReplayResult Replayer::run() {
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

std::string Replayer::gpu_name(int device) {
  cudaDeviceProp prop{};
  CUDA_OK(cudaGetDeviceProperties(&prop, device));
  return prop.name;
}

void Replayer::setup() {
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

std::string Replayer::gb(double bytes) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f GB", bytes / 1e9);
  return b;
}

cudaEvent_t Replayer::make_event(int device, bool timing) {
  CUDA_OK(cudaSetDevice(device));
  cudaEvent_t e = nullptr;
  CUDA_OK(cudaEventCreateWithFlags(&e, timing ? cudaEventDefault : cudaEventDisableTiming));
  all_events_.push_back(e);
  return e;
}

void Replayer::allocate_buffers() {
  root_.assign(p_.num_buffers(), nullptr);
  for (std::size_t i = 0; i < p_.num_buffers(); ++i) {
    const Buffer& b = p_.buffer(buffer_id(i));
    if (b.parent) continue;
    root_[i] = arena_.alloc(gpu_of(b.rank), b.bytes());
  }
}

DevTensor Replayer::tensor(BufferId id) const {
  const Buffer& b = p_.buffer(id);
  const Buffer& root = p_.buffer(p_.root(id));
  char* base = static_cast<char*>(root_[idx(p_.root(id))]);
  const std::size_t offset = std::size_t{b.row_offset} * root.heads * root.cols * dtype_bytes(root.dtype);
  return DevTensor{base + offset, b.dtype, b.rows, b.heads, b.cols, b.head_begin};
}

DevPositions Replayer::positions(BufferId id) {
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

void Replayer::prepare_ops() {
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

void Replayer::make_communicators() {
  nccl_.resize(plan_.comms.size());
  for (std::size_t c = 0; c < plan_.comms.size(); ++c) {
    const auto& ranks = plan_.comms[c].ranks;
    std::vector<int> devs;
    for (RankId r : ranks) devs.push_back(gpu_of(r));
    nccl_[c].resize(ranks.size());
    NCCL_OK(ncclCommInitAll(nccl_[c].data(), static_cast<int>(ranks.size()), devs.data()));
    for (std::size_t i = 0; i < ranks.size(); ++i) nccl_rank_[{c, ranks[i]}] = static_cast<int>(i);
  }
}

void Replayer::run_once() {
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

void Replayer::begin_op(OpId id) {
  CUDA_OK(cudaSetDevice(gpu_of(p_.op(id).rank)));
  const cudaStream_t s = stream_of(id);
  for (std::uint32_t e : plan_.waits_of(id)) CUDA_OK(cudaStreamWaitEvent(s, plan_events_[e], 0));
  CUDA_OK(cudaEventRecord(start_ev_[idx(id)], s));
}

void Replayer::end_op(OpId id) {
  CUDA_OK(cudaSetDevice(gpu_of(p_.op(id).rank)));
  const cudaStream_t s = stream_of(id);
  CUDA_OK(cudaEventRecord(end_ev_[idx(id)], s));
  if (const std::uint32_t e = plan_.ops[idx(id)].record; e != kNoEvent) CUDA_OK(cudaEventRecord(plan_events_[e], s));
}

void Replayer::load_inputs() {
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

void Replayer::upload_values(BufferId id, const std::vector<double>& values) {
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

std::vector<double> Replayer::download_values(BufferId id) {
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

std::map<Tensor, GlobalTensor> Replayer::read_outputs() {
  HostExecutor host(p_, m_);
  for (const Binding& b : p_.outputs()) host.set_buffer(b.buffer, download_values(b.buffer));
  return host.collect_outputs(*o_.inputs);
}

}  // namespace spsim::cuda

namespace spsim {

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
  cuda::Replayer r(program, matching, options);
  return r.run();
}

}  // namespace spsim

