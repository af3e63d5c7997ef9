#pragma once
// Measured points: what spsim can predict from a measured file, one point per
// nccl-tests row or per classified Kineto kernel with known shapes, in one
// form for `spsim calibrate` (which fits the cost model to them) and
// `spsim compare` (which predicts them); and the prediction of one point by
// the very models a study uses (the network model over the topology for
// communication, the device's roofline and efficiency curves for kernels).
//
// Points are grouped — nccl-tests by test ("all_reduce"), Kineto by kernel
// class ("attention_fwd", "gemm", "nccl:allreduce") — and numbered within
// their group in file order, so a calibration can fit the leading part of a
// group and `compare` tell the fitted points from the held-out ones.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "costmodel/device_profile.h"
#include "costmodel/link_model.h"
#include "program/dtype.h"
#include "program/op_kind.h"
#include "topology/topology.h"
#include "traces/kineto.h"
#include "traces/nccl_tests.h"
#include "traces/timeline_file.h"

namespace spsim {

enum class PointKind : std::uint8_t { kCommunication, kAttentionFwd, kAttentionBwd, kGemm };

struct CommShape {
  std::optional<CollectiveKind> collective;  // nullopt: point-to-point
  bool ring_shift = false;  // p2p: every rank sends to rank+1 at once (nccl-tests sendrecv); else one transfer 0 -> 1
  std::uint32_t ranks = 0;
  double bytes_per_member = 0;  // program/comm_volume.h's input bytes of one member (p2p: bytes sent)
};

struct MeasuredPoint {
  std::string file;   // base name of the file it came from
  std::string group;  // "all_reduce", "attention_fwd", "gemm", "nccl:allreduce", ...
  std::size_t index = 0;  // within (file, group), in file order
  std::string label;  // what a person reads: "all_reduce 32 MiB out-of-place", a kernel's shape
  PointKind kind = PointKind::kCommunication;
  double measured_s = 0;  // > 0
  std::optional<CommShape> comm;
  // Kernels (traces/kineto.h's shapes): attention is batch sequences of
  // seq_q queries against seq_k keys, causal aligned bottom-right as
  // FlashAttention does when seq_q < seq_k; a GEMM is batch x (m x k)·(k x n).
  // Their dtype strings are read into `dtype`.
  std::optional<AttentionShape> attention;
  std::optional<GemmShape> gemm;
  DType dtype = DType::kBF16;
  // Points of a Timeline file (a replay's ops): the op of the Program the
  // file's study lowers to, predicted from that op itself (its exact buffers,
  // layouts and mask) instead of a shape.
  std::shared_ptr<const Program> program;
  OpId op{};
};

struct PointSet {
  std::string file;                            // base name
  std::vector<MeasuredPoint> points;
  std::map<std::string, std::size_t> skipped;  // why something measured is not a point -> how many
  std::vector<std::string> device_names;       // as the file names the devices
  const KinetoTrace* trace = nullptr;          // Kineto only: the kernels (for the overlap fit); owned by the caller
  // Kineto and Timeline files: a communication op lasts from when its rank
  // reached it until its peers did and the data moved (waiting included), so
  // links are not fitted to it unless asked by name.
  bool comm_includes_waiting = false;
};

PointSet nccl_tests_points(const std::vector<NcclTestRun>& runs, const std::string& file);
PointSet kineto_points(const KinetoTrace& trace, const std::string& file);
// One point per measured op of a Timeline file that spsim predicts —
// attention forward/backward ("attn_fwd", "attn_bwd"), GEMMs ("dense",
// "dense_bwd"), point-to-point and collectives ("send", the collective's
// name) — grouped by op label, against `program` (the Program the file's
// study lowers to). Throws InputError naming the op when the file does not
// match the program (another study or spsim version).
PointSet timeline_points(const TimelineFile& timeline, std::shared_ptr<const Program> program,
                         const std::string& file);

// A measured file read whole: nccl-tests output (text or -J JSON), a Kineto
// trace (JSON, plain or gzip) or a Timeline file (spsim replay), told apart
// by content, not by name. A Timeline's points need its study lowered
// (timeline_points): they are left empty here.
struct MeasuredFile {
  std::string path;
  std::string format;                  // "nccl-tests", "kineto" or "spsim-timeline"
  std::unique_ptr<KinetoTrace> trace;  // Kineto only (points.trace points here)
  std::vector<NcclTestRun> nccl_runs;  // nccl-tests only
  std::unique_ptr<TimelineFile> timeline;  // Timeline files only
  PointSet points;
};
MeasuredFile read_measured_file(const std::string& path);

// The base name of a path ("a/b/c.txt" -> "c.txt").
std::string file_base_name(const std::string& path);

// What a point is predicted with: the topology the measurement ran on (ranks
// on its first devices), its link model and network model, and the device.
struct ModelContext {
  const Topology& topology;
  const LinkModel& links;
  std::string network = "flow";
  const DeviceProfile& device;
};

struct Prediction {
  double seconds = 0;
  std::optional<LinkKind> bottleneck;  // communication: the class of the link that bounded it
};

// Predicts `p`: communication as the network model moves it from t = 0 on
// idle links; a kernel as its GPU time (the op's roofline time without the
// launch overhead, which measured kernel durations exclude). Throws InputError("--topology", ...) when the topology has
// fewer devices than the point's ranks, InputError(file, ...) for a shape the
// Program cannot hold (dimensions beyond 2^32).
Prediction predict_point(const MeasuredPoint& p, const ModelContext& context);

}  // namespace spsim
