#include "costmodel/op_cost.h"

#include <algorithm>

namespace spsim {
namespace {

// Backward FLOPs per forward FLOP (hardware.md: "backward 2.5× forward").
constexpr double kBackwardFlopFactor = 2.5;

double operand_bytes(const Buffer& b, Access a) {
  const double bytes = static_cast<double>(b.bytes());
  return a == Access::kUpdate ? 2 * bytes : bytes;
}

// Compulsory traffic: every operand read and/or written once.
double access_bytes(const Program& p, OpId id) {
  const auto ops = p.operands(id);
  const auto specs = op_kind_info(p.op(id).kind).operands;
  double total = 0;
  for (std::size_t i = 0; i < ops.size(); ++i) total += operand_bytes(p.buffer(ops[i]), specs[i].access);
  return total;
}

std::span<const TokenRun> rows_of(const Program& p, BufferId b) {
  const auto& l = p.buffer(b).layout;
  if (!l) throw ProgramError("attention operand " + p.describe_buffer(b) + " has no token layout");
  return p.layout(*l);
}

bool is_fp32_or_wider(DType t) { return t == DType::kF32 || t == DType::kF64; }

double roofline(const DeviceProfile& d, double flops_run, double peak, double eff, double bytes) {
  const double compute_s = flops_run > 0 ? flops_run / (peak * eff) : 0.0;
  const double memory_s = bytes / (d.hbm_bytes_per_s * d.memory_efficiency);
  return d.launch_s + std::max(compute_s, memory_s);
}

OpCost attention_cost(const Program& p, OpId id, const DeviceProfile& d, bool backward) {
  const Op& op = p.op(id);
  const auto ops = p.operands(id);
  const Buffer& q = p.buffer(ops[0]);
  const Buffer& k = p.buffer(ops[1]);
  const Buffer& v = p.buffer(ops[2]);
  const AttentionKernelModel& model = backward ? d.attention_bwd : d.attention_fwd;
  const double per_pair = 2.0 * (static_cast<double>(q.cols) + v.cols) * q.heads *
                          (backward ? kBackwardFlopFactor : 1.0);
  const AttentionTileCounts tiles =
      attention_tile_counts(rows_of(p, ops[0]), rows_of(p, ops[1]), op.causal(), model.tile_q, model.tile_k);
  const double outer_rows = static_cast<double>(backward ? k.rows : q.rows);
  const double eff = attention_block_efficiency(model, tiles, outer_rows);
  OpCost c;
  c.flops = static_cast<double>(op.work) * per_pair;
  c.bytes = access_bytes(p, id);
  const double run = eff > 0 ? static_cast<double>(tiles.computed_pairs) * per_pair : 0.0;
  c.seconds = roofline(d, run, d.peak_flop_per_s(q.dtype), eff, c.bytes);
  return c;
}

// RSA kinds: a GEMM between operands 0 and 1 into operand 2. score_operand
// is the score buffer of which the op touches only the columns of
// partner_operand's positions (-1: every operand is touched whole).
OpCost rsa_gemm_cost(const Program& p, OpId id, const DeviceProfile& d, int score_operand,
                     int partner_operand) {
  const Op& op = p.op(id);
  const auto ops = p.operands(id);
  const auto specs = op_kind_info(op.kind).operands;
  const Buffer& a = p.buffer(ops[0]);
  const Buffer& b = p.buffer(ops[1]);
  OpCost c;
  c.flops = 2.0 * static_cast<double>(op.work) * b.cols * a.heads;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const Buffer& buf = p.buffer(ops[i]);
    if (static_cast<int>(i) == score_operand) {
      // Only the columns of the partner's positions, written or read once.
      const double touched = static_cast<double>(buf.rows) * p.buffer(ops[partner_operand]).rows *
                             buf.heads * dtype_bytes(buf.dtype);
      c.bytes += touched;
    } else {
      c.bytes += operand_bytes(buf, specs[i].access);
    }
  }
  const DType wide = is_fp32_or_wider(a.dtype) ? a.dtype : b.dtype;
  c.seconds = roofline(d, c.flops, d.peak_flop_per_s(wide), d.gemm_efficiency, c.bytes);
  return c;
}

// Linear-attention kinds (op_kind.h): chunked GEMMs at the GEMM efficiency.
// FLOPs per head as the executor computes them, with n = Op::work, heads of
// the first operand, d_k = cols of the key-side operand, d_v = cols of v /
// the state. Masked intra-chunk tiles are charged for their visible pairs
// only (the chunk kernels of LASP compute whole masked chunks; calibrate (?)).
OpCost linear_cost(const Program& p, OpId id, const DeviceProfile& d) {
  const Op& op = p.op(id);
  const auto ops = p.operands(id);
  const double n = static_cast<double>(op.work);
  const Buffer& first = p.buffer(ops[0]);
  auto cols = [&](std::size_t i) { return static_cast<double>(p.buffer(ops[i]).cols); };
  double per_head = 0;
  switch (op.kind) {
    case OpKind::kLinState: per_head = 2 * n * cols(0) * cols(1); break;          // k, v
    case OpKind::kLinIntra: per_head = 2 * n * (cols(0) + cols(2)); break;        // q, k, v
    case OpKind::kLinInter: per_head = 2 * n * cols(0) * cols(1); break;          // q, state
    case OpKind::kLinIntraBwd: per_head = 2 * n * (3 * cols(0) + 2 * cols(2)); break;
    case OpKind::kLinInterBwd: per_head = 2 * n * cols(1) * cols(0); break;       // dout, state
    case OpKind::kLinDState: per_head = 2 * n * cols(0) * cols(1); break;         // q, dout
    case OpKind::kLinStateBwd: per_head = 4 * n * cols(0) * cols(1); break;       // k, v
    default: break;
  }
  OpCost c;
  c.flops = per_head * first.heads;
  c.bytes = access_bytes(p, id);
  c.seconds = roofline(d, c.flops, d.peak_flop_per_s(first.dtype), d.gemm_efficiency, c.bytes);
  return c;
}

// Dense layers: out = W in (2 x work FLOPs); the backward forms din and dW
// (4 x work). Weights are read from device memory by each GEMM and the weight
// gradient written by the backward.
OpCost dense_cost(const Program& p, OpId id, const DeviceProfile& d, bool backward) {
  const Op& op = p.op(id);
  const auto ops = p.operands(id);
  const Buffer& in = p.buffer(ops[0]);
  const Buffer& out = p.buffer(backward ? ops[1] : ops.back());  // DenseBwd: (in, dout, din)
  const double weights = static_cast<double>(in.heads) * in.cols * out.heads * out.cols * dtype_bytes(in.dtype);
  OpCost c;
  c.flops = (backward ? 4.0 : 2.0) * static_cast<double>(op.work);
  c.bytes = access_bytes(p, id) + (backward ? 2 * weights : weights);
  c.seconds = roofline(d, c.flops, d.peak_flop_per_s(in.dtype), d.gemm_efficiency, c.bytes);
  return c;
}

OpCost memory_cost(const DeviceProfile& d, double bytes) {
  OpCost c;
  c.bytes = bytes;
  c.seconds = roofline(d, 0, 1, 1, bytes);
  return c;
}

}  // namespace

OpCost compute_op_cost(const Program& p, OpId id, const DeviceProfile& d) {
  const Op& op = p.op(id);
  const auto ops = p.operands(id);
  switch (op.kind) {
    case OpKind::kAttnFwd: return attention_cost(p, id, d, false);
    case OpKind::kAttnBwd: return attention_cost(p, id, d, true);
    // scores(2)[:, cols of k(1)] = q k^T
    case OpKind::kRsaScores: return rsa_gemm_cost(p, id, d, 2, 1);
    // out += probs(0)[:, cols of v(1)] v
    case OpKind::kRsaProbsV: return rsa_gemm_cost(p, id, d, 0, 1);
    // dprobs(2)[:, cols of v(1)] = dout v^T
    case OpKind::kRsaDProbs: return rsa_gemm_cost(p, id, d, 2, 1);
    // dq += dscores(0)[:, cols of k(1)] k
    case OpKind::kRsaDQ: return rsa_gemm_cost(p, id, d, 0, 1);
    // Whole score buffers.
    case OpKind::kRsaDKFull:
    case OpKind::kRsaDVFull: return rsa_gemm_cost(p, id, d, -1, -1);
    case OpKind::kAttnMerge:
    case OpKind::kAttnBwdPrep:
    case OpKind::kRsaSoftmax:
    case OpKind::kRsaSoftmaxBwd: return memory_cost(d, access_bytes(p, id));
    case OpKind::kCopy: {
      // Each destination row is read from the source once and written once.
      const Buffer& src = p.buffer(ops[0]);
      const Buffer& dst = p.buffer(ops[1]);
      return memory_cost(d, static_cast<double>(dst.elements()) * (dtype_bytes(src.dtype) + dtype_bytes(dst.dtype)));
    }
    case OpKind::kAccumulate: {
      // Each source row is read, and its destination row read and written.
      const Buffer& src = p.buffer(ops[0]);
      const Buffer& dst = p.buffer(ops[1]);
      return memory_cost(d, static_cast<double>(src.elements()) * (dtype_bytes(src.dtype) + 2.0 * dtype_bytes(dst.dtype)));
    }
    case OpKind::kLinState:
    case OpKind::kLinIntra:
    case OpKind::kLinInter:
    case OpKind::kLinIntraBwd:
    case OpKind::kLinInterBwd:
    case OpKind::kLinDState:
    case OpKind::kLinStateBwd: return linear_cost(p, id, d);
    case OpKind::kLinStateSum: {
      // Reads the n selected state blocks, writes one.
      const double block = static_cast<double>(p.buffer(ops[1]).bytes());
      return memory_cost(d, (static_cast<double>(op.work) + 1) * block);
    }
    case OpKind::kDense: return dense_cost(p, id, d, false);
    case OpKind::kDenseBwd: return dense_cost(p, id, d, true);
    case OpKind::kSend:
    case OpKind::kRecv:
    case OpKind::kCollective: {
      OpCost c;
      c.bytes = static_cast<double>(p.buffer(ops[0]).bytes());
      return c;
    }
  }
  return {};
}

}  // namespace spsim
