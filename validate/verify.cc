#include "validate/verify.h"

#include <algorithm>

#include "program/program_check.h"
#include "strategies/lower_attention.h"
#include "validate/host_executor.h"
#include "validate/reference_attention.h"
#include "validate/reference_linear_attention.h"

namespace spsim {
namespace {

// The reference tensors of a layer's kind (linear attention has no lse).
struct Expected {
  GlobalTensor out;
  std::optional<GlobalTensor> lse, dq, dk, dv;
};

Expected reference_of(AttentionKind kind, const ReferenceInputs& in) {
  if (kind == AttentionKind::kLinear) {
    LinearReferenceOutputs r = reference_linear_attention(in);
    return {std::move(r.out), std::nullopt, std::move(r.dq), std::move(r.dk), std::move(r.dv)};
  }
  ReferenceOutputs r = reference_attention(in);
  return {std::move(r.out), std::move(r.lse), std::move(r.dq), std::move(r.dk), std::move(r.dv)};
}

}  // namespace

double verify_memory_bytes(const Program& program, const Workload& w, AttentionKind kind) {
  double elements = 0;
  for (std::size_t i = 0; i < program.num_buffers(); ++i)
    if (const Buffer& b = program.buffer(buffer_id(i)); !b.parent) elements += static_cast<double>(b.elements());
  // Inputs q, k, v, dO; the executor's results and the reference's (out, lse, dq, dk, dv), each twice.
  const double tokens = static_cast<double>(w.total_tokens()), d = w.head_dim;
  elements += tokens * d * (2.0 * w.heads + 2.0 * w.kv_heads) * 3;
  if (kind == AttentionKind::kSoftmax) {
    std::int64_t longest = 0;
    for (auto s : w.seq_lens) longest = std::max(longest, s);
    elements += 6.0 * static_cast<double>(longest) * static_cast<double>(longest);
  }
  return 8 * elements;
}

VerifyReport verify_program(const Program& program, const Workload& w, const VerifyOptions& opt,
                            AttentionKind kind, const ProgramRunner& run) {
  const CommMatching matching = check_program(program);
  TensorMap inputs;
  // Distinct, reproducible data per tensor.
  auto make = [&](Tensor t, std::uint32_t heads) {
    GlobalTensor g(w.seq_lens, heads, w.head_dim);
    fill_uniform(g, opt.seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(t) + 1);
    inputs.emplace(t, std::move(g));
  };
  make(Tensor::kQ, w.heads);
  make(Tensor::kK, w.kv_heads);
  make(Tensor::kV, w.kv_heads);
  if (w.backward()) make(Tensor::kDOut, w.heads);

  const ReferenceInputs ref_in{inputs.at(Tensor::kQ), inputs.at(Tensor::kK), inputs.at(Tensor::kV),
                               w.backward() ? &inputs.at(Tensor::kDOut) : nullptr, w.causal};
  const Expected ref = reference_of(kind, ref_in);
  const TensorMap got =
      run ? run(program, matching, inputs) : run_on_host(program, matching, inputs, HostRunOptions{opt.seed});

  VerifyReport report;
  report.ops = program.num_ops();
  report.buffers = program.num_buffers();
  auto compare = [&](Tensor t, const GlobalTensor& expected) {
    auto it = got.find(t);
    if (it == got.end())
      throw ProgramError("the program produces no '" + std::string(tensor_name(t)) + "' output");
    report.checks.push_back({t, max_relative_error(it->second, expected)});
  };
  compare(Tensor::kOut, ref.out);
  if (got.count(Tensor::kLse)) {
    if (!ref.lse) throw ProgramError("a linear-attention program produces an 'lse' output");
    compare(Tensor::kLse, *ref.lse);
  }
  if (w.backward()) {
    compare(Tensor::kDQ, *ref.dq);
    compare(Tensor::kDK, *ref.dk);
    compare(Tensor::kDV, *ref.dv);
  }
  report.passed = true;
  for (const auto& c : report.checks)
    if (!(c.max_rel_error < opt.tolerance)) report.passed = false;
  return report;
}

VerifyReport verify_strategy(const Strategy& strategy, const Workload& w,
                             const StrategyOptions& options, const VerifyOptions& opt) {
  const Program program = lower_attention(strategy, w, options);
  return verify_program(program, w, opt, strategy.attention_kind(options));
}

}  // namespace spsim
