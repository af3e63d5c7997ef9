#include "program/program_check.h"

#include <algorithm>
#include <deque>

#include "program/layout_compare.h"
#include "program/op_graph.h"

namespace spsim {
namespace {

constexpr std::uint32_t kNone = 0xffffffffu;

class ShapeChecker {
 public:
  explicit ShapeChecker(const Program& p) : p_(p) {}

  void check(OpId id) {
    id_ = id;
    const auto ops = p_.operands(id);
    switch (p_.op(id).kind) {
      case OpKind::kAttnFwd:
        check_qkv(ops[0], ops[1], ops[2]);
        like_rows(ops[3], ops[0], p_.buffer(ops[2]).cols, "out");
        like_rows(ops[4], ops[0], 1, "lse");
        break;
      case OpKind::kAttnMerge:
        same_shape(ops[0], ops[2], "out vs part_out");
        same_shape(ops[1], ops[3], "lse vs part_lse");
        like_rows(ops[1], ops[0], 1, "lse");
        break;
      case OpKind::kAttnBwdPrep:
        same_shape(ops[0], ops[1], "out vs dout");
        like_rows(ops[2], ops[0], 1, "delta");
        break;
      case OpKind::kAttnBwd:
        check_qkv(ops[0], ops[1], ops[2]);
        like_rows(ops[3], ops[0], p_.buffer(ops[2]).cols, "dout");
        like_rows(ops[4], ops[0], 1, "lse");
        like_rows(ops[5], ops[0], 1, "delta");
        same_shape(ops[6], ops[0], "dq vs q");
        same_shape(ops[7], ops[1], "dk vs k");
        same_shape(ops[8], ops[2], "dv vs v");
        break;
      case OpKind::kRsaScores:
        check_qkv(ops[0], ops[1], ops[1]);
        score_rows(ops[2], ops[0]);
        cols_hold(ops[2], ops[1]);
        break;
      case OpKind::kRsaSoftmax:
      case OpKind::kRsaSoftmaxBwd:
        for (std::size_t i = 1; i < ops.size(); ++i) same_shape(ops[i], ops[0], "score shapes");
        break;
      case OpKind::kRsaProbsV:
        check_qkv(ops[2], ops[1], ops[1]);
        score_rows(ops[0], ops[2]);
        cols_hold(ops[0], ops[1]);
        break;
      case OpKind::kRsaDProbs:
        check_qkv(ops[0], ops[1], ops[1]);
        score_rows(ops[2], ops[0]);
        cols_hold(ops[2], ops[1]);
        break;
      case OpKind::kRsaDQ:
        check_qkv(ops[2], ops[1], ops[1]);
        score_rows(ops[0], ops[2]);
        cols_hold(ops[0], ops[1]);
        break;
      case OpKind::kRsaDKFull:
      case OpKind::kRsaDVFull: {
        // dk_full / dv_full rows are matched to score columns by position.
        check_qkv(ops[1], ops[2], ops[2]);
        score_rows(ops[0], ops[1]);
        cols_hold(ops[0], ops[2]);
        break;
      }
      case OpKind::kLinState:
        check_kv(ops[0], ops[1]);
        check_state(ops[2], ops[0], false, p_.buffer(ops[0]).cols, p_.buffer(ops[1]).cols, "state");
        break;
      case OpKind::kLinIntra:
        check_qkv(ops[0], ops[1], ops[2]);
        like_rows(ops[3], ops[0], p_.buffer(ops[2]).cols, "out");
        break;
      case OpKind::kLinInter:
        check_state(ops[1], ops[0], true, p_.buffer(ops[0]).cols, p_.buffer(ops[1]).cols, "state");
        like_rows(ops[2], ops[0], p_.buffer(ops[1]).cols, "out");
        break;
      case OpKind::kLinStateSum: check_state_sum(ops[0], ops[1]); break;
      case OpKind::kLinIntraBwd:
        check_qkv(ops[0], ops[1], ops[2]);
        like_rows(ops[3], ops[0], p_.buffer(ops[2]).cols, "dout");
        same_shape(ops[4], ops[0], "dq vs q");
        same_shape(ops[5], ops[1], "dk vs k");
        same_shape(ops[6], ops[2], "dv vs v");
        break;
      case OpKind::kLinInterBwd:
        check_state(ops[1], ops[0], true, p_.buffer(ops[2]).cols, p_.buffer(ops[0]).cols, "state");
        like_rows(ops[2], ops[0], p_.buffer(ops[2]).cols, "dq");
        break;
      case OpKind::kLinDState:
        like_rows(ops[1], ops[0], p_.buffer(ops[1]).cols, "dout");
        check_state(ops[2], ops[0], true, p_.buffer(ops[0]).cols, p_.buffer(ops[1]).cols, "dstate");
        break;
      case OpKind::kLinStateBwd:
        check_kv(ops[0], ops[1]);
        check_state(ops[2], ops[0], false, p_.buffer(ops[0]).cols, p_.buffer(ops[1]).cols, "dstate");
        same_shape(ops[3], ops[0], "dk vs k");
        same_shape(ops[4], ops[1], "dv vs v");
        break;
      case OpKind::kDense: same_rows(ops[0], ops[1]); break;
      case OpKind::kDenseBwd:
        same_rows(ops[0], ops[1]);
        same_rows(ops[0], ops[2]);
        if (p_.buffer(ops[0]).heads != p_.buffer(ops[2]).heads || p_.buffer(ops[0]).cols != p_.buffer(ops[2]).cols)
          fail("din " + p_.describe_buffer(ops[2]) + " must have the shape of in " + p_.describe_buffer(ops[0]));
        break;
      case OpKind::kCopy: subset(ops[1], ops[0], "dst", "src"); break;
      case OpKind::kAccumulate: subset(ops[0], ops[1], "src", "dst"); break;
      case OpKind::kSend:
      case OpKind::kRecv: break;  // checked by match_communication
      case OpKind::kCollective:
        // The rest is checked by match_communication, which needs the group.
        if (p_.op(id).peer >= p_.num_groups())
          fail("names group " + std::to_string(p_.op(id).peer) + " but the program has " + std::to_string(p_.num_groups()));
        break;
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw ProgramError(p_.describe_op(id_) + ": " + what);
  }
  std::span<const TokenRun> rows(BufferId b) const {
    const auto& l = p_.buffer(b).layout;
    if (!l) fail(p_.describe_buffer(b) + " needs a token layout");
    return p_.layout(*l);
  }
  void check_qkv(BufferId q, BufferId k, BufferId v) const {
    const Buffer &bq = p_.buffer(q), &bk = p_.buffer(k), &bv = p_.buffer(v);
    rows(q);
    if (!same_positions(rows(k), rows(v)))
      fail("k and v hold different positions");
    if (bk.heads != bv.heads || bk.head_begin != bv.head_begin)
      fail("k and v hold different heads");
    if (bq.cols != bk.cols) fail("q and k head dims differ (" + std::to_string(bq.cols) + " vs " + std::to_string(bk.cols) + ")");
    if (bq.heads == 0) fail("q has no heads");
    const std::uint32_t g = p_.q_per_kv();
    const std::uint32_t first_kv = bq.head_begin / g, last_kv = (bq.head_begin + bq.heads - 1) / g;
    if (first_kv < bk.head_begin || last_kv >= bk.head_begin + bk.heads)
      fail("q heads [" + std::to_string(bq.head_begin) + ", " + std::to_string(bq.head_begin + bq.heads) +
           ") need kv heads [" + std::to_string(first_kv) + ", " + std::to_string(last_kv + 1) +
           ") but k/v hold [" + std::to_string(bk.head_begin) + ", " + std::to_string(bk.head_begin + bk.heads) + ")");
  }
  void check_kv(BufferId k, BufferId v) const {
    const Buffer &bk = p_.buffer(k), &bv = p_.buffer(v);
    if (!same_positions(rows(k), rows(v))) fail("k and v hold different positions");
    if (bk.heads != bv.heads || bk.head_begin != bv.head_begin) fail("k and v hold different heads");
    if (bk.heads == 0) fail("k has no heads");
  }
  // A linear-attention state [n_seq * d_k, kv heads, d_v] used with the rows
  // of `tokens`: query-side operands (q, dout) reach state head h / q_per_kv,
  // key-side ones (k, v) state head h.
  void check_state(BufferId state, BufferId tokens, bool query_side, std::uint32_t d_k,
                   std::uint32_t d_v, const char* what) const {
    const Buffer &s = p_.buffer(state), &t = p_.buffer(tokens);
    if (s.layout) fail(std::string(what) + " " + p_.describe_buffer(state) + " must be a state buffer without token positions");
    if (d_k == 0 || s.rows % d_k != 0)
      fail(std::string(what) + " " + p_.describe_buffer(state) + " rows are not a multiple of d_k = " + std::to_string(d_k));
    if (s.cols != d_v)
      fail(std::string(what) + " " + p_.describe_buffer(state) + " has " + std::to_string(s.cols) +
           " columns, expected d_v = " + std::to_string(d_v));
    std::uint64_t max_seq = 0;
    const auto runs = rows(tokens);
    bool any = false;
    for (const auto& r : runs)
      if (!is_padding(r.seq)) {  // padding rows never touch a state
        max_seq = std::max<std::uint64_t>(max_seq, r.seq);
        any = true;
      }
    if (any && max_seq >= s.rows / d_k)
      fail(std::string(what) + " " + p_.describe_buffer(state) + " holds " + std::to_string(s.rows / d_k) +
           " sequences but " + p_.describe_buffer(tokens) + " has sequence id " + std::to_string(max_seq));
    if (t.heads == 0) fail(p_.describe_buffer(tokens) + " has no heads");
    const std::uint32_t g = query_side ? p_.q_per_kv() : 1;
    const std::uint32_t first = t.head_begin / g, last = (t.head_begin + t.heads - 1) / g;
    if (first < s.head_begin || last >= s.head_begin + s.heads)
      fail(std::string(what) + " " + p_.describe_buffer(state) + " lacks the state heads [" + std::to_string(first) +
           ", " + std::to_string(last + 1) + ") that " + p_.describe_buffer(tokens) + " needs");
  }
  void check_state_sum(BufferId gathered, BufferId out) const {
    const Buffer &g = p_.buffer(gathered), &o = p_.buffer(out);
    const Op& op = p_.op(id_);
    if (g.layout || o.layout) fail("lin_state_sum works on state buffers without token positions");
    if (o.rows == 0 || g.rows % o.rows != 0)
      fail(p_.describe_buffer(gathered) + " is not a whole number of " + p_.describe_buffer(out) + " blocks");
    if (g.heads != o.heads || g.head_begin != o.head_begin || g.cols != o.cols)
      fail("gathered " + p_.describe_buffer(gathered) + " and out " + p_.describe_buffer(out) + " differ in heads or columns");
    if (op.tag >= kNumStateRanges) fail("unknown state range " + std::to_string(op.tag));
    if (op.peer >= g.rows / o.rows)
      fail("member index " + std::to_string(op.peer) + " outside the " + std::to_string(g.rows / o.rows) + " gathered states");
  }
  void like_rows(BufferId b, BufferId ref, std::uint32_t cols, const char* what) const {
    const Buffer &x = p_.buffer(b), &r = p_.buffer(ref);
    if (!same_positions(rows(b), rows(ref)) || x.heads != r.heads || x.head_begin != r.head_begin || x.cols != cols)
      fail(std::string(what) + " " + p_.describe_buffer(b) + " does not match the rows/heads of " +
           p_.describe_buffer(ref) + " with " + std::to_string(cols) + " columns");
  }
  void same_shape(BufferId a, BufferId b, const char* what) const {
    const Buffer &x = p_.buffer(a), &y = p_.buffer(b);
    if (x.rows != y.rows || x.heads != y.heads || x.cols != y.cols || x.head_begin != y.head_begin)
      fail(std::string(what) + ": " + p_.describe_buffer(a) + " vs " + p_.describe_buffer(b));
    if (x.layout && y.layout && !same_positions(rows(a), rows(b)))
      fail(std::string(what) + ": rows hold different positions");
  }
  // Same number of rows holding the same positions (when both have positions).
  void same_rows(BufferId a, BufferId b) const {
    const Buffer &x = p_.buffer(a), &y = p_.buffer(b);
    if (x.rows != y.rows || x.layout.has_value() != y.layout.has_value() ||
        (x.layout && !same_positions(rows(a), rows(b))))
      fail(p_.describe_buffer(a) + " and " + p_.describe_buffer(b) + " must hold the same rows");
  }
  void score_rows(BufferId scores, BufferId q) const {
    const Buffer &s = p_.buffer(scores), &bq = p_.buffer(q);
    if (!s.col_layout) fail(p_.describe_buffer(scores) + " is not a score buffer");
    if (!same_positions(rows(scores), rows(q)) || s.heads != bq.heads || s.head_begin != bq.head_begin)
      fail("score rows/heads do not match " + p_.describe_buffer(q));
  }
  void cols_hold(BufferId scores, BufferId k) const {
    if (!positions_subset(rows(k), p_.layout(*p_.buffer(scores).col_layout)))
      fail(p_.describe_buffer(k) + " has positions that are not columns of " + p_.describe_buffer(scores));
  }
  void subset(BufferId sub, BufferId super, const char* a, const char* b) const {
    const Buffer &x = p_.buffer(sub), &y = p_.buffer(super);
    if (x.cols != y.cols) fail(std::string(a) + " and " + b + " have different columns");
    if (x.head_begin < y.head_begin || x.head_begin + x.heads > y.head_begin + y.heads)
      fail(std::string(a) + " heads are not within " + b + "'s heads");
    if (x.layout.has_value() != y.layout.has_value())
      fail("copy between a token buffer and a buffer without positions");
    if (x.layout) {
      if (!same_positions(rows(sub), rows(super)) && !positions_subset(rows(sub), rows(super)))
        fail(std::string(a) + " " + p_.describe_buffer(sub) + " has positions missing from " + b + " " +
             p_.describe_buffer(super));
    } else if (x.rows != y.rows) {
      fail(std::string(a) + " and " + b + " have different row counts");
    }
  }

  const Program& p_;
  OpId id_{};
};

void check_runs_to_end(const Program& p, const CommMatching& m) {
  const OpGraph graph(p);
  ReadyTracker tracker(p, graph, m);
  std::vector<LaunchUnit> units;
  std::deque<LaunchUnit> queue;
  auto pull = [&] {
    units.clear();
    tracker.take_launchable(units);
    queue.insert(queue.end(), units.begin(), units.end());
  };
  pull();
  while (!queue.empty()) {
    const LaunchUnit u = queue.front();
    queue.pop_front();
    switch (u.kind) {
      case LaunchUnit::Kind::kOp: tracker.complete(OpId(u.id)); break;
      case LaunchUnit::Kind::kP2P:
        tracker.complete(OpId(u.id));
        tracker.complete(m.partner(OpId(u.id)));
        break;
      case LaunchUnit::Kind::kCollective:
        for (OpId o : m.members(u.id)) tracker.complete(o);
        break;
    }
    pull();
  }
  if (tracker.all_complete()) return;
  std::string msg = "deadlock: " + std::to_string(p.num_ops() - tracker.num_completed()) +
                    " ops can never run";
  const auto waiting = tracker.waiting_for_partners();
  if (!waiting.empty()) {
    const OpId w = waiting.front();
    const Op& o = p.op(w);
    msg += "; e.g. " + p.describe_op(w) + " waits for ";
    if (o.kind == OpKind::kCollective) {
      for (OpId member : m.members(m.instance(w)))
        if (tracker.pending_predecessors(member) != 0) {
          msg += p.describe_op(member) + ", which is blocked";
          break;
        }
    } else {
      msg += p.describe_op(m.partner(w)) + ", which is blocked";
    }
  }
  throw ProgramError(msg);
}

void check_buffer_order(const Program& p) {
  const std::size_t n = p.num_ops(), S = p.num_streams();
  // Program order is a topological order of local edges (deps point back).
  std::vector<std::uint32_t> pos(n);  // position within its (rank, stream)
  {
    std::vector<std::uint32_t> counter(std::size_t{p.num_ranks()} * S, 0);
    for (std::size_t i = 0; i < n; ++i) {
      const Op& o = p.op(OpId(static_cast<std::uint32_t>(i)));
      pos[i] = counter[std::size_t{o.rank} * S + idx(o.stream)]++;
    }
  }
  std::vector<std::uint32_t> rank_begin(p.num_ranks() + 1, 0);
  for (std::size_t i = 0; i < n; ++i) ++rank_begin[p.op(OpId(static_cast<std::uint32_t>(i))).rank + 1];
  for (std::size_t r = 0; r < p.num_ranks(); ++r) rank_begin[r + 1] += rank_begin[r];
  std::vector<OpId> by_rank(n);
  {
    std::vector<std::uint32_t> fill(rank_begin.begin(), rank_begin.end() - 1);
    for (std::size_t i = 0; i < n; ++i)
      by_rank[fill[p.op(OpId(static_cast<std::uint32_t>(i))).rank]++] = OpId(static_cast<std::uint32_t>(i));
  }
  std::vector<std::uint32_t> local(n);  // index within its rank's list
  for (std::size_t r = 0; r < p.num_ranks(); ++r)
    for (std::uint32_t i = rank_begin[r]; i < rank_begin[r + 1]; ++i) local[idx(by_rank[i])] = i - rank_begin[r];

  std::vector<bool> preset(p.num_buffers(), false);  // written before the program starts
  for (std::size_t b = 0; b < p.num_buffers(); ++b) preset[b] = p.buffer(BufferId(static_cast<std::uint32_t>(b))).zero_init;
  for (const Binding& in : p.inputs()) preset[idx(p.root(in.buffer))] = true;

  struct State {
    std::uint32_t writer = kNone;  // last writing op
    std::vector<OpId> readers;     // reads since the last write
  };
  std::vector<State> state(p.num_buffers());
  std::vector<bool> written(p.num_buffers(), false);
  std::vector<std::uint32_t> clock;

  for (std::size_t r = 0; r < p.num_ranks(); ++r) {
    const std::uint32_t begin = rank_begin[r], count = rank_begin[r + 1] - begin;
    clock.assign(std::size_t{count} * S, 0);
    // clock[i*S + s] = 1 + highest position on stream s that happens before op i (0: none).
    std::vector<std::uint32_t> last_on(S, kNone);
    auto hb = [&](OpId a, std::uint32_t b_local) {
      return clock[std::size_t{b_local} * S + idx(p.op(a).stream)] >= pos[idx(a)] + 1;
    };
    for (std::uint32_t i = 0; i < count; ++i) {
      const OpId id = by_rank[begin + i];
      const Op& o = p.op(id);
      std::uint32_t* c = &clock[std::size_t{i} * S];
      if (last_on[idx(o.stream)] != kNone) {
        const std::uint32_t* prev = &clock[std::size_t{last_on[idx(o.stream)]} * S];
        std::copy(prev, prev + S, c);
      }
      for (OpId d : p.deps(id)) {
        const std::uint32_t* dc = &clock[std::size_t{local[idx(d)]} * S];
        for (std::size_t s = 0; s < S; ++s) c[s] = std::max(c[s], dc[s]);
      }
      c[idx(o.stream)] = pos[idx(id)] + 1;
      last_on[idx(o.stream)] = i;

      const auto operands = p.operands(id);
      // Reads first (an op may read and write one buffer, e.g. in-place all-reduce).
      for (std::size_t k = 0; k < operands.size(); ++k) {
        if (operand_access(o.kind, k) == Access::kWrite) continue;
        const BufferId root = p.root(operands[k]);
        State& st = state[idx(root)];
        if (st.writer == kNone) {
          if (!preset[idx(root)])
            throw ProgramError(p.describe_op(id) + " reads " + p.describe_buffer(operands[k]) +
                               " before any op writes it");
        } else if (!hb(OpId(st.writer), i)) {
          throw ProgramError(p.describe_op(id) + " reads " + p.describe_buffer(operands[k]) +
                             " written by " + p.describe_op(OpId(st.writer)) +
                             " without being ordered after it (missing dependency)");
        }
        st.readers.push_back(id);
      }
      for (std::size_t k = 0; k < operands.size(); ++k) {
        if (operand_access(o.kind, k) == Access::kRead) continue;
        const BufferId root = p.root(operands[k]);
        State& st = state[idx(root)];
        if (st.writer != kNone && !hb(OpId(st.writer), i))
          throw ProgramError(p.describe_op(id) + " writes " + p.describe_buffer(operands[k]) +
                             " unordered with the earlier write by " + p.describe_op(OpId(st.writer)));
        for (OpId rd : st.readers)
          if (rd != id && !hb(rd, i))
            throw ProgramError(p.describe_op(id) + " overwrites " + p.describe_buffer(operands[k]) +
                               " while " + p.describe_op(rd) + " may still read it (missing dependency)");
        st.writer = static_cast<std::uint32_t>(idx(id));
        st.readers.clear();
        written[idx(root)] = true;
      }
    }
  }
  for (const Binding& out : p.outputs()) {
    const BufferId root = p.root(out.buffer);
    if (!written[idx(root)] && !preset[idx(root)])
      throw ProgramError(p.describe_buffer(out.buffer) + " is bound to output '" +
                         std::string(tensor_name(out.tensor)) + "' but never written");
  }
}

}  // namespace

CommMatching check_program(const Program& p) {
  ShapeChecker shapes(p);
  for (std::size_t i = 0; i < p.num_ops(); ++i) shapes.check(OpId(static_cast<std::uint32_t>(i)));
  CommMatching m = match_communication(p);
  check_runs_to_end(p, m);
  check_buffer_order(p);
  return m;
}

}  // namespace spsim
