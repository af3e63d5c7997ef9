#include "planner/spsim_step_model.h"

#include <algorithm>

#include "costmodel/device_profile.h"
#include "costmodel/op_cost.h"
#include "sim/engine.h"
#include "sim/input_error.h"
#include "sim/model_costs.h"
#include "sim/network_model.h"
#include "sim/program_check.h"

namespace spsim {
namespace {

// Dense ops of `shapes` (in, out features) fwd + bwd for `rows` tokens on one rank, costed on `profile`.
double dense_seconds(std::span<const std::pair<std::uint32_t, std::uint32_t>> shapes, std::int64_t rows,
                     const DeviceProfile& profile) {
  if (rows <= 0) return 0;
  ProgramBuilder b(1);
  const StreamId s = b.stream("compute");
  const auto r = static_cast<std::uint32_t>(rows);
  std::uint32_t seed = 1;
  for (const auto& [in_f, out_f] : shapes) {
    const BufferId in = b.matrix_buffer(0, "in", DType::kBF16, r, 0, 1, in_f);
    const BufferId out = b.matrix_buffer(0, "out", DType::kBF16, r, 0, 1, out_f);
    const BufferId din = b.matrix_buffer(0, "din", DType::kBF16, r, 0, 1, in_f);
    b.dense(s, in, out, seed);
    b.dense_bwd(s, in, out, din, seed);
    ++seed;
  }
  const Program p = std::move(b).finish();
  double total = 0;
  for (std::size_t i = 0; i < p.num_ops(); ++i) total += compute_op_cost(p, op_id(i), profile).seconds;
  return total;
}

}  // namespace

SpsimStepModel::SpsimStepModel(const ModelSpec& model, const Strategy& strategy, const Topology& topology,
                               std::string network)
    : model_(model), strategy_(strategy), topology_(topology), network_(std::move(network)) {
  (void)make_network_model(network_, topology_, links_);  // validates the name
}

Workload SpsimStepModel::workload(std::span<const std::int64_t> seq_lens) const {
  Workload w;
  w.seq_lens.assign(seq_lens.begin(), seq_lens.end());
  w.heads = model_.heads;
  w.kv_heads = model_.kv_heads;
  w.head_dim = model_.head_dim;
  w.dtype = DType::kBF16;
  w.causal = model_.causal;
  w.pass = Pass::kForwardBackward;
  return w;
}

std::optional<std::int64_t> SpsimStepModel::length_granule(std::uint32_t d) const {
  for (std::int64_t m : {1, 2, 4}) {
    const std::int64_t g = m * d;
    const std::vector<std::int64_t> lens{g, 2 * g};
    if (!strategy_.refuse(workload(lens), StrategyOptions{d})) return g;
  }
  return std::nullopt;
}

std::vector<double> SpsimStepModel::attention_layer_seconds(std::span<const GroupWork> groups,
                                                            AttentionKind kind) const {
  ProgramBuilder b(topology_.num_devices(), model_.heads / model_.kv_heads);
  std::vector<std::vector<RankId>> group_ranks;
  for (const GroupWork& g : groups) {
    const Workload w = workload(g.seq_lens);
    validate_workload(w);
    StrategyOptions o{static_cast<std::uint32_t>(g.devices.size())};
    o.layer_kind = kind;
    if (auto why = strategy_.refuse(w, o)) throw InputError("--strategy " + std::string(strategy_.name()), *why);
    if (auto why = refuse_layer_kind(strategy_, o)) throw InputError("--strategy " + std::string(strategy_.name()), *why);
    const std::vector<RankId> ranks(g.devices.begin(), g.devices.end());
    const LayerContext ctx{w, o, ranks, 0};
    LayerInputs in;
    in.ready.resize(o.sp);
    std::vector<LayoutId> layouts(o.sp);
    for (std::uint32_t i = 0; i < o.sp; ++i) {
      layouts[i] = b.layout(strategy_.shard_layout(w, o, i));
      in.q.push_back(b.token_buffer(ranks[i], "q", w.dtype, layouts[i], 0, w.heads, w.head_dim));
      in.k.push_back(b.token_buffer(ranks[i], "k", w.dtype, layouts[i], 0, w.kv_heads, w.head_dim));
      in.v.push_back(b.token_buffer(ranks[i], "v", w.dtype, layouts[i], 0, w.kv_heads, w.head_dim));
    }
    const LayerForward fwd = strategy_.forward(b, ctx, in);
    LayerBackwardInputs grad;
    grad.ready = fwd.done;
    for (std::uint32_t i = 0; i < o.sp; ++i)
      grad.dout.push_back(b.token_buffer(ranks[i], "dout", w.dtype, layouts[i], 0, w.heads, w.head_dim));
    strategy_.backward(b, ctx, in, fwd, grad);
    group_ranks.push_back(ranks);
  }
  const Program p = std::move(b).finish();
  const CommMatching matching = check_program(p);
  const ModelCosts costs(p, topology_, {});
  auto net = make_network_model(network_, topology_, links_);
  const Timeline tl = simulate(EngineInput{p, matching, topology_, {}, costs, *net});
  std::vector<double> rank_end(topology_.num_devices(), 0);
  for (std::size_t i = 0; i < p.num_ops(); ++i) {
    const RankId r = p.op(op_id(i)).rank;
    rank_end[r] = std::max(rank_end[r], tl.ops[i].end_s);
  }
  std::vector<double> out;
  for (const auto& ranks : group_ranks) {
    double t = 0;
    for (RankId r : ranks) t = std::max(t, rank_end[r]);
    out.push_back(t);
  }
  return out;
}

double SpsimStepModel::dense_layer_seconds(DeviceId device, std::int64_t rows) const {
  const std::uint32_t h = model_.hidden, hd = model_.heads * model_.head_dim, kvd = model_.kv_heads * model_.head_dim;
  const std::uint32_t up = model_.mlp == MlpKind::kGated ? 2 * model_.ffn_hidden : model_.ffn_hidden;
  const std::pair<std::uint32_t, std::uint32_t> shapes[] = {{h, hd + 2 * kvd}, {hd, h}, {h, up}, {model_.ffn_hidden, h}};
  return dense_seconds(shapes, rows, device_profile_preset(topology_.device_type(device)));
}

double SpsimStepModel::head_seconds(DeviceId device, std::int64_t rows) const {
  const std::pair<std::uint32_t, std::uint32_t> shapes[] = {{model_.hidden, model_.vocab}};
  return dense_seconds(shapes, rows, device_profile_preset(topology_.device_type(device)));
}

std::vector<double> SpsimStepModel::step_seconds(std::span<const GroupWork> groups) const {
  std::vector<double> out(groups.size(), 0);
  const std::uint32_t softmax_layers = model_.attention.softmax_layers(model_.layers);
  const std::pair<AttentionKind, std::uint32_t> kinds[] = {{AttentionKind::kSoftmax, softmax_layers},
                                                           {AttentionKind::kLinear, model_.layers - softmax_layers}};
  for (const auto& [kind, layers] : kinds) {
    if (layers == 0) continue;
    const auto t = attention_layer_seconds(groups, kind);
    for (std::size_t g = 0; g < groups.size(); ++g) out[g] += layers * t[g];
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    std::int64_t tokens = 0;
    for (auto s : groups[g].seq_lens) tokens += s;
    const auto d = static_cast<std::int64_t>(groups[g].devices.size());
    const std::int64_t rows = (tokens + d - 1) / d;
    out[g] += model_.layers * dense_layer_seconds(groups[g].devices.front(), rows) +
              head_seconds(groups[g].devices.front(), rows);
  }
  return out;
}

}  // namespace spsim
