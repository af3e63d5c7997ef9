#pragma once
// The CUDA executor's state and steps (validate/replay.h's replay_program).
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
//
// The steps live in one file per concept: replayer.cc (set-up, a run, inputs
// and outputs), replayer_compute.cc (compute kernels and cuBLAS),
// replayer_comm.cc (NCCL and emulated communication), replayer_kernels.cc
// (kernels mode). Included by validate/cuda only.

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <nccl.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "program/comm_matching.h"
#include "program/program.h"
#include "validate/cuda/device_arena.h"
#include "validate/cuda/kernels.h"
#include "validate/launch_plan.h"
#include "validate/replay.h"

namespace spsim::cuda {

// The median of a list (0 for none).
double median(std::vector<double> v);

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

  ~Replayer();

  ReplayResult run();

 private:
  int gpu_of(RankId r) const { return o_.mode == ReplayMode::kMultiGpu ? static_cast<int>(o_.first_gpu + r) : static_cast<int>(o_.first_gpu); }

  static std::string gpu_name(int device);

  // ----- set-up -----

  void setup();

  static std::string gb(double bytes);

  cudaEvent_t make_event(int device, bool timing);

  void allocate_buffers();

  DevTensor tensor(BufferId id) const;

  DevPositions positions(BufferId id);

  void prepare_ops();

  void make_communicators();

  // ----- one run -----

  void run_once();

  cudaStream_t stream_of(OpId id) const { return streams_[plan_.ops[idx(id)].stream]; }

  void begin_op(OpId id);

  void end_op(OpId id);

  void load_inputs();

  void upload_values(BufferId id, const std::vector<double>& values);

  std::vector<double> download_values(BufferId id);

  std::map<Tensor, GlobalTensor> read_outputs();

  // ----- compute -----

  std::uint32_t q_per_kv() const { return p_.q_per_kv(); }

  void compute(OpId id, cudaStream_t s);

  // out[r] = W in[r]: column-major out^T (N x rows) = W (K x N stored, op T) in^T (K x rows).
  void dense(OpId id, cudaStream_t s);

  // din[r] = W^T dout[r]; and the weight gradient dW = dout^T in (its FLOPs
  // are the op's; its value stays in scratch).
  void dense_bwd(OpId id, cudaStream_t s);

  static void gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const void* a,
                   DType at, int lda, const void* b, DType bt, int ldb, void* c, DType ct, int ldc);

  // ----- communication -----

  // Staging copies of collective op `id` before (pack) or after (unpack) the transfer.
  void stage(OpId id, bool pack, cudaStream_t s);

  void* send_side(OpId id) const;
  void* recv_side(OpId id) const;

  void nccl_unit(const LaunchGroup& grp);

  cudaEvent_t scratch_event();

  // Emulated: every member's stream reaches the unit (arrival events), the
  // first member's stream moves the data, the others wait for it (done).
  void emulated_unit(const LaunchGroup& grp);

  void emulated_collective(const LaunchGroup& grp, cudaStream_t s);

  std::string kernel_of(OpId id) const;

  // ----- kernels mode -----

  // What makes two compute ops the same kernel launch: kind, flags, work and
  // the shape and dtype of every operand.
  std::string signature(OpId id) const;

  void time_kernels(ReplayResult& r);

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
  std::vector<std::vector<ncclComm_t>> nccl_;  // per communicator of the plan, per member
  std::map<std::pair<std::size_t, RankId>, int> nccl_rank_;
};

}  // namespace spsim::cuda
