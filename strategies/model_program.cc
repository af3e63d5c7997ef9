#include "strategies/model_program.h"

#include <set>

#include "program/input_error.h"

namespace spsim {

Workload model_workload(const ModelSpec& model, std::vector<std::int64_t> seq_lens, DType dtype, Pass pass) {
  Workload w;
  w.seq_lens = std::move(seq_lens);
  w.heads = model.heads;
  w.kv_heads = model.kv_heads;
  w.head_dim = model.head_dim;
  w.dtype = dtype;
  w.causal = model.causal;
  w.pass = pass;
  return w;
}

std::string_view scope_name(Scope scope) { return scope == Scope::kModel ? "model" : "attention"; }

std::string_view recompute_name(Recompute r) {
  switch (r) {
    case Recompute::kNone: return "none";
    case Recompute::kSelective: return "selective";
    case Recompute::kFull: return "full";
  }
  return "?";
}

std::optional<Recompute> parse_recompute(std::string_view name) {
  for (Recompute r : {Recompute::kNone, Recompute::kSelective, Recompute::kFull})
    if (name == recompute_name(r)) return r;
  return std::nullopt;
}

std::optional<Scope> parse_scope(std::string_view name) {
  if (name == "model") return Scope::kModel;
  if (name == "attention") return Scope::kAttention;
  return std::nullopt;
}

namespace {

// Attention layers alone (Scope::kAttention): no projections, no MLP.
Program lower_attention_layers(const Strategy& s, const ModelStep& step, const Workload& w, ProgramBuilder& b,
                               std::span<const LayoutId> layout);

// The options of layer l: its attention kind from the model's pattern.
StrategyOptions layer_options(const ModelStep& step, std::uint32_t layer) {
  StrategyOptions o = step.options;
  o.layer_kind = step.model.attention.kind(layer);
  return o;
}

std::set<AttentionKind> kinds_used(const ModelStep& step) {
  std::set<AttentionKind> kinds;
  for (std::uint32_t l = 0; l < step.layers; ++l) kinds.insert(step.model.attention.kind(l));
  return kinds;
}

}  // namespace

std::optional<std::string> refuse_model_step(const Strategy& s, const ModelStep& step) {
  const Workload padded = padded_workload(s, step.workload, step.options);
  for (AttentionKind kind : kinds_used(step)) {
    StrategyOptions o = step.options;
    o.layer_kind = kind;
    if (auto why = refuse_layer_kind(s, o))
      return std::string(step.model.name) + " has " + std::string(attention_kind_name(kind)) + " layers; " + *why;
    if (auto why = s.refuse(padded, o)) return why;
  }
  // Consecutive layers must agree on the token layout (no re-sharding between layers).
  if (kinds_used(step).size() > 1) {
    for (std::uint32_t i = 0; i < step.options.sp; ++i) {
      StrategyOptions a = step.options, b = step.options;
      a.layer_kind = AttentionKind::kSoftmax;
      b.layer_kind = AttentionKind::kLinear;
      if (s.shard_layout(padded, a, i) != s.shard_layout(padded, b, i))
        return "its softmax and linear layers shard tokens differently";
    }
  }
  return std::nullopt;
}

Program lower_model_step(const Strategy& s, const ModelStep& step) {
  const ModelSpec& m = step.model;
  validate_workload(step.workload);
  // Sequences padded to the strategy's multiple; the builder marks the padding.
  const Workload w = padded_workload(s, step.workload, step.options);
  if (step.layers == 0 || step.layers > m.layers)
    throw InputError("--layers", "must be in 1.." + std::to_string(m.layers) + " for " + m.name + ", got " +
                                     std::to_string(step.layers));
  if (auto why = refuse_model_step(s, step)) throw InputError("--strategy " + std::string(s.name()), *why);
  const std::uint32_t P = step.options.sp;
  ProgramBuilder b(P, w.q_per_kv());
  b.set_op_limit(step.options.max_ops);
  if (w.seq_lens != step.workload.seq_lens) b.set_real_lengths(step.workload.seq_lens);
  const StreamId compute = b.stream("compute");
  std::vector<RankId> ranks(P);
  for (RankId r = 0; r < P; ++r) ranks[r] = r;
  std::vector<LayoutId> layout(P);
  for (std::uint32_t i = 0; i < P; ++i) layout[i] = b.layout(s.shard_layout(w, layer_options(step, 0), i));
  if (step.scope == Scope::kAttention) return lower_attention_layers(s, step, w, b, layout);

  auto tokens = [&](std::uint32_t i, const char* name, std::uint32_t heads, std::uint32_t dim, bool zero = false) {
    return b.token_buffer(ranks[i], name, w.dtype, layout[i], 0, heads, dim, zero);
  };
  // Weight seeds: 16 per layer (q, k, v, o, up, gate, down).
  auto seed = [](std::uint32_t layer, std::uint32_t k) { return layer * 16 + k; };
  const bool gated = m.mlp() == MlpKind::kGated;

  // What the backward needs of each layer; vectors are per member.
  struct LayerState {
    LayerInputs in;
    LayerForward fwd;
    std::vector<BufferId> x, y, mid;  // layer input, attention block output, MLP hidden (g or h)
  };
  std::vector<LayerState> layers(step.layers);
  // Layer l's forward from its input x (ready after `ready`): fills `st` and
  // returns the layer's output and the ops after which it is ready. The
  // backward calls it again to recompute a layer (Recompute::kFull).
  struct LayerOutput {
    std::vector<BufferId> x;
    std::vector<Deps> ready;
  };
  auto layer_forward = [&](std::uint32_t l, LayerState& st, const std::vector<BufferId>& x,
                           const std::vector<Deps>& ready) {
    const StrategyOptions o = layer_options(step, l);
    const LayerContext ctx{w, o, ranks, static_cast<std::uint16_t>(l)};
    st.x = x;
    st.in.ready.resize(P);
    for (std::uint32_t i = 0; i < P; ++i) {
      st.in.q.push_back(tokens(i, "q", w.heads, w.head_dim));
      st.in.k.push_back(tokens(i, "k", w.kv_heads, w.head_dim));
      st.in.v.push_back(tokens(i, "v", w.kv_heads, w.head_dim));
      st.in.ready[i] = {b.dense(compute, x[i], st.in.q[i], seed(l, 0), ready[i]),
                        b.dense(compute, x[i], st.in.k[i], seed(l, 1), ready[i]),
                        b.dense(compute, x[i], st.in.v[i], seed(l, 2), ready[i])};
    }
    st.fwd = s.forward(b, ctx, st.in);
    b.set_step(0);
    LayerOutput out{std::vector<BufferId>(P), std::vector<Deps>(P)};
    for (std::uint32_t i = 0; i < P; ++i) {
      st.y.push_back(tokens(i, "y", 1, m.hidden));
      const OpId o_proj = b.dense(compute, st.fwd.out[i], st.y[i], seed(l, 3), Deps(st.fwd.done[i]));
      st.mid.push_back(tokens(i, gated ? "g" : "h", 1, m.ffn_hidden));
      const OpId up = b.dense(compute, st.y[i], st.mid[i], seed(l, 4), {o_proj});
      std::optional<OpId> gate;
      if (gated) gate = b.dense(compute, st.y[i], tokens(i, "u", 1, m.ffn_hidden), seed(l, 5), {o_proj});
      out.x[i] = tokens(i, "x", 1, m.hidden);
      out.ready[i] = Deps{b.dense(compute, st.mid[i], out.x[i], seed(l, 6), {up, gate})};
    }
    return out;
  };
  // The residual stream entering the first layer: the embeddings' output, taken as given.
  LayerOutput cur{std::vector<BufferId>(P), std::vector<Deps>(P)};
  for (std::uint32_t i = 0; i < P; ++i) cur.x[i] = tokens(i, "x", 1, m.hidden, /*zero=*/true);
  for (std::uint32_t l = 0; l < step.layers; ++l) {
    b.set_layer(static_cast<std::uint16_t>(l));
    b.set_step(0);
    cur = layer_forward(l, layers[l], cur.x, cur.ready);
  }

  // The output head and the cross-entropy loss, per chunk of the rank's rows
  // (ModelStep::loss_chunks): logits = W_head x (workload dtype), their fp32
  // copy (the loss upcasts, as Megatron's fused cross-entropy does), and for
  // training at once the logits' gradient (modelled as its memory traffic: a
  // pass over the fp32 logits into the workload dtype) and the head's DenseBwd
  // into dx. The chunk's logits die there, so one chunk holds C x V logits
  // at once and k chunks C/k x V (chunked / fused linear cross-entropy).
  b.set_layer(static_cast<std::uint16_t>(step.layers));
  b.set_step(0);
  std::vector<BufferId> dx(P);
  std::vector<Deps> dx_ready(P);
  for (std::uint32_t i = 0; i < P; ++i) {
    const BufferId x = cur.x[i];
    const std::uint32_t rows = b.program().buffer(x).rows;
    if (step.loss_chunks == 0 || step.loss_chunks > std::max<std::uint32_t>(rows, 1))
      throw InputError("--loss-chunks", "must be in 1.." + std::to_string(std::max<std::uint32_t>(rows, 1)) +
                                            " (the tokens of a rank), got " + std::to_string(step.loss_chunks));
    if (w.backward()) dx[i] = tokens(i, "dx", 1, m.hidden);
    std::optional<OpId> last;  // chunks run one after another
    for (std::uint32_t c = 0; c < step.loss_chunks; ++c) {
      const std::uint32_t begin = static_cast<std::uint32_t>(std::uint64_t{rows} * c / step.loss_chunks);
      const std::uint32_t end = static_cast<std::uint32_t>(std::uint64_t{rows} * (c + 1) / step.loss_chunks);
      if (end == begin) continue;
      const BufferId xs = end - begin == rows ? x : b.row_view(x, begin, end - begin);
      const LayoutId rows_layout = *b.program().buffer(xs).layout;
      const BufferId logits = b.token_buffer(ranks[i], "logits", w.dtype, rows_layout, 0, 1, m.vocab);
      const BufferId logits32 = b.token_buffer(ranks[i], "logits_fp32", DType::kF32, rows_layout, 0, 1, m.vocab);
      Deps head_deps(cur.ready[i]);
      head_deps.add(last);
      const OpId head = b.dense(compute, xs, logits, seed(m.layers, 0), head_deps);
      last = b.copy(compute, logits, logits32, {head});
      if (!w.backward()) continue;
      const BufferId dlogits = b.token_buffer(ranks[i], "dlogits", w.dtype, rows_layout, 0, 1, m.vocab);
      const OpId dl = b.copy(compute, logits32, dlogits, {last});
      const BufferId dxs = end - begin == rows ? dx[i] : b.row_view(dx[i], begin, end - begin);
      last = b.dense_bwd(compute, xs, dlogits, dxs, seed(m.layers, 0), {dl});
      dx_ready[i].add(last);
    }
  }
  if (!w.backward()) return std::move(b).finish();

  // Backward, last layer first, from the loss's gradient dx.
  for (std::uint32_t l = step.layers; l-- > 0;) {
    b.set_layer(static_cast<std::uint16_t>(l));
    b.set_step(0);
    const StrategyOptions o = layer_options(step, l);
    const LayerContext ctx{w, o, ranks, static_cast<std::uint16_t>(l)};
    // Recomputation, issued when the backward reaches the layer (after the
    // later layers' backward on the compute stream), from what was kept.
    LayerState recomputed;
    if (step.recompute == Recompute::kFull) {
      layer_forward(l, recomputed, layers[l].x, dx_ready);  // its output is not needed
    } else if (step.recompute == Recompute::kSelective) {
      recomputed = layers[l];
      for (std::uint32_t i = 0; i < P; ++i)
        recomputed.in.ready[i].assign(dx_ready[i].ids().begin(), dx_ready[i].ids().end());
      recomputed.fwd = s.forward(b, ctx, recomputed.in);
      b.set_step(0);
    }
    const LayerState& st = step.recompute == Recompute::kNone ? layers[l] : recomputed;
    LayerBackwardInputs grad;
    grad.ready.resize(P);
    for (std::uint32_t i = 0; i < P; ++i) {
      const BufferId dmid = tokens(i, "dmid", 1, m.ffn_hidden);
      const OpId down = b.dense_bwd(compute, st.mid[i], dx[i], dmid, seed(l, 6), dx_ready[i]);
      const BufferId dy = tokens(i, "dy", 1, m.hidden);
      OpId last = b.dense_bwd(compute, st.y[i], dmid, dy, seed(l, 4), {down});
      if (gated) {
        // The gate's GEMMs (its input gradient added into dy); the activation's
        // own derivative is not modelled, so dmid stands in for both branches.
        const BufferId dy2 = tokens(i, "dy2", 1, m.hidden);
        const OpId g = b.dense_bwd(compute, st.y[i], dmid, dy2, seed(l, 5), {down});
        last = b.accumulate(compute, dy2, dy, {last, g});
      }
      grad.dout.push_back(tokens(i, "dout", w.heads, w.head_dim));
      grad.ready[i] = {b.dense_bwd(compute, st.fwd.out[i], dy, grad.dout[i], seed(l, 3), {last})};
    }
    const LayerBackward bwd = s.backward(b, ctx, st.in, st.fwd, grad);
    b.set_step(0);
    for (std::uint32_t i = 0; i < P; ++i) {
      const Deps done(bwd.done[i]);
      const BufferId dxq = tokens(i, "dx", 1, m.hidden), dxk = tokens(i, "dxk", 1, m.hidden),
                     dxv = tokens(i, "dxv", 1, m.hidden);
      const OpId a = b.dense_bwd(compute, st.x[i], bwd.dq[i], dxq, seed(l, 0), done);
      const OpId bk = b.dense_bwd(compute, st.x[i], bwd.dk[i], dxk, seed(l, 1), done);
      const OpId bv = b.dense_bwd(compute, st.x[i], bwd.dv[i], dxv, seed(l, 2), done);
      const OpId acc = b.accumulate(compute, dxk, dxq, {a, bk});
      dx[i] = dxq;
      dx_ready[i] = Deps{b.accumulate(compute, dxv, dxq, {acc, bv})};
    }
  }
  return std::move(b).finish();
}

namespace {

Program lower_attention_layers(const Strategy& s, const ModelStep& step, const Workload& w, ProgramBuilder& b,
                               std::span<const LayoutId> layout) {
  const std::uint32_t P = step.options.sp;
  std::vector<RankId> ranks(P);
  for (RankId r = 0; r < P; ++r) ranks[r] = r;
  auto tokens = [&](std::uint32_t i, const char* name, std::uint32_t heads) {
    return b.token_buffer(ranks[i], name, w.dtype, layout[i], 0, heads, w.head_dim, /*zero_init=*/true);
  };
  struct LayerState {
    LayerInputs in;
    LayerForward fwd;
  };
  std::vector<LayerState> layers(step.layers);
  std::vector<OpList> prev_done(P);
  for (std::uint32_t l = 0; l < step.layers; ++l) {
    b.set_layer(static_cast<std::uint16_t>(l));
    b.set_step(0);
    const StrategyOptions o = layer_options(step, l);
    const LayerContext ctx{w, o, ranks, static_cast<std::uint16_t>(l)};
    LayerState& st = layers[l];
    for (std::uint32_t i = 0; i < P; ++i) {
      st.in.q.push_back(tokens(i, "q", w.heads));
      st.in.k.push_back(tokens(i, "k", w.kv_heads));
      st.in.v.push_back(tokens(i, "v", w.kv_heads));
    }
    st.in.ready = prev_done;
    st.fwd = s.forward(b, ctx, st.in);
    prev_done = st.fwd.done;
  }
  if (!w.backward()) return std::move(b).finish();
  for (std::uint32_t l = step.layers; l-- > 0;) {
    b.set_layer(static_cast<std::uint16_t>(l));
    b.set_step(0);
    const StrategyOptions o = layer_options(step, l);
    const LayerContext ctx{w, o, ranks, static_cast<std::uint16_t>(l)};
    LayerBackwardInputs grad;
    for (std::uint32_t i = 0; i < P; ++i) grad.dout.push_back(tokens(i, "dout", w.heads));
    grad.ready = prev_done;
    const LayerBackward bwd = s.backward(b, ctx, layers[l].in, layers[l].fwd, grad);
    prev_done = bwd.done;
  }
  return std::move(b).finish();
}

}  // namespace

}  // namespace spsim
