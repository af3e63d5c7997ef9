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
// Linear attention (causal: o_t = sum_{s<=t, same sequence} (q_t . k_s) v_s;
// full: the sum runs over the whole sequence; no softmax, no scale, no
// normalization). The mask comes from token positions exactly as for AttnFwd,
// so the kinds work on any layout; GQA as above (query head h uses key/value
// head h / q_per_kv). A *state* buffer has no token layout: its shape is
// [n_seq * d_k, kv_heads, d_v] (ProgramBuilder::matrix_buffer), row block
// [s * d_k, (s+1) * d_k) holding the d_k x d_v state of sequence id s (every
// sequence id of the token operands must be < n_seq), its heads the global
// key/value heads from head_begin. d_k is the cols of q/k, d_v the cols of v.
// All linear kinds except LinStateSum accumulate (+=) into their outputs, so
// those start zero_init (or hold an earlier partial sum).
//   LinState     k, v; state += K^T V: state[s][:, h] += sum over rows r of
//                k of sequence s of k[r, h]^T v[r, h] (outer products).
//   LinIntra     q, k, v; out += the masked quadratic term over this block:
//                out[t, h] += sum_{s in k visible to t} (q[t,h] . k[s,hk]) v[s,hk].
//   LinInter     q, state; out += q . state: out[t, h] += q[t, h] M[seq t][:, hk]
//                (1 x d_k times d_k x d_v), the inter-chunk term of a prefix.
//   LinStateSum  gathered -> out (overwrites): gathered is n_members state
//                blocks concatenated along rows (an AllGather of states, member
//                j's state at rows [j R, (j+1) R) with R = out.rows); out = sum
//                of the blocks j selected by StateRange(`tag`) relative to the
//                member index m = `peer`: kBefore j < m (prefix), kAfter j > m
//                (suffix), kOthers j != m, kAll every j. Empty selection: zeros.
//   LinIntraBwd  q, k, v, dout; dq, dk, dv += the gradient of LinIntra's block
//                (masked like the forward): with A[t,s] = q_t . k_s and
//                dA[t,s] = dout_t . v_s over visible pairs, dq_t += sum_s dA k_s,
//                dk_s += sum_t dA q_t, dv_s += sum_t A dout_t.
//   LinInterBwd  dout, state; dq += dout M^T (gradient of LinInter wrt q):
//                dq[t, h] += M[seq t][:, hk] dout[t, h].
//   LinDState    q, dout; dstate += Q^T dO (gradient of LinInter wrt its
//                state): dstate[s][:, hk] += sum over rows r of sequence s and
//                query heads h of group hk of q[r,h]^T dout[r,h].
//   LinStateBwd  k, v, dstate; dk += V dstate^T, dv += K dstate (gradient of
//                LinState wrt k and v given the gradient dstate of the state):
//                with D = dstate[seq r][:, h] (d_k x d_v), dk[r,h] += D v[r,h]
//                and dv[r,h] += D^T k[r,h].
// Model layers outside attention (projections, MLP matrices):
//   Dense        in -> out: out[r] = W in[r] for every row r, with in[r] and
//                out[r] flattened over (heads, cols) and W a fixed
//                [out features x in features] matrix, W[i][j] = u(seed, i, j) /
//                sqrt(in features), u uniform in [-1, 1) from a hash of
//                (seed = `tag`, i, j) (dense_weight()). Rows pair by index and
//                hold the same positions. Weights are implicit: their memory
//                is the static memory model's.
//   DenseBwd     in, dout -> din: din[r] = W^T dout[r] with the same W. The
//                kernel also forms the weight gradient dW = dout^T in, whose
//                FLOPs count (2x the forward in all) but whose value is not
//                materialized (weights are outside the Program).
//   Op::work for both: rows x in features x out features (multiply-adds).
// In LinState and LinStateBwd, h is a head of k (state head = k's global
// head); in LinInter, LinInterBwd and LinDState, hk = h / q_per_kv for the
// query head h. FLOPs as the executor computes them (n = Op::work, heads of
// the first operand, a multiply-add = 2): LinState 2 n d_k d_v; LinIntra
// 2 n (d_k + d_v); LinInter, LinInterBwd and LinDState 2 n d_k d_v;
// LinIntraBwd 2 n (3 d_k + 2 d_v); LinStateBwd 4 n d_k d_v; LinStateSum adds
// n blocks (reads n + writes 1 state).

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
  kLinState,
  kLinIntra,
  kLinInter,
  kLinStateSum,
  kLinIntraBwd,
  kLinInterBwd,
  kLinDState,
  kLinStateBwd,
  kDense,
  kDenseBwd,
};
inline constexpr std::size_t kNumOpKinds = static_cast<std::size_t>(OpKind::kDenseBwd) + 1;

// W[i][j] of a Dense op with seed `seed` and `in_features` inputs (see Dense).
double dense_weight(std::uint32_t seed, std::uint64_t i, std::uint64_t j, std::uint64_t in_features);

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

// The collectives the strategies use, named once: gather / reduce-scatter
// along the sequence rows, and the all-to-alls between sequence and head
// sharding (DeepSpeed-Ulysses' two exchanges).
inline constexpr CollectiveSpec kAllGatherRows{CollectiveKind::kAllGather, Axis::kRows, Axis::kRows, 0};
inline constexpr CollectiveSpec kReduceScatterRows{CollectiveKind::kReduceScatter, Axis::kRows, Axis::kRows, 0};
inline constexpr CollectiveSpec kRowsToHeads{CollectiveKind::kAllToAll, Axis::kRows, Axis::kHeads, 0};
inline constexpr CollectiveSpec kHeadsToRows{CollectiveKind::kAllToAll, Axis::kHeads, Axis::kRows, 0};

// Which gathered state blocks LinStateSum adds, relative to the member index m
// stored in the op's `peer` (the value is the op's `tag`).
enum class StateRange : std::uint8_t {
  kBefore,  // j < m: the prefix state of a causal chunk
  kAfter,   // j > m: the suffix of state gradients (causal backward)
  kOthers,  // j != m: every other chunk (full mask)
  kAll,     // every j
};
inline constexpr std::uint32_t kNumStateRanges = 4;
std::string_view state_range_name(StateRange range);  // "before", "after", "others", "all"
// True iff block j is selected for member m.
bool state_range_selects(StateRange range, std::uint32_t m, std::uint32_t j);

}  // namespace spsim
