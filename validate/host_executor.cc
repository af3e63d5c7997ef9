#include "validate/host_executor.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <unordered_map>

#include "program/op_graph.h"

namespace spsim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

bool visible(TokenPos q, TokenPos k, bool causal) {
  return q.seq == k.seq && !is_padding(q.seq) && (!causal || k.pos <= q.pos);
}

// A dense [rows, heads, cols] block, for collectives.
struct Block {
  std::uint32_t rows = 0, heads = 0, cols = 0;
  std::vector<double> data;
  double& at(std::uint32_t r, std::uint32_t h, std::uint32_t c) {
    return data[(std::size_t{r} * heads + h) * cols + c];
  }
};

}  // namespace

class HostExecutor::Impl {
 public:
  Impl(const Program& p, const CommMatching& m) : p_(p), m_(m) {
    storage_.resize(p.num_buffers());
    for (std::size_t i = 0; i < p.num_buffers(); ++i) {
      const Buffer& b = p.buffer(BufferId(static_cast<std::uint32_t>(i)));
      if (!b.parent) storage_[i].assign(b.elements(), b.zero_init ? 0.0 : kNaN);
    }
  }

  void load_inputs(const TensorMap& inputs) {
    for (const Binding& bind : p_.inputs()) {
      auto it = inputs.find(bind.tensor);
      if (it == inputs.end())
        throw ProgramError("input tensor '" + std::string(tensor_name(bind.tensor)) + "' was not provided");
      const GlobalTensor& t = it->second;
      const Buffer& b = p_.buffer(bind.buffer);
      const auto& pos = positions(bind.buffer);
      if (b.cols != t.cols || b.head_begin + b.heads > t.heads)
        throw ProgramError(p_.describe_buffer(bind.buffer) + " does not fit input tensor '" +
                           std::string(tensor_name(bind.tensor)) + "'");
      for (std::uint32_t r = 0; r < b.rows; ++r) {
        // Padding rows are not part of the input: they start as zeros, as a
        // padded batch does.
        const bool pad = is_padding(pos[r].seq);
        if (!pad && !t.contains(pos[r]))
          throw ProgramError(p_.describe_buffer(bind.buffer) + " holds a token outside the input");
        for (std::uint32_t h = 0; h < b.heads; ++h)
          for (std::uint32_t c = 0; c < b.cols; ++c)
            at(bind.buffer, r, h, c) = pad ? 0.0 : t.at(pos[r], b.head_begin + h, c);
      }
    }
  }

  void run(std::uint64_t seed) {
    const OpGraph graph(p_);
    ReadyTracker tracker(p_, graph, m_);
    std::vector<LaunchUnit> pool;
    std::mt19937_64 rng(seed);
    tracker.take_launchable(pool);
    while (!pool.empty()) {
      const std::size_t pick = static_cast<std::size_t>(rng() % pool.size());
      const LaunchUnit u = pool[pick];
      pool[pick] = pool.back();
      pool.pop_back();
      switch (u.kind) {
        case LaunchUnit::Kind::kOp:
          execute(OpId(u.id));
          tracker.complete(OpId(u.id));
          break;
        case LaunchUnit::Kind::kP2P: {
          const OpId send{u.id}, recv = m_.partner(send);
          const auto from = p_.operands(send), to = p_.operands(recv);
          for (std::size_t k = 0; k < from.size(); ++k) transfer(from[k], to[k]);
          tracker.complete(send);
          tracker.complete(recv);
          break;
        }
        case LaunchUnit::Kind::kCollective:
          collective(m_.members(u.id));
          for (OpId o : m_.members(u.id)) tracker.complete(o);
          break;
      }
      tracker.take_launchable(pool);
    }
    if (!tracker.all_complete())
      throw ProgramError("deadlock: " + std::to_string(p_.num_ops() - tracker.num_completed()) +
                         " ops never became runnable (run check_program for details)");
  }

  void set_buffer(BufferId id, const std::vector<double>& values) {
    const Buffer& b = p_.buffer(id);
    if (values.size() != b.elements())
      throw ProgramError("set_buffer: " + p_.describe_buffer(id) + " has " + std::to_string(b.elements()) +
                         " elements, got " + std::to_string(values.size()));
    std::size_t e = 0;
    for (std::uint32_t r = 0; r < b.rows; ++r)
      for (std::uint32_t h = 0; h < b.heads; ++h)
        for (std::uint32_t c = 0; c < b.cols; ++c) at(id, r, h, c) = values[e++];
  }

  std::vector<double> buffer(BufferId id) {
    const Buffer& b = p_.buffer(id);
    std::vector<double> out;
    out.reserve(b.elements());
    for (std::uint32_t r = 0; r < b.rows; ++r)
      for (std::uint32_t h = 0; h < b.heads; ++h)
        for (std::uint32_t c = 0; c < b.cols; ++c) out.push_back(at(id, r, h, c));
    return out;
  }

  TensorMap collect_outputs(const TensorMap& inputs) {
    std::vector<std::int64_t> lens;
    const GlobalTensor& any = inputs.begin()->second;
    for (std::size_t s = 0; s + 1 < any.seq_offset.size(); ++s)
      lens.push_back(any.seq_offset[s + 1] - any.seq_offset[s]);
    std::map<Tensor, std::pair<std::uint32_t, std::uint32_t>> shape;  // heads, cols
    for (const Binding& bind : p_.outputs()) {
      const Buffer& b = p_.buffer(bind.buffer);
      auto& [heads, cols] = shape[bind.tensor];
      heads = std::max(heads, b.head_begin + b.heads);
      cols = b.cols;
    }
    TensorMap out;
    std::map<Tensor, std::vector<std::uint8_t>> covered;
    for (auto& [t, hc] : shape) {
      out.emplace(t, GlobalTensor(lens, hc.first, hc.second, kNaN));
      covered[t].assign(static_cast<std::size_t>(out.at(t).tokens()) * hc.first, 0);
    }
    for (const Binding& bind : p_.outputs()) {
      GlobalTensor& t = out.at(bind.tensor);
      const Buffer& b = p_.buffer(bind.buffer);
      const auto& pos = positions(bind.buffer);
      for (std::uint32_t r = 0; r < b.rows; ++r) {
        if (is_padding(pos[r].seq)) continue;  // not part of the result
        if (!t.contains(pos[r]))
          throw ProgramError(p_.describe_buffer(bind.buffer) + " holds a token outside the inputs");
        for (std::uint32_t h = 0; h < b.heads; ++h) {
          const std::uint32_t gh = b.head_begin + h;
          auto& cov = covered[bind.tensor][t.index(pos[r], gh, 0) / t.cols];
          if (cov++)
            throw ProgramError("output '" + std::string(tensor_name(bind.tensor)) +
                               "' element bound twice (" + p_.describe_buffer(bind.buffer) + ")");
          for (std::uint32_t c = 0; c < b.cols; ++c) t.at(pos[r], gh, c) = at(bind.buffer, r, h, c);
        }
      }
    }
    for (auto& [t, cov] : covered)
      if (std::find(cov.begin(), cov.end(), 0) != cov.end())
        throw ProgramError("output '" + std::string(tensor_name(t)) + "' is not fully covered by its bindings");
    return out;
  }

 private:
  double& at(BufferId id, std::uint32_t r, std::uint32_t h, std::uint32_t c) {
    const Buffer& b = p_.buffer(id);
    return storage_[idx(p_.root(id))][(std::size_t{b.row_offset + r} * b.heads + h) * b.cols + c];
  }

  const std::vector<TokenPos>& positions(BufferId id) {
    const Buffer& b = p_.buffer(id);
    if (!b.layout) throw ProgramError(p_.describe_buffer(id) + " has no token positions");
    return positions_of(*b.layout);
  }
  const std::vector<TokenPos>& positions_of(LayoutId l) {
    auto it = pos_cache_.find(idx(l));
    if (it == pos_cache_.end()) it = pos_cache_.emplace(idx(l), expand_layout(p_.layout(l))).first;
    return it->second;
  }
  // Row of `pos` in layout `l`; ProgramError if absent.
  std::uint32_t row_of(LayoutId l, TokenPos pos, BufferId for_buffer) {
    auto it = row_cache_.find(idx(l));
    if (it == row_cache_.end()) {
      std::unordered_map<std::uint64_t, std::uint32_t> m;
      const auto& ps = positions_of(l);
      for (std::uint32_t r = 0; r < ps.size(); ++r) m.emplace(key(ps[r]), r);
      it = row_cache_.emplace(idx(l), std::move(m)).first;
    }
    auto f = it->second.find(key(pos));
    if (f == it->second.end())
      throw ProgramError("token (seq " + std::to_string(pos.seq) + ", pos " + std::to_string(pos.pos) +
                         ") is not in " + p_.describe_buffer(for_buffer));
    return f->second;
  }
  static std::uint64_t key(TokenPos t) { return std::uint64_t{t.seq} << 40 | static_cast<std::uint64_t>(t.pos); }
  // Local kv head used by global query head `gh` in buffer `kv`.
  std::uint32_t kv_head(std::uint32_t gh, BufferId kv) const {
    return gh / p_.q_per_kv() - p_.buffer(kv).head_begin;
  }
  double scale_of(BufferId q) const { return 1.0 / std::sqrt(static_cast<double>(p_.buffer(q).cols)); }

  void execute(OpId id) {
    const auto o = p_.operands(id);
    const bool causal = p_.op(id).causal();
    switch (p_.op(id).kind) {
      case OpKind::kAttnFwd: return attn_fwd(o[0], o[1], o[2], o[3], o[4], causal);
      case OpKind::kAttnMerge: return attn_merge(o[0], o[1], o[2], o[3]);
      case OpKind::kAttnBwdPrep: return attn_bwd_prep(o[0], o[1], o[2]);
      case OpKind::kAttnBwd: return attn_bwd(o, causal);
      case OpKind::kRsaScores: return rsa_scores(o[0], o[1], o[2], causal);
      case OpKind::kRsaSoftmax: return rsa_softmax(o[0], o[1]);
      case OpKind::kRsaProbsV: return rsa_probs_v(o[0], o[1], o[2]);
      case OpKind::kRsaDProbs: return rsa_dprobs(o[0], o[1], o[2]);
      case OpKind::kRsaSoftmaxBwd: return rsa_softmax_bwd(o[0], o[1], o[2]);
      case OpKind::kRsaDQ: return rsa_dq(o[0], o[1], o[2]);
      case OpKind::kRsaDKFull: return rsa_dkv_full(o[0], o[1], o[2], true);
      case OpKind::kRsaDVFull: return rsa_dkv_full(o[0], o[1], o[2], false);
      case OpKind::kCopy: return copy_rows(o[0], o[1]);
      case OpKind::kAccumulate: return accumulate(o[0], o[1]);
      case OpKind::kLinState: return lin_state(o[0], o[1], o[2]);
      case OpKind::kLinIntra: return lin_intra(o[0], o[1], o[2], o[3], causal);
      case OpKind::kLinInter: return lin_inter(o[0], o[1], o[2]);
      case OpKind::kLinStateSum:
        return lin_state_sum(o[0], o[1], p_.op(id).peer, static_cast<StateRange>(p_.op(id).tag));
      case OpKind::kLinIntraBwd: return lin_intra_bwd(o, causal);
      case OpKind::kLinInterBwd: return lin_inter_bwd(o[0], o[1], o[2]);
      case OpKind::kLinDState: return lin_dstate(o[0], o[1], o[2]);
      case OpKind::kLinStateBwd: return lin_state_bwd(o[0], o[1], o[2], o[3], o[4]);
      case OpKind::kDense: return dense(o[0], o[1], p_.op(id).tag, false);
      case OpKind::kDenseBwd: return dense(o[1], o[2], p_.op(id).tag, true);
      case OpKind::kSend:
      case OpKind::kRecv:
      case OpKind::kCollective: throw ProgramError(p_.describe_op(id) + " executed outside its unit");
    }
  }

  // Linear attention (op_kind.h). A state buffer is [n_seq * d_k, heads, d_v]:
  // element (a, c) of sequence s's state for local head h is at row s*d_k + a.
  // Local state head read by global head `gh` of a query-side (q, dout) or
  // key-side (k, v) operand.
  std::uint32_t state_head(std::uint32_t gh, BufferId state, bool query_side) const {
    return (query_side ? gh / p_.q_per_kv() : gh) - p_.buffer(state).head_begin;
  }
  double& state_at(BufferId state, std::uint32_t seq, std::uint32_t d_k, std::uint32_t a,
                   std::uint32_t h, std::uint32_t c) {
    return at(state, seq * d_k + a, h, c);
  }

  void lin_state(BufferId k, BufferId v, BufferId state) {
    const Buffer &bk = p_.buffer(k), &bv = p_.buffer(v);
    const auto& pk = positions(k);
    for (std::uint32_t r = 0; r < bk.rows; ++r) {
      if (is_padding(pk[r].seq)) continue;  // padding rows take no part
      for (std::uint32_t h = 0; h < bk.heads; ++h) {
        const std::uint32_t hs = state_head(bk.head_begin + h, state, false);
        for (std::uint32_t a = 0; a < bk.cols; ++a)
          for (std::uint32_t c = 0; c < bv.cols; ++c)
            state_at(state, pk[r].seq, bk.cols, a, hs, c) += at(k, r, h, a) * at(v, r, h, c);
      }
    }
  }

  void lin_intra(BufferId q, BufferId k, BufferId v, BufferId out, bool causal) {
    const Buffer &bq = p_.buffer(q), &bk = p_.buffer(k), &bv = p_.buffer(v);
    const auto &pq = positions(q), &pk = positions(k);
    for (std::uint32_t i = 0; i < bq.rows; ++i)
      for (std::uint32_t h = 0; h < bq.heads; ++h) {
        const std::uint32_t kh = kv_head(bq.head_begin + h, k);
        for (std::uint32_t j = 0; j < bk.rows; ++j) {
          if (!visible(pq[i], pk[j], causal)) continue;
          double a = 0;
          for (std::uint32_t c = 0; c < bq.cols; ++c) a += at(q, i, h, c) * at(k, j, kh, c);
          for (std::uint32_t c = 0; c < bv.cols; ++c) at(out, i, h, c) += a * at(v, j, kh, c);
        }
      }
  }

  void lin_inter(BufferId q, BufferId state, BufferId out) {
    const Buffer &bq = p_.buffer(q), &bs = p_.buffer(state);
    const auto& pq = positions(q);
    for (std::uint32_t i = 0; i < bq.rows; ++i) {
      if (is_padding(pq[i].seq)) continue;  // padding rows take no part
      for (std::uint32_t h = 0; h < bq.heads; ++h) {
        const std::uint32_t hs = state_head(bq.head_begin + h, state, true);
        for (std::uint32_t c = 0; c < bs.cols; ++c) {
          double o = 0;
          for (std::uint32_t a = 0; a < bq.cols; ++a)
            o += at(q, i, h, a) * state_at(state, pq[i].seq, bq.cols, a, hs, c);
          at(out, i, h, c) += o;
        }
      }
    }
  }

  void lin_state_sum(BufferId gathered, BufferId out, std::uint32_t member, StateRange range) {
    const Buffer &bg = p_.buffer(gathered), &bo = p_.buffer(out);
    const std::uint32_t n = bg.rows / bo.rows;
    for (std::uint32_t r = 0; r < bo.rows; ++r)
      for (std::uint32_t h = 0; h < bo.heads; ++h)
        for (std::uint32_t c = 0; c < bo.cols; ++c) {
          double sum = 0;
          for (std::uint32_t j = 0; j < n; ++j)
            if (state_range_selects(range, member, j)) sum += at(gathered, j * bo.rows + r, h, c);
          at(out, r, h, c) = sum;
        }
  }

  void lin_intra_bwd(std::span<const BufferId> o, bool causal) {
    const BufferId q = o[0], k = o[1], v = o[2], dout = o[3], dq = o[4], dk = o[5], dv = o[6];
    const Buffer &bq = p_.buffer(q), &bk = p_.buffer(k), &bv = p_.buffer(v);
    const auto &pq = positions(q), &pk = positions(k);
    for (std::uint32_t i = 0; i < bq.rows; ++i)
      for (std::uint32_t h = 0; h < bq.heads; ++h) {
        const std::uint32_t kh = kv_head(bq.head_begin + h, k);
        for (std::uint32_t j = 0; j < bk.rows; ++j) {
          if (!visible(pq[i], pk[j], causal)) continue;
          double a = 0, da = 0;  // q_i . k_j and dout_i . v_j
          for (std::uint32_t c = 0; c < bq.cols; ++c) a += at(q, i, h, c) * at(k, j, kh, c);
          for (std::uint32_t c = 0; c < bv.cols; ++c) da += at(dout, i, h, c) * at(v, j, kh, c);
          for (std::uint32_t c = 0; c < bq.cols; ++c) {
            at(dq, i, h, c) += da * at(k, j, kh, c);
            at(dk, j, kh, c) += da * at(q, i, h, c);
          }
          for (std::uint32_t c = 0; c < bv.cols; ++c) at(dv, j, kh, c) += a * at(dout, i, h, c);
        }
      }
  }

  void lin_inter_bwd(BufferId dout, BufferId state, BufferId dq) {
    const Buffer &bd = p_.buffer(dout), &bq = p_.buffer(dq);
    const auto& pd = positions(dout);
    for (std::uint32_t i = 0; i < bd.rows; ++i) {
      if (is_padding(pd[i].seq)) continue;  // padding rows take no part
      for (std::uint32_t h = 0; h < bd.heads; ++h) {
        const std::uint32_t hs = state_head(bd.head_begin + h, state, true);
        for (std::uint32_t a = 0; a < bq.cols; ++a) {
          double g = 0;
          for (std::uint32_t c = 0; c < bd.cols; ++c)
            g += state_at(state, pd[i].seq, bq.cols, a, hs, c) * at(dout, i, h, c);
          at(dq, i, h, a) += g;
        }
      }
    }
  }

  void lin_dstate(BufferId q, BufferId dout, BufferId dstate) {
    const Buffer &bq = p_.buffer(q), &bd = p_.buffer(dout);
    const auto& pq = positions(q);
    for (std::uint32_t r = 0; r < bq.rows; ++r) {
      if (is_padding(pq[r].seq)) continue;  // padding rows take no part
      for (std::uint32_t h = 0; h < bq.heads; ++h) {
        const std::uint32_t hs = state_head(bq.head_begin + h, dstate, true);
        for (std::uint32_t a = 0; a < bq.cols; ++a)
          for (std::uint32_t c = 0; c < bd.cols; ++c)
            state_at(dstate, pq[r].seq, bq.cols, a, hs, c) += at(q, r, h, a) * at(dout, r, h, c);
      }
    }
  }

  // out[r] = W x[r] (forward) or out[r] = W^T x[r] (transpose: DenseBwd's din),
  // rows flattened over (heads, cols); W from dense_weight().
  void dense(BufferId x, BufferId out, std::uint32_t seed, bool transpose) {
    const Buffer &bx = p_.buffer(x), &bo = p_.buffer(out);
    const std::uint64_t nx = std::uint64_t{bx.heads} * bx.cols, no = std::uint64_t{bo.heads} * bo.cols;
    // Forward: W is [no x nx]; transposed use: W is [nx x no] and we apply W^T.
    const std::uint64_t in_features = transpose ? no : nx;
    std::vector<double> xr(nx);
    for (std::uint32_t r = 0; r < bx.rows; ++r) {
      for (std::uint64_t e = 0; e < nx; ++e)
        xr[e] = at(x, r, static_cast<std::uint32_t>(e / bx.cols), static_cast<std::uint32_t>(e % bx.cols));
      for (std::uint64_t i = 0; i < no; ++i) {
        double acc = 0;
        for (std::uint64_t j = 0; j < nx; ++j)
          acc += (transpose ? dense_weight(seed, j, i, in_features) : dense_weight(seed, i, j, in_features)) * xr[j];
        at(out, r, static_cast<std::uint32_t>(i / bo.cols), static_cast<std::uint32_t>(i % bo.cols)) = acc;
      }
    }
  }

  void lin_state_bwd(BufferId k, BufferId v, BufferId dstate, BufferId dk, BufferId dv) {
    const Buffer &bk = p_.buffer(k), &bv = p_.buffer(v);
    const auto& pk = positions(k);
    for (std::uint32_t r = 0; r < bk.rows; ++r) {
      if (is_padding(pk[r].seq)) continue;  // padding rows take no part
      for (std::uint32_t h = 0; h < bk.heads; ++h) {
        const std::uint32_t hs = state_head(bk.head_begin + h, dstate, false);
        const std::uint32_t seq = pk[r].seq;
        for (std::uint32_t a = 0; a < bk.cols; ++a) {
          double g = 0;  // (D v_r)[a]
          for (std::uint32_t c = 0; c < bv.cols; ++c) g += state_at(dstate, seq, bk.cols, a, hs, c) * at(v, r, h, c);
          at(dk, r, h, a) += g;
        }
        for (std::uint32_t c = 0; c < bv.cols; ++c) {
          double g = 0;  // (D^T k_r)[c]
          for (std::uint32_t a = 0; a < bk.cols; ++a) g += state_at(dstate, seq, bk.cols, a, hs, c) * at(k, r, h, a);
          at(dv, r, h, c) += g;
        }
      }
    }
  }

  void attn_fwd(BufferId q, BufferId k, BufferId v, BufferId out, BufferId lse, bool causal) {
    const Buffer &bq = p_.buffer(q), &bk = p_.buffer(k), &bv = p_.buffer(v);
    const auto &pq = positions(q), &pk = positions(k);
    const double scale = scale_of(q);
    std::vector<double> s(bk.rows);
    for (std::uint32_t i = 0; i < bq.rows; ++i)
      for (std::uint32_t h = 0; h < bq.heads; ++h) {
        const std::uint32_t kh = kv_head(bq.head_begin + h, k);
        double m = kNegInf;
        bool poisoned = false;  // NaN from unwritten memory must reach the result
        for (std::uint32_t j = 0; j < bk.rows; ++j) {
          s[j] = kNegInf;
          if (!visible(pq[i], pk[j], causal)) continue;
          double dot = 0;
          for (std::uint32_t c = 0; c < bq.cols; ++c) dot += at(q, i, h, c) * at(k, j, kh, c);
          s[j] = scale * dot;
          poisoned |= std::isnan(s[j]);
          m = std::max(m, s[j]);
        }
        for (std::uint32_t c = 0; c < bv.cols; ++c) at(out, i, h, c) = poisoned ? kNaN : 0;
        if (poisoned) {
          at(lse, i, h, 0) = kNaN;
          continue;
        }
        if (m == kNegInf) {
          at(lse, i, h, 0) = kNegInf;
          continue;
        }
        double sum = 0;
        for (std::uint32_t j = 0; j < bk.rows; ++j) sum += s[j] == kNegInf ? 0 : std::exp(s[j] - m);
        const double l = m + std::log(sum);
        at(lse, i, h, 0) = l;
        for (std::uint32_t j = 0; j < bk.rows; ++j) {
          if (s[j] == kNegInf) continue;
          const double pr = std::exp(s[j] - l);
          for (std::uint32_t c = 0; c < bv.cols; ++c) at(out, i, h, c) += pr * at(v, j, kh, c);
        }
      }
  }

  void attn_merge(BufferId out, BufferId lse, BufferId pout, BufferId plse) {
    const Buffer& b = p_.buffer(out);
    for (std::uint32_t i = 0; i < b.rows; ++i)
      for (std::uint32_t h = 0; h < b.heads; ++h) {
        const double la = at(lse, i, h, 0), lb = at(plse, i, h, 0);
        if (lb == kNegInf) continue;
        if (la == kNegInf) {
          at(lse, i, h, 0) = lb;
          for (std::uint32_t c = 0; c < b.cols; ++c) at(out, i, h, c) = at(pout, i, h, c);
          continue;
        }
        const double m = std::max(la, lb);
        const double l = m + std::log(std::exp(la - m) + std::exp(lb - m));
        const double wa = std::exp(la - l), wb = std::exp(lb - l);
        for (std::uint32_t c = 0; c < b.cols; ++c)
          at(out, i, h, c) = wa * at(out, i, h, c) + wb * at(pout, i, h, c);
        at(lse, i, h, 0) = l;
      }
  }

  void attn_bwd_prep(BufferId out, BufferId dout, BufferId delta) {
    const Buffer& b = p_.buffer(out);
    for (std::uint32_t i = 0; i < b.rows; ++i)
      for (std::uint32_t h = 0; h < b.heads; ++h) {
        double d = 0;
        for (std::uint32_t c = 0; c < b.cols; ++c) d += at(out, i, h, c) * at(dout, i, h, c);
        at(delta, i, h, 0) = d;
      }
  }

  void attn_bwd(std::span<const BufferId> o, bool causal) {
    const BufferId q = o[0], k = o[1], v = o[2], dout = o[3], lse = o[4], delta = o[5], dq = o[6],
                   dk = o[7], dv = o[8];
    const Buffer &bq = p_.buffer(q), &bk = p_.buffer(k), &bv = p_.buffer(v);
    const auto &pq = positions(q), &pk = positions(k);
    const double scale = scale_of(q);
    for (std::uint32_t i = 0; i < bq.rows; ++i)
      for (std::uint32_t h = 0; h < bq.heads; ++h) {
        const std::uint32_t kh = kv_head(bq.head_begin + h, k);
        const double l = at(lse, i, h, 0), dl = at(delta, i, h, 0);
        if (l == kNegInf) continue;
        for (std::uint32_t j = 0; j < bk.rows; ++j) {
          if (!visible(pq[i], pk[j], causal)) continue;
          double dot = 0;
          for (std::uint32_t c = 0; c < bq.cols; ++c) dot += at(q, i, h, c) * at(k, j, kh, c);
          const double pr = std::exp(scale * dot - l);
          double dp = 0;
          for (std::uint32_t c = 0; c < bv.cols; ++c) {
            at(dv, j, kh, c) += pr * at(dout, i, h, c);
            dp += at(dout, i, h, c) * at(v, j, kh, c);
          }
          const double ds = pr * (dp - dl);
          for (std::uint32_t c = 0; c < bq.cols; ++c) {
            at(dq, i, h, c) += scale * ds * at(k, j, kh, c);
            at(dk, j, kh, c) += scale * ds * at(q, i, h, c);
          }
        }
      }
  }

  // Column of each row of `keys` in score buffer `scores`.
  std::vector<std::uint32_t> columns(BufferId scores, BufferId keys) {
    const LayoutId cl = *p_.buffer(scores).col_layout;
    const auto& pk = positions(keys);
    std::vector<std::uint32_t> cols(pk.size());
    for (std::size_t j = 0; j < pk.size(); ++j) cols[j] = row_of(cl, pk[j], scores);
    return cols;
  }

  void rsa_scores(BufferId q, BufferId k, BufferId scores, bool causal) {
    const Buffer &bq = p_.buffer(q), &bk = p_.buffer(k);
    const auto &pq = positions(q), &pk = positions(k);
    const auto col = columns(scores, k);
    const double scale = scale_of(q);
    for (std::uint32_t i = 0; i < bq.rows; ++i)
      for (std::uint32_t h = 0; h < bq.heads; ++h) {
        const std::uint32_t kh = kv_head(bq.head_begin + h, k);
        for (std::uint32_t j = 0; j < bk.rows; ++j) {
          double val = kNegInf;
          if (visible(pq[i], pk[j], causal)) {
            double dot = 0;
            for (std::uint32_t c = 0; c < bq.cols; ++c) dot += at(q, i, h, c) * at(k, j, kh, c);
            val = scale * dot;
          }
          at(scores, i, h, col[j]) = val;
        }
      }
  }

  void rsa_softmax(BufferId scores, BufferId probs) {
    const Buffer& b = p_.buffer(scores);
    for (std::uint32_t i = 0; i < b.rows; ++i)
      for (std::uint32_t h = 0; h < b.heads; ++h) {
        double m = kNegInf;
        bool poisoned = false;
        for (std::uint32_t c = 0; c < b.cols; ++c) {
          poisoned |= std::isnan(at(scores, i, h, c));
          m = std::max(m, at(scores, i, h, c));
        }
        if (poisoned) {
          for (std::uint32_t c = 0; c < b.cols; ++c) at(probs, i, h, c) = kNaN;
          continue;
        }
        double sum = 0;
        for (std::uint32_t c = 0; c < b.cols; ++c) {
          const double s = at(scores, i, h, c);
          sum += (m == kNegInf || s == kNegInf) ? 0 : std::exp(s - m);
        }
        for (std::uint32_t c = 0; c < b.cols; ++c) {
          const double s = at(scores, i, h, c);
          at(probs, i, h, c) = (m == kNegInf || s == kNegInf) ? 0 : std::exp(s - m) / sum;
        }
      }
  }

  void rsa_probs_v(BufferId probs, BufferId v, BufferId out) {
    const Buffer &bp = p_.buffer(probs), &bv = p_.buffer(v);
    const auto col = columns(probs, v);
    for (std::uint32_t i = 0; i < bp.rows; ++i)
      for (std::uint32_t h = 0; h < bp.heads; ++h) {
        const std::uint32_t kh = kv_head(bp.head_begin + h, v);
        for (std::uint32_t j = 0; j < bv.rows; ++j) {
          const double pr = at(probs, i, h, col[j]);
          for (std::uint32_t c = 0; c < bv.cols; ++c) at(out, i, h, c) += pr * at(v, j, kh, c);
        }
      }
  }

  void rsa_dprobs(BufferId dout, BufferId v, BufferId dprobs) {
    const Buffer &bd = p_.buffer(dout), &bv = p_.buffer(v);
    const auto col = columns(dprobs, v);
    for (std::uint32_t i = 0; i < bd.rows; ++i)
      for (std::uint32_t h = 0; h < bd.heads; ++h) {
        const std::uint32_t kh = kv_head(bd.head_begin + h, v);
        for (std::uint32_t j = 0; j < bv.rows; ++j) {
          double dot = 0;
          for (std::uint32_t c = 0; c < bv.cols; ++c) dot += at(dout, i, h, c) * at(v, j, kh, c);
          at(dprobs, i, h, col[j]) = dot;
        }
      }
  }

  void rsa_softmax_bwd(BufferId probs, BufferId dprobs, BufferId dscores) {
    const Buffer& b = p_.buffer(probs);
    for (std::uint32_t i = 0; i < b.rows; ++i)
      for (std::uint32_t h = 0; h < b.heads; ++h) {
        double dot = 0;
        for (std::uint32_t c = 0; c < b.cols; ++c) dot += at(probs, i, h, c) * at(dprobs, i, h, c);
        for (std::uint32_t c = 0; c < b.cols; ++c)
          at(dscores, i, h, c) = at(probs, i, h, c) * (at(dprobs, i, h, c) - dot);
      }
  }

  void rsa_dq(BufferId dscores, BufferId k, BufferId dq) {
    const Buffer &bs = p_.buffer(dscores), &bk = p_.buffer(k);
    const auto col = columns(dscores, k);
    const double scale = scale_of(dq);
    for (std::uint32_t i = 0; i < bs.rows; ++i)
      for (std::uint32_t h = 0; h < bs.heads; ++h) {
        const std::uint32_t kh = kv_head(bs.head_begin + h, k);
        for (std::uint32_t j = 0; j < bk.rows; ++j) {
          const double ds = at(dscores, i, h, col[j]);
          for (std::uint32_t c = 0; c < bk.cols; ++c) at(dq, i, h, c) += scale * ds * at(k, j, kh, c);
        }
      }
  }

  // dk_full += scale ds^T q (is_k) or dv_full += p^T dout, rows matched to columns.
  void rsa_dkv_full(BufferId s, BufferId x, BufferId full, bool is_k) {
    const Buffer &bs = p_.buffer(s), &bf = p_.buffer(full);
    const auto col = columns(s, full);
    const double scale = is_k ? scale_of(x) : 1.0;
    for (std::uint32_t i = 0; i < bs.rows; ++i)
      for (std::uint32_t h = 0; h < bs.heads; ++h) {
        const std::uint32_t kh = kv_head(bs.head_begin + h, full);
        for (std::uint32_t r = 0; r < bf.rows; ++r) {
          const double w = scale * at(s, i, h, col[r]);
          for (std::uint32_t c = 0; c < bf.cols; ++c) at(full, r, kh, c) += w * at(x, i, h, c);
        }
      }
  }

  // A message: element i of the send buffer lands in element i of the receive
  // buffer (the checker guarantees equal shapes, positions and heads).
  void transfer(BufferId src, BufferId dst) {
    const Buffer& b = p_.buffer(src);
    for (std::uint32_t r = 0; r < b.rows; ++r)
      for (std::uint32_t h = 0; h < b.heads; ++h)
        for (std::uint32_t c = 0; c < b.cols; ++c) at(dst, r, h, c) = at(src, r, h, c);
  }

  // dst[row of the same position, head] = src (gather by position), or by row
  // index for buffers without positions.
  void copy_rows(BufferId src, BufferId dst) { move_rows(src, dst, false); }
  void accumulate(BufferId src, BufferId dst) { move_rows(src, dst, true); }

  void move_rows(BufferId src, BufferId dst, bool add) {
    const Buffer &bs = p_.buffer(src), &bd = p_.buffer(dst);
    const bool positional = bs.layout && bd.layout;
    // Iterate the side whose rows must all be found in the other.
    const BufferId iter = add ? src : dst, other = add ? dst : src;
    const Buffer& bi = p_.buffer(iter);
    const auto* pi = positional ? &positions(iter) : nullptr;
    const std::uint32_t hb = std::max(bs.head_begin, bd.head_begin);
    const std::uint32_t he = std::min(bs.head_begin + bs.heads, bd.head_begin + bd.heads);
    for (std::uint32_t r = 0; r < bi.rows; ++r) {
      const std::uint32_t ro = positional ? row_of(*p_.buffer(other).layout, (*pi)[r], other) : r;
      const std::uint32_t rs = add ? r : ro, rd = add ? ro : r;
      for (std::uint32_t gh = hb; gh < he; ++gh)
        for (std::uint32_t c = 0; c < bd.cols; ++c) {
          double& d = at(dst, rd, gh - bd.head_begin, c);
          const double v = at(src, rs, gh - bs.head_begin, c);
          d = add ? d + v : v;
        }
    }
  }

  Block read_block(BufferId id) {
    const Buffer& b = p_.buffer(id);
    Block blk{b.rows, b.heads, b.cols, {}};
    blk.data.resize(b.elements());
    for (std::uint32_t r = 0; r < b.rows; ++r)
      for (std::uint32_t h = 0; h < b.heads; ++h)
        for (std::uint32_t c = 0; c < b.cols; ++c) blk.at(r, h, c) = at(id, r, h, c);
    return blk;
  }
  // Part `j` of `n` of a block along an axis.
  static Block part(Block& b, Axis axis, std::uint32_t j, std::uint32_t n) {
    Block out = b;
    if (axis == Axis::kRows) out.rows = b.rows / n; else out.heads = b.heads / n;
    out.data.assign(std::size_t{out.rows} * out.heads * out.cols, 0);
    for (std::uint32_t r = 0; r < out.rows; ++r)
      for (std::uint32_t h = 0; h < out.heads; ++h)
        for (std::uint32_t c = 0; c < out.cols; ++c)
          out.at(r, h, c) = axis == Axis::kRows ? b.at(j * out.rows + r, h, c) : b.at(r, j * out.heads + h, c);
    return out;
  }
  // Writes `blk` into buffer `id` at part `j` along an axis (or all of it).
  void write_part(BufferId id, Block& blk, Axis axis, std::uint32_t j) {
    for (std::uint32_t r = 0; r < blk.rows; ++r)
      for (std::uint32_t h = 0; h < blk.heads; ++h)
        for (std::uint32_t c = 0; c < blk.cols; ++c) {
          const std::uint32_t rr = axis == Axis::kRows ? j * blk.rows + r : r;
          const std::uint32_t hh = axis == Axis::kHeads ? j * blk.heads + h : h;
          at(id, rr, hh, c) = blk.at(r, h, c);
        }
  }

  void collective(std::span<const OpId> ops) {
    const auto n = static_cast<std::uint32_t>(ops.size());
    const CollectiveSpec spec = CollectiveSpec::decode(p_.op(ops[0]).tag);
    std::vector<Block> in;
    for (OpId o : ops) in.push_back(read_block(p_.operands(o)[0]));  // all reads before any write
    auto out_of = [&](std::uint32_t j) { return p_.operands(ops[j])[1]; };
    switch (spec.kind) {
      case CollectiveKind::kAllGather:
        for (std::uint32_t j = 0; j < n; ++j)
          for (std::uint32_t m = 0; m < n; ++m) write_part(out_of(j), in[m], spec.axis, m);
        break;
      case CollectiveKind::kReduceScatter:
        for (std::uint32_t j = 0; j < n; ++j) {
          Block sum = part(in[0], spec.axis, j, n);
          for (std::uint32_t m = 1; m < n; ++m) {
            const Block x = part(in[m], spec.axis, j, n);
            for (std::size_t e = 0; e < sum.data.size(); ++e) sum.data[e] += x.data[e];
          }
          write_part(out_of(j), sum, Axis::kRows, 0);
        }
        break;
      case CollectiveKind::kAllToAll:
        for (std::uint32_t j = 0; j < n; ++j)
          for (std::uint32_t m = 0; m < n; ++m) {
            Block x = part(in[m], spec.split, j, n);
            write_part(out_of(j), x, spec.axis, m);
          }
        break;
      case CollectiveKind::kAllReduce: {
        Block sum = in[0];
        for (std::uint32_t m = 1; m < n; ++m)
          for (std::size_t e = 0; e < sum.data.size(); ++e) sum.data[e] += in[m].data[e];
        for (std::uint32_t j = 0; j < n; ++j) write_part(out_of(j), sum, Axis::kRows, 0);
        break;
      }
      case CollectiveKind::kBroadcast:
        for (std::uint32_t j = 0; j < n; ++j) write_part(out_of(j), in[spec.root], Axis::kRows, 0);
        break;
    }
  }

  const Program& p_;
  const CommMatching& m_;
  std::vector<std::vector<double>> storage_;
  std::unordered_map<std::size_t, std::vector<TokenPos>> pos_cache_;
  std::unordered_map<std::size_t, std::unordered_map<std::uint64_t, std::uint32_t>> row_cache_;
};

HostExecutor::HostExecutor(const Program& program, const CommMatching& matching)
    : impl_(std::make_unique<Impl>(program, matching)) {}
HostExecutor::~HostExecutor() = default;
void HostExecutor::load_inputs(const TensorMap& inputs) { impl_->load_inputs(inputs); }
void HostExecutor::set_buffer(BufferId buffer, const std::vector<double>& values) { impl_->set_buffer(buffer, values); }
void HostExecutor::run(std::uint64_t order_seed) { impl_->run(order_seed); }
std::vector<double> HostExecutor::buffer(BufferId buffer) const { return impl_->buffer(buffer); }
TensorMap HostExecutor::collect_outputs(const TensorMap& inputs) { return impl_->collect_outputs(inputs); }

TensorMap run_on_host(const Program& program, const CommMatching& matching,
                      const TensorMap& inputs, const HostRunOptions& options) {
  if (inputs.empty()) throw ProgramError("run_on_host needs at least one input tensor");
  HostExecutor ex(program, matching);
  ex.load_inputs(inputs);
  ex.run(options.order_seed);
  return ex.collect_outputs(inputs);
}

}  // namespace spsim
