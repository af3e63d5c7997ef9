#pragma once
// Reader of PyTorch profiler (Kineto) traces: the Chrome-trace JSON that
// torch.profiler's export_chrome_trace / tensorboard_trace_handler writes,
// plain or gzipped (.json.gz, recognized by its magic bytes, not its name).
// It gives the GPU work of a measured run — kernels, memcpys, memsets with
// device, stream, start and duration — each classified (attention forward /
// backward, GEMM, NCCL collective or point-to-point, other communication,
// copy, memset, other) and, where the trace records them, with the shapes of
// the CPU op that launched it (attention B/H/S/D, GEMM M/N/K) or the NCCL
// metadata of the collective (element counts, dtype, group).
//
// Format (libkineto output_json.cpp, ChromeTraceLogger; PyTorch
// torch/csrc/profiler/util.cpp for the CPU ops' args):
// - a top-level object; "traceEvents" (required) an array; optional
//   "baseTimeNanoseconds" (the epoch time, ns, that every "ts" is relative
//   to), "deviceProperties" [{id, name, totalGlobalMem, numSms, computeMajor,
//   computeMinor, ...}], "distributedInfo" {backend, rank, world_size,
//   nccl_version, pg_config, ...}; Kineto adds many other top-level keys
//   (schemaVersion, traceName, metadata, cupti_version, ...), all accepted;
// - complete events "ph":"X" with "ts" and "dur" in µs (numbers, written as
//   "{}.{:03}"). GPU events: "cat" "kernel" / "gpu_memcpy" / "gpu_memset",
//   "pid" the device, "tid" the stream, args "device", "stream",
//   "correlation", "External id" (only when the activity is linked to a CPU
//   op), "grid", "block", and on NCCL kernels launched under
//   record_param_comms (PyTorch >= 2.3) its "Collective name", "In msg
//   nelems", "Out msg nelems", "Group size", "dtype", "Process Group Ranks",
//   "Src Rank" / "Dst Rank". CPU ops "cat":"cpu_op" with args "External id",
//   "Input Dims", "Input type", "Concrete Inputs". Launches "cat"
//   "cuda_runtime" / "cuda_driver" with args "correlation" (the kernel's) and
//   "External id" (the CPU op's);
// - everything else (flows "s"/"f", metadata "M", instants "i",
//   python_function, user_annotation, ...) is skipped; only cpu_op events are
//   counted.
//
// Kernel -> CPU op: the kernel's own "External id", else the one of the
// launch event with the kernel's "correlation"; the CPU op(s) with that
// External id. Of several (nested ops sharing an id), the innermost one (the
// latest "ts") that has "Input Dims" names the kernel's cpu_op, and the
// innermost op whose shapes can be read gives its shapes.
//
// Bad input is an InputError naming the file, or "<where>: event N" (N the
// index in traceEvents) and the key: not JSON, no "traceEvents", more than
// kMaxKinetoEvents events, a GPU event without a string "name", a number "ts"
// and a non-negative number "dur", or without an integer "correlation",
// device and stream; a wrong type where a value is read (an "External id"
// that is not an integer, "Input Dims" that are not arrays of non-negative
// integers, ...). What a trace does not record is left unset (std::nullopt,
// empty), never guessed.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "program/input_file.h"
#include "program/op_kind.h"
#include "traces/gzip.h"

namespace spsim {

// Bounds the work of one trace (a profiling window of a training step has
// 10^4..10^6 events).
inline constexpr std::size_t kMaxKinetoEvents = std::size_t{1} << 24;

enum class KernelClass : std::uint8_t {
  kAttentionFwd,   // flash / memory-efficient / cuDNN fused attention forward
  kAttentionBwd,   // their backward, helper kernels included (flash_bwd_dot_do_o, convert_dq)
  kGemm,           // cuBLAS / cuBLASLt / CUTLASS matrix multiplies (not convolutions)
  kCollective,     // an NCCL collective (CommInfo::collective set when spsim has the kind)
  kPointToPoint,   // NCCL send / recv / SendRecv (not an all-to-all)
  kCommunication,  // other communication, never compute: kernels without the nccl prefix
                   // (PyTorch symmetric memory, custom all-reduces; CommInfo::collective set
                   // when the name says which), NCCL kernels of an operation neither the name
                   // nor the metadata says ("ncclDevKernel_Generic")
  kCopy,           // gpu_memcpy events and copy kernels
  kMemset,         // gpu_memset events
  kOther,          // everything else (counted in KinetoTrace::unclassified)
};

// "attention_fwd", "attention_bwd", "gemm", "collective", "p2p",
// "communication", "copy", "memset", "other".
std::string_view kernel_class_name(KernelClass kind);

// The class of a "kernel" event by its name alone (the rule table in
// kineto.cc). The reader refines it with the linked CPU op (a GEMM kernel a
// convolution launched is kOther) and the NCCL metadata (a SendRecv kernel
// of an all_to_all is kCollective).
KernelClass classify_kernel_name(std::string_view name);

// An attention call's shape, from the CPU op's "Input Dims" of q, k, v.
struct AttentionShape {
  std::int64_t batch = 0, heads_q = 0, heads_kv = 0, seq_q = 0, seq_k = 0, head_dim = 0, head_dim_v = 0;
  bool causal = false;  // from "Concrete Inputs" (is_causal, or custom_mask_type != 0)
  std::string dtype;    // of q: "bf16", "fp16", "fp32", "fp64", "fp8_e4m3", "fp8_e5m2"; else
                        // the recorded "Input type"; "" when not recorded
};

// A matrix multiply out[batch, m, n] = a[batch, m, k] b[batch, k, n].
struct GemmShape {
  std::int64_t batch = 1, m = 0, n = 0, k = 0;
  std::string dtype;  // as AttentionShape::dtype, of the first matrix operand
};

// NCCL metadata as PyTorch records it (record_param_comms), and the
// operation the kernel's name says.
struct CommInfo {
  std::optional<CollectiveKind> collective;  // nullopt: point-to-point, or an operation without a
                                             // CollectiveKind (Reduce, gather, barrier, unknown)
  std::string name;                          // "Collective name" as recorded ("allreduce", "send",
                                             // "all_to_all", ...); "" when not recorded
  std::int64_t in_elements = 0, out_elements = 0;  // "In msg nelems" / "Out msg nelems"
  std::string dtype;                         // as recorded: "Float", "BFloat16", "Half", "Long", ...
  std::int64_t element_bytes = 0;            // of dtype; 0 when dtype is unknown or not recorded
  std::uint32_t group_size = 0;              // 0 when not recorded
  std::vector<std::int64_t> group_ranks;     // global ranks of the group; empty when not recorded
                                             // or truncated (PyTorch shortens lists of > 30)
  bool group_ranks_truncated = false;        // "[0, 1, ..., 63]" was recorded
  std::optional<std::int64_t> src_rank, dst_rank;  // point-to-point peers (global ranks)
};

// One GPU event: a kernel, a memcpy or a memset.
struct KinetoKernel {
  std::string name;
  std::int64_t device = 0, stream = 0;
  double start_us = 0;     // "ts" as in the file (µs, relative to base_time_ns when present)
  double duration_us = 0;  // "dur", >= 0
  std::uint64_t correlation = 0;
  std::optional<std::int64_t> external_id;  // of the linked CPU op (own or via the launch)
  KernelClass kind = KernelClass::kOther;
  std::string cpu_op;                        // name of the linked CPU op, "" if none
  std::optional<AttentionShape> attention;   // attention kernels whose CPU op has the shapes
  std::optional<GemmShape> gemm;             // GEMM kernels whose CPU op has the shapes
  std::optional<CommInfo> comm;              // kCollective, kPointToPoint, kCommunication
};

struct KinetoDevice {
  std::int64_t id = 0;
  std::string name;  // "NVIDIA H100 80GB HBM3"
  std::int64_t num_sms = 0;
  double memory_bytes = 0;  // totalGlobalMem
  int compute_major = 0, compute_minor = 0;
};

struct KinetoTrace {
  std::vector<KinetoKernel> kernels;  // every GPU event, sorted by (start_us, device, stream, correlation)
  std::vector<KinetoDevice> devices;  // deviceProperties, in file order
  std::optional<std::int64_t> rank, world_size;  // distributedInfo
  std::string backend, nccl_version;             // distributedInfo; "" when absent
  std::optional<std::int64_t> base_time_ns;      // baseTimeNanoseconds
  // Names of the kOther kernels -> how many. A name is cut at its first '('
  // that does not open "(anonymous namespace)" (the argument list, usually),
  // then to 120 characters.
  std::map<std::string, std::size_t> unclassified;
  std::size_t cpu_ops = 0;  // "cat":"cpu_op" events
  // "dur" (µs) of every kernel launch API call ("cat" cuda_runtime or
  // cuda_driver, named cudaLaunchKernel, cudaLaunchKernelExC,
  // cudaLaunchCooperativeKernel, cuLaunchKernel or cuLaunchKernelEx), in file
  // order: the host's cost of a launch, which calibrate fits launch_s to.
  std::vector<double> launch_us;
};

// Reads the trace at `path`, plain JSON or gzip. Throws InputError(path, ...)
// for a file that cannot be read, is larger than kMaxInputFileBytes, or is a
// gzip stream that is corrupt, truncated or inflates to more than
// kMaxInputFileBytes; and what parse_kineto_trace throws.
KinetoTrace read_kineto_trace(const std::string& path);

// Parses the JSON text of a trace; `where` names it in errors.
KinetoTrace parse_kineto_trace(std::string_view json_text, const std::string& where);


}  // namespace spsim
