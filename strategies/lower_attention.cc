#include "strategies/lower_attention.h"

#include <numeric>

#include "program/input_error.h"

namespace spsim {

Program lower_attention(const Strategy& strategy, const Workload& real, const StrategyOptions& o) {
  validate_workload(real);
  // The strategy shards the padded sequences; the builder marks what the
  // padding added.
  const Workload w = padded_workload(strategy, real, o);
  if (auto why = strategy.refuse(w, o))
    throw InputError("--strategy " + std::string(strategy.name()), *why);
  if (auto why = refuse_layer_kind(strategy, o)) throw InputError("--layer-kind", *why);
  const std::uint32_t P = o.sp;
  ProgramBuilder b(P, w.q_per_kv());
  b.set_op_limit(o.max_ops);
  if (w.seq_lens != real.seq_lens) b.set_real_lengths(real.seq_lens);
  std::vector<RankId> ranks(P);
  std::iota(ranks.begin(), ranks.end(), 0);
  const LayerContext ctx{w, o, ranks, 0};

  LayerInputs in;
  in.ready.resize(P);
  std::vector<LayoutId> layouts(P);
  for (std::uint32_t i = 0; i < P; ++i) {
    layouts[i] = b.layout(strategy.shard_layout(w, o, i));
    in.q.push_back(b.token_buffer(i, "q", w.dtype, layouts[i], 0, w.heads, w.head_dim));
    in.k.push_back(b.token_buffer(i, "k", w.dtype, layouts[i], 0, w.kv_heads, w.head_dim));
    in.v.push_back(b.token_buffer(i, "v", w.dtype, layouts[i], 0, w.kv_heads, w.head_dim));
    b.bind_input(in.q[i], Tensor::kQ);
    b.bind_input(in.k[i], Tensor::kK);
    b.bind_input(in.v[i], Tensor::kV);
  }
  const LayerForward fwd = strategy.forward(b, ctx, in);
  for (std::uint32_t i = 0; i < P; ++i) {
    b.bind_output(fwd.out[i], Tensor::kOut);
    if (!fwd.lse.empty()) b.bind_output(fwd.lse[i], Tensor::kLse);
  }
  if (w.backward()) {
    LayerBackwardInputs grad;
    grad.ready.resize(P);
    for (std::uint32_t i = 0; i < P; ++i) {
      grad.dout.push_back(b.token_buffer(i, "dout", w.dtype, layouts[i], 0, w.heads, w.head_dim));
      b.bind_input(grad.dout[i], Tensor::kDOut);
    }
    const LayerBackward bwd = strategy.backward(b, ctx, in, fwd, grad);
    for (std::uint32_t i = 0; i < P; ++i) {
      b.bind_output(bwd.dq[i], Tensor::kDQ);
      b.bind_output(bwd.dk[i], Tensor::kDK);
      b.bind_output(bwd.dv[i], Tensor::kDV);
    }
  }
  return std::move(b).finish();
}

}  // namespace spsim
