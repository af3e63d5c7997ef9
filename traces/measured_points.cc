#include "traces/measured_points.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>

#include "costmodel/op_cost.h"
#include "program/input_error.h"
#include "program/input_file.h"
#include "program/program.h"
#include "sim/network_model.h"

namespace spsim {
namespace {

std::string size_text(double bytes) {
  if (bytes >= (1ull << 30) && std::fmod(bytes, 1ull << 30) == 0) return fmt::format("{} GiB", bytes / (1ull << 30));
  if (bytes >= (1ull << 20) && std::fmod(bytes, 1ull << 20) == 0) return fmt::format("{} MiB", bytes / (1ull << 20));
  if (bytes >= (1ull << 10) && std::fmod(bytes, 1ull << 10) == 0) return fmt::format("{} KiB", bytes / (1ull << 10));
  return fmt::format("{} B", bytes);
}

// Kernels of FlashAttention's backward that are not the
// main kernel (the dO·O row sums, the dQ conversion): small memory-bound
// kernels spsim folds into its AttnBwdPrep / AttnBwd ops.
bool attention_helper_kernel(const std::string& name) {
  return name.find("dot_do_o") != std::string::npos || name.find("convert_dq") != std::string::npos ||
         name.find("convert_dkv") != std::string::npos;
}

constexpr std::int64_t kMaxDim = std::numeric_limits<std::uint32_t>::max();

}  // namespace

std::string file_base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

MeasuredFile read_measured_file(const std::string& path) {
  MeasuredFile f;
  f.path = path;
  const std::string bytes = read_input_file(path, "measured file (nccl-tests output or Kineto trace)");
  const bool gzip = bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
                    static_cast<unsigned char>(bytes[1]) == 0x8b;
  const auto first = bytes.find_first_not_of(" \t\r\n");
  const bool kineto = gzip || (first != std::string::npos && bytes[first] == '{' &&
                               bytes.find("\"traceEvents\"") != std::string::npos);
  const std::string base = file_base_name(path);
  if (!gzip && looks_like_timeline(bytes)) {
    f.format = "spsim-timeline";
    f.timeline = std::make_unique<TimelineFile>(parse_timeline_file(bytes, path));
    f.points.file = base;
    f.points.device_names = f.timeline->devices;
  } else if (kineto) {
    f.format = "kineto";
    f.trace = std::make_unique<KinetoTrace>(parse_kineto_trace(gzip ? inflate_gzip(bytes, path) : bytes, path));
    f.points = kineto_points(*f.trace, base);
  } else {
    f.format = "nccl-tests";
    f.nccl_runs = parse_nccl_tests(bytes, path);
    f.points = nccl_tests_points(f.nccl_runs, base);
  }
  return f;
}

PointSet nccl_tests_points(const std::vector<NcclTestRun>& runs, const std::string& file) {
  PointSet set;
  set.file = file;
  std::map<std::string, std::size_t> next_index;
  for (const auto& run : runs) {
    for (const auto& r : run.ranks)
      if (std::find(set.device_names.begin(), set.device_names.end(), r.device_name) == set.device_names.end())
        set.device_names.push_back(r.device_name);
    if (run.test.empty()) {
      std::string c;
      for (const auto& x : run.candidates) c += (c.empty() ? "" : ", ") + x;
      set.skipped[fmt::format("rows of a table whose test the file does not name{}", c.empty() ? "" : " (" + c + "?)")] +=
          run.rows.size();
      continue;
    }
    if (run.num_ranks() < 2) {
      set.skipped["rows of a run that lists fewer than 2 ranks"] += run.rows.size();
      continue;
    }
    const auto collective = nccl_test_collective(run.test);
    if (!collective && run.test != "sendrecv") {
      set.skipped[fmt::format("{} rows (spsim has no model of {})", run.test, run.test)] += run.rows.size();
      continue;
    }
    for (const auto& row : run.rows) {
      if (row.bytes == 0) {
        set.skipped["rows of 0 bytes"] += 1;
        continue;
      }
      MeasuredPoint p;
      p.file = file;
      p.group = run.test;
      p.index = next_index[run.test]++;
      p.label = fmt::format("{} {} {}", run.test, size_text(static_cast<double>(row.bytes)),
                            row.in_place ? "in-place" : "out-of-place");
      p.kind = PointKind::kCommunication;
      p.measured_s = row.time_us * 1e-6;
      CommShape c;
      c.collective = collective;
      c.ring_shift = !collective;
      c.ranks = run.num_ranks();
      c.bytes_per_member = nccl_test_bytes_per_member(run.test, c.ranks, row.bytes);
      p.comm = c;
      set.points.push_back(std::move(p));
    }
  }
  return set;
}

PointSet kineto_points(const KinetoTrace& trace, const std::string& file) {
  PointSet set;
  set.file = file;
  set.trace = &trace;
  set.comm_includes_waiting = true;
  for (const auto& d : trace.devices)
    if (std::find(set.device_names.begin(), set.device_names.end(), d.name) == set.device_names.end())
      set.device_names.push_back(d.name);
  std::map<std::string, std::size_t> next_index;
  auto add = [&](MeasuredPoint p) {
    p.file = file;
    p.index = next_index[p.group]++;
    set.points.push_back(std::move(p));
  };
  for (const auto& k : trace.kernels) {
    const std::string cls(kernel_class_name(k.kind));
    if (k.duration_us <= 0) {
      set.skipped[cls + " kernels of zero duration"] += 1;
      continue;
    }
    MeasuredPoint p;
    p.measured_s = k.duration_us * 1e-6;
    switch (k.kind) {
      case KernelClass::kAttentionFwd:
      case KernelClass::kAttentionBwd: {
        if (k.kind == KernelClass::kAttentionBwd && attention_helper_kernel(k.name)) {
          set.skipped["attention_bwd helper kernels (dO·O sums, dQ/dKV conversion)"] += 1;
          continue;
        }
        const auto dtype = k.attention ? parse_dtype(k.attention->dtype) : std::nullopt;
        if (!k.attention || !dtype) {
          set.skipped[cls + " kernels without the shapes of their CPU op"] += 1;
          continue;
        }
        const auto& a = *k.attention;
        p.kind = k.kind == KernelClass::kAttentionFwd ? PointKind::kAttentionFwd : PointKind::kAttentionBwd;
        p.group = cls;
        p.attention = a;
        p.dtype = *dtype;
        p.label = fmt::format("{} b{} h{}/{} q{} k{} d{}{} {}", cls, a.batch, a.heads_q, a.heads_kv, a.seq_q, a.seq_k,
                              a.head_dim, a.causal ? " causal" : "", dtype_name(*dtype));
        add(std::move(p));
        break;
      }
      case KernelClass::kGemm: {
        const auto dtype = k.gemm ? parse_dtype(k.gemm->dtype) : std::nullopt;
        if (!k.gemm || !dtype) {
          set.skipped["gemm kernels without the shapes of their CPU op"] += 1;
          continue;
        }
        p.kind = PointKind::kGemm;
        p.group = "gemm";
        p.gemm = *k.gemm;
        p.dtype = *dtype;
        const GemmShape& s = *k.gemm;
        p.label = fmt::format("gemm {}x{}x{}{} {}", s.m, s.n, s.k, s.batch > 1 ? fmt::format(" x{}", s.batch) : "",
                              dtype_name(*dtype));
        add(std::move(p));
        break;
      }
      case KernelClass::kCollective:
      case KernelClass::kPointToPoint: {
        if (!k.comm || k.comm->element_bytes <= 0 || k.comm->in_elements <= 0 || k.comm->group_size < 2) {
          set.skipped[cls + " kernels without NCCL metadata (sizes, group)"] += 1;
          continue;
        }
        if (k.kind == KernelClass::kCollective && !k.comm->collective) {
          set.skipped[fmt::format("NCCL {} kernels (spsim has no model of it)", k.comm->name)] += 1;
          continue;
        }
        p.kind = PointKind::kCommunication;
        p.group = "nccl:" + (k.comm->name.empty() ? cls : k.comm->name);
        CommShape c;
        c.collective = k.comm->collective;
        c.ranks = k.kind == KernelClass::kCollective ? k.comm->group_size : 2;
        c.bytes_per_member = static_cast<double>(k.comm->in_elements) * static_cast<double>(k.comm->element_bytes);
        p.comm = c;
        p.label = fmt::format("{} {} over {} ranks", k.comm->name, size_text(c.bytes_per_member), c.ranks);
        add(std::move(p));
        break;
      }
      default:
        set.skipped[cls + " kernels (not predicted)"] += 1;
        break;
    }
  }
  return set;
}

PointSet timeline_points(const TimelineFile& t, std::shared_ptr<const Program> program, const std::string& file) {
  PointSet set;
  set.file = file;
  set.device_names = t.devices;
  set.comm_includes_waiting = true;
  std::map<std::string, std::size_t> next_index;
  for (std::size_t i = 0; i < t.ops.size(); ++i) {
    const TimelineOpRecord& r = t.ops[i];
    const std::string where = fmt::format("{}: key 'ops.{}'", file, i);
    if (r.op >= program->num_ops())
      throw InputError(where, fmt::format("an op of the study's Program, which has {} ops (was the file written by "
                                          "another study or spsim version?)",
                                          program->num_ops()));
    const OpId id = op_id(r.op);
    const Op& o = program->op(id);
    if (op_kind_name(o.kind) != r.kind || o.rank != r.rank)
      throw InputError(where, fmt::format("op {} of the study's Program is {} on rank {}, not {} on rank {} (was the "
                                          "file written by another study or spsim version?)",
                                          r.op, op_kind_name(o.kind), o.rank, r.kind, r.rank));
    if (r.end_ns <= r.start_ns) {
      set.skipped["ops measured as taking no time"] += 1;
      continue;
    }
    MeasuredPoint p;
    p.file = file;
    p.group = r.label;
    p.measured_s = r.seconds();
    p.program = program;
    p.op = id;
    p.dtype = program->buffer(program->operands(id)[0]).dtype;
    switch (o.kind) {
      case OpKind::kAttnFwd: p.kind = PointKind::kAttentionFwd; break;
      case OpKind::kAttnBwd: p.kind = PointKind::kAttentionBwd; break;
      case OpKind::kDense:
      case OpKind::kDenseBwd: p.kind = PointKind::kGemm; break;
      case OpKind::kSend: {
        p.kind = PointKind::kCommunication;
        CommShape c;
        c.ranks = 2;
        for (BufferId b : program->operands(id)) c.bytes_per_member += static_cast<double>(program->buffer(b).bytes());
        p.comm = c;
        p.group = "send";
        break;
      }
      case OpKind::kCollective: {
        p.kind = PointKind::kCommunication;
        CommShape c;
        c.collective = CollectiveSpec::decode(o.tag).kind;
        c.ranks = static_cast<std::uint32_t>(program->group(GroupId(o.peer)).size());
        c.bytes_per_member = static_cast<double>(program->buffer(program->operands(id)[0]).bytes());
        p.comm = c;
        break;
      }
      default:
        set.skipped[r.kind + " ops (not predicted alone)"] += 1;
        continue;
    }
    const Buffer& b0 = program->buffer(program->operands(id)[0]);
    p.label = fmt::format("op {} rank {} {} layer {} step {} [{}x{}x{}]", r.op, r.rank, r.label, r.layer, r.step, b0.rows,
                          b0.heads, b0.cols);
    p.index = next_index[p.group]++;
    set.points.push_back(std::move(p));
  }
  return set;
}

namespace {

Prediction predict_comm(const CommShape& c, const ModelContext& ctx) {
  if (c.ranks > ctx.topology.num_devices())
    throw InputError("--topology", fmt::format("{} devices; the measurement ran on {} ranks (give a topology with at "
                                               "least as many devices, e.g. --nodes)",
                                               ctx.topology.num_devices(), c.ranks));
  auto net = make_network_model(ctx.network, ctx.topology, ctx.links);
  std::vector<DeviceId> members(c.ranks);
  for (std::uint32_t i = 0; i < c.ranks; ++i) members[i] = static_cast<DeviceId>(i);
  if (c.collective) {
    net->start_collective(0, *c.collective, members, c.bytes_per_member, 0, 0.0);
  } else if (c.ring_shift) {
    for (std::uint32_t i = 0; i < c.ranks; ++i)
      net->start_transfer(i, members[i], members[(i + 1) % c.ranks], c.bytes_per_member, 0.0);
  } else {
    net->start_transfer(0, members[0], members[1], c.bytes_per_member, 0.0);
  }
  Prediction p;
  std::vector<CommRecord> done;
  while (const auto t = net->next_completion()) {
    net->advance_to(*t, done);
    p.seconds = std::max(p.seconds, *t);
  }
  // The bottleneck of the transfer that finished last (the one the time is).
  double last = -1;
  for (const auto& r : done)
    if (r.end_s >= last && r.bottleneck) {
      last = r.end_s;
      p.bottleneck = ctx.topology.link(*r.bottleneck).kind;
    }
  return p;
}

// A dimension of the one-op Program (a product when `b` is given), checked
// before anything is allocated for it.
std::uint32_t dim(const std::string& where, std::int64_t a, std::int64_t b = 1) {
  std::int64_t v = 0;
  if (a <= 0 || b <= 0 || __builtin_mul_overflow(a, b, &v) || v > kMaxDim)
    throw InputError(where, fmt::format("dimensions whose products are in 1..{}", kMaxDim));
  return static_cast<std::uint32_t>(v);
}

// The kernel's time on the GPU: the op's time without the launch overhead
// (DeviceProfile::launch_s models the gap a launch leaves between kernels;
// measured kernel durations, Kineto's, do not include it).
double kernel_seconds(const Program& program, OpId op, const DeviceProfile& device) {
  return std::max(0.0, compute_op_cost(program, op, device).seconds - device.launch_s);
}

Prediction predict_kernel(const MeasuredPoint& p, const ModelContext& ctx) {
  if (p.program) return {kernel_seconds(*p.program, p.op, ctx.device), std::nullopt};
  const std::string where = p.file + ": " + p.label;
  const DType dt = p.dtype;
  if (p.kind == PointKind::kGemm) {
    const GemmShape& s = *p.gemm;
    ProgramBuilder b(1);
    const StreamId st = b.stream("compute");
    const std::uint32_t rows = dim(where, s.batch, s.m);
    const BufferId in = b.matrix_buffer(0, "in", dt, rows, 0, 1, dim(where, s.k));
    const BufferId out = b.matrix_buffer(0, "out", dt, rows, 0, 1, dim(where, s.n));
    const OpId op = b.dense(st, in, out, 0);
    return {kernel_seconds(b.program(), op, ctx.device), std::nullopt};
  }
  const AttentionShape& s = *p.attention;
  const std::uint32_t hq = dim(where, s.heads_q), hkv = dim(where, s.heads_kv);
  if (hq % hkv != 0) throw InputError(where, "query heads a multiple of kv heads");
  dim(where, s.batch, s.seq_q);
  dim(where, s.batch, s.seq_k);
  ProgramBuilder b(1, hq / hkv);
  const StreamId st = b.stream("compute");
  std::vector<TokenRun> qr, kr;
  for (std::int64_t i = 0; i < s.batch; ++i) {
    // Causal blocks of seq_q < seq_k queries are the last queries (FlashAttention's bottom-right alignment).
    qr.push_back({static_cast<std::uint32_t>(i), std::max<std::int64_t>(0, s.seq_k - s.seq_q), s.seq_q, 1});
    kr.push_back({static_cast<std::uint32_t>(i), 0, s.seq_k, 1});
  }
  const LayoutId ql = b.layout(qr), kl = b.layout(kr);
  const std::uint32_t d = dim(where, s.head_dim), dv = dim(where, s.head_dim_v);
  const BufferId q = b.token_buffer(0, "q", dt, ql, 0, hq, d);
  const BufferId k = b.token_buffer(0, "k", dt, kl, 0, hkv, d);
  const BufferId v = b.token_buffer(0, "v", dt, kl, 0, hkv, dv);
  const BufferId out = b.token_buffer(0, "out", dt, ql, 0, hq, dv);
  const BufferId lse = b.token_buffer(0, "lse", DType::kF32, ql, 0, hq, 1);
  if (p.kind == PointKind::kAttentionFwd) {
    const OpId op = b.attn_fwd(st, q, k, v, out, lse, s.causal);
    return {kernel_seconds(b.program(), op, ctx.device), std::nullopt};
  }
  const BufferId dout = b.buffer_like(out, 0, "dout");
  const BufferId delta = b.token_buffer(0, "delta", DType::kF32, ql, 0, hq, 1);
  const BufferId dq = b.buffer_like(q, 0, "dq"), dk = b.buffer_like(k, 0, "dk"), dvb = b.buffer_like(v, 0, "dv");
  const OpId op = b.attn_bwd(st, q, k, v, dout, lse, delta, dq, dk, dvb, s.causal);
  return {kernel_seconds(b.program(), op, ctx.device), std::nullopt};
}

}  // namespace

Prediction predict_point(const MeasuredPoint& p, const ModelContext& context) {
  if (p.kind == PointKind::kCommunication) return predict_comm(*p.comm, context);
  return predict_kernel(p, context);
}

}  // namespace spsim
