#pragma once
// The kinds of Program ops, their operands, and their numeric meaning.
//
// Every kind is executable: the host executor (validate/host_executor) gives
// each the meaning written here, and the engine costs it. Operands are buffers
// of one rank (shape [rows, heads, cols], see program.h) listed in the order of
// the kind's OperandSpec table. "Position-matched" means rows are paired by
// global token position (sequence id, position), not by row index, and heads
// by global head index.
//
// Attention (flash form; scale = 1/sqrt(head_dim); masks from token positions,
// see token_layout.h; GQA: query head h uses key/value head h / q_per_kv):
//   AttnFwd      q, k, v -> out, lse. Partial attention of q over the keys of
//                k: out = softmax(scale q k^T) v, lse = log-sum-exp of the
//                scaled unmasked scores (-inf and out = 0 where no key is
//                visible). Overwrites out and lse.
//   AttnMerge    out, lse (updated) <- part_out, part_lse. Exact log-sum-exp
//                merge of two partials over disjoint key sets.
//   AttnBwdPrep  out, dout -> delta, delta[t,h] = sum_d out*dout (rowsum).
//   AttnBwd      q, k, v, dout, lse, delta; dq, dk, dv += the gradient of the
//                block q x k given the *final* lse and delta of the rows.
// Ring Self-Attention (scores materialized; "score" buffers have a row layout
// for queries and a column layout for keys):
//   RsaScores    q, k -> scores: columns of k's positions = scale q k^T,
//                masked entries -inf. Other columns untouched.
//   RsaSoftmax   scores -> probs: row-wise softmax over all columns.
//   RsaProbsV    probs, v; out += probs[:, cols of v] v.
//   RsaDProbs    dout, v -> dprobs: columns of v's positions = dout v^T.
//   RsaSoftmaxBwd probs, dprobs -> dscores = probs * (dprobs - rowsum(probs*dprobs)).
//   RsaDQ        dscores, k; dq += scale dscores[:, cols of k] k.
//   RsaDKFull    dscores, q; dk_full += scale dscores^T q (rows of dk_full are
//                matched to score columns by position).
//   RsaDVFull    probs, dout; dv_full += probs^T dout (same matching).
// Data movement:
//   Copy         src -> dst: each dst row and head is read from the src row of
//                the same position and head (a gather; all must exist in src).
//   Accumulate   src; dst += src, position- and head-matched (every src row
//                must exist in dst).
// Communication (comm category; matched across ranks, see program_check.h):
//   Send         bufs...: to `peer`, tag `tag`. Recv bufs...: from `peer`,
//                tag `tag`. One message may carry several buffers (one NCCL
//                group: one launch, one latency); the k-th buffer lands in the
//                k-th buffer of the Recv. The k-th Send from a to b with tag t
//                pairs with the k-th Recv on b from a with tag t; buffer
//                counts, shapes, positions and heads must be equal.
//   Collective   in -> out over the group `peer`, CollectiveSpec in `tag`; see
//                CollectiveKind. The k-th collective of a group on each member
//                forms one instance.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace spsim {

enum class OpKind : std::uint8_t {
  kAttnFwd,
  kAttnMerge,
  kAttnBwdPrep,
  kAttnBwd,
  kRsaScores,
  kRsaSoftmax,
  kRsaProbsV,
  kRsaDProbs,
  kRsaSoftmaxBwd,
  kRsaDQ,
  kRsaDKFull,
  kRsaDVFull,
  kCopy,
  kAccumulate,
  kSend,
  kRecv,
  kCollective,
};
inline constexpr std::size_t kNumOpKinds = static_cast<std::size_t>(OpKind::kCollective) + 1;

enum class OpCategory : std::uint8_t { kCompute, kMemory, kComm };

// How an op touches an operand: kWrite overwrites (the old contents are
// dead), kUpdate reads and writes (accumulation), kRead only reads.
enum class Access : std::uint8_t { kRead, kWrite, kUpdate };

struct OperandSpec {
  std::string_view name;
  Access access;
};

struct OpKindInfo {
  std::string_view name;  // stable identifier used in traces and JSON, e.g. "attn_fwd"
  OpCategory category;
  std::span<const OperandSpec> operands;
  // The last operand spec repeats: the op takes operands.size() or more
  // operands (Send/Recv: a message of several buffers).
  bool variadic = false;
};

// Static description of a kind. Never fails for a valid enumerator.
const OpKindInfo& op_kind_info(OpKind kind);
// How operand i of an op of this kind is accessed (handles variadic kinds).
Access operand_access(OpKind kind, std::size_t i);
inline std::string_view op_kind_name(OpKind kind) { return op_kind_info(kind).name; }

// Collectives. Rows are the token dimension, heads the head dimension.
//   AllGather     out = concat over members (group order) of in, along `axis`.
//   ReduceScatter out = member i's share, along `axis`, of the sum of all ins.
//   AllToAll      in is cut into |group| equal parts along `split`; part j goes
//                 to member j; out = concat of received parts along `axis`.
//   AllReduce     out = sum of all ins (in == out allowed).
//   Broadcast     out = in of member `root` (in is only read on the root).
enum class CollectiveKind : std::uint8_t {
  kAllGather,
  kReduceScatter,
  kAllToAll,
  kAllReduce,
  kBroadcast,
};
enum class Axis : std::uint8_t { kRows, kHeads };

struct CollectiveSpec {
  CollectiveKind kind = CollectiveKind::kAllReduce;
  Axis axis = Axis::kRows;   // concat axis (AllGather, AllToAll) / scatter axis (ReduceScatter)
  Axis split = Axis::kRows;  // AllToAll only: the axis `in` is cut along
  std::uint32_t root = 0;    // Broadcast only: member index of the root (< 2^24)

  std::uint32_t encode() const;
  static CollectiveSpec decode(std::uint32_t bits);
  friend bool operator==(const CollectiveSpec&, const CollectiveSpec&) = default;
};

std::string_view collective_kind_name(CollectiveKind kind);  // "all_gather", ...

}  // namespace spsim
