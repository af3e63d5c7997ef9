// `spsim verify`: run a strategy's Program on the exact host executor against
// the dense reference of its attention kind (softmax or linear). Exit 0 when
// every tensor's max relative error is below 1e-9, 1 when not, 2 on bad input.
#include <fmt/core.h>

#include <algorithm>

#include "program/input_error.h"
#include "strategies/registry.h"
#include "tools/cli_common.h"
#include "validate/verify.h"

namespace spsim::cli {
namespace {

struct VerifyArgs {
  std::string strategy = "all";
  std::uint32_t sp = 4;
  std::int64_t seq = 64;
  std::vector<std::int64_t> seqlens;  // packed lengths (cu_seqlens); replaces --seq and --batch
  std::uint32_t batch = 1;
  std::uint32_t heads = 4;
  std::optional<std::uint32_t> kv_heads;
  std::uint32_t dim = 16;
  bool causal = false;
  std::string pass = "fwd+bwd";
  std::uint64_t seed = 1;
  std::string layer_kind;  // empty: each strategy's default
  std::optional<std::uint32_t> ulysses_degree;
  std::optional<std::uint32_t> window;
  std::string ring_bwd = "ring-flash-attn";
};

int run_verify(const VerifyArgs& a) {
  Workload w;
  w.seq_lens.assign(a.batch, a.seq);
  if (!a.seqlens.empty()) w.seq_lens = a.seqlens;
  for (auto s : a.seqlens)
    if (s <= 0) throw InputError("--seqlens", "lengths must be positive, got " + std::to_string(s));
  w.heads = a.heads;
  w.kv_heads = a.kv_heads.value_or(a.heads);
  w.head_dim = a.dim;
  w.dtype = DType::kBF16;
  w.causal = a.causal;
  if (a.pass == "fwd") w.pass = Pass::kForward;
  else if (a.pass == "fwd+bwd") w.pass = Pass::kForwardBackward;
  else throw InputError("--pass", "expected 'fwd' or 'fwd+bwd', got '" + a.pass + "'");
  if (a.batch == 0) throw InputError("--batch", "must be at least 1");
  validate_workload(w);
  StrategyOptions opt;
  opt.sp = a.sp;
  opt.ulysses_degree = a.ulysses_degree;
  opt.window = a.window;
  const std::optional<RingBackward> ring_bwd = parse_ring_backward(a.ring_bwd);
  if (!ring_bwd) throw InputError("--ring-bwd", "expected ring-flash-attn or transformer-engine, got '" + a.ring_bwd + "'");
  opt.ring_backward = *ring_bwd;
  if (a.sp == 0) throw InputError("--sp", "must be at least 1");
  if (a.layer_kind == "softmax") opt.layer_kind = AttentionKind::kSoftmax;
  else if (a.layer_kind == "linear") opt.layer_kind = AttentionKind::kLinear;
  else if (!a.layer_kind.empty())
    throw InputError("--layer-kind", "expected 'softmax' or 'linear', got '" + a.layer_kind + "'");

  std::vector<const Strategy*> chosen;
  if (a.strategy == "all") {
    chosen.assign(all_strategies().begin(), all_strategies().end());
  } else if (const Strategy* s = find_strategy(a.strategy)) {
    chosen.push_back(s);
  } else {
    throw InputError("--strategy", "unknown strategy '" + a.strategy + "'; expected all or one of: " + strategy_names());
  }
  // Refusals first, so a bad single choice (or nothing runnable) is one error line.
  std::vector<std::optional<std::string>> refused;
  for (const Strategy* s : chosen) {
    std::string flag = "--strategy " + std::string(s->name());
    auto why = s->refuse(padded_workload(*s, w, opt), opt);
    if (!why && (why = refuse_layer_kind(*s, opt))) flag = "--layer-kind";
    if (why && chosen.size() == 1) throw InputError(flag, *why);
    refused.push_back(why);
  }
  if (std::all_of(refused.begin(), refused.end(), [](const auto& r) { return r.has_value(); }))
    throw InputError("--strategy all", "no strategy can run this workload (see spsim list strategies)");
  fmt::print("verify  P={}  {}  seed {}  (tolerance 1e-9, max |got-ref| / max |ref|)\n", a.sp, w.describe(), a.seed);
  fmt::print("{:<12} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10}  {}\n", "strategy", "ops", "out", "lse", "dq", "dk", "dv", "result");
  bool all_passed = true;
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    const Strategy* s = chosen[i];
    if (refused[i]) {
      fmt::print("{:<12} skipped: {}\n", s->name(), *refused[i]);
      continue;
    }
    const VerifyReport r = verify_strategy(*s, w, opt, VerifyOptions{a.seed, 1e-9});
    auto cell = [&](Tensor t) -> std::string {
      for (const auto& c : r.checks)
        if (c.tensor == t) return fmt::format("{:.2e}", c.max_rel_error);
      return "-";
    };
    const std::int64_t pad = padding_tokens(*s, w, opt);
    const std::string padding =
        pad == 0 ? std::string()
                 : fmt::format(", {} padding tokens, {:.1f}%", pad, 100.0 * static_cast<double>(pad) /
                                                                   static_cast<double>(w.total_tokens() + pad));
    fmt::print("{:<12} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10}  {} ({}{})\n", s->name(), r.ops, cell(Tensor::kOut),
               cell(Tensor::kLse), cell(Tensor::kDQ), cell(Tensor::kDK), cell(Tensor::kDV), r.passed ? "PASS" : "FAIL",
               attention_kind_name(s->attention_kind(opt)), padding);
    all_passed &= r.passed;
  }
  return all_passed ? kExitOk : kExitCheckFailed;
}

}  // namespace

CommandAction add_verify_command(CLI::App& app) {
  auto a = std::make_shared<VerifyArgs>();
  auto* cmd = app.add_subcommand("verify", "Run a strategy exactly on the CPU and compare with dense attention");
  cmd->add_option("--strategy", a->strategy, "strategy name, or 'all'")->capture_default_str();
  cmd->add_option("--sp", a->sp, "SP degree P")->capture_default_str();
  cmd->add_option("--seq", a->seq, "sequence length S")->capture_default_str();
  auto* batch = cmd->add_option("--batch", a->batch, "batch size B")->capture_default_str();
  cmd->add_option("--seqlens", a->seqlens, "packed sequences of these lengths, e.g. 100,37,5 (instead of --seq)")
      ->delimiter(',')->excludes("--seq")->excludes(batch);
  cmd->add_option("--heads", a->heads, "query heads H")->capture_default_str();
  cmd->add_option("--kv-heads", a->kv_heads, "key/value heads (default: H)");
  cmd->add_option("--dim", a->dim, "head dim D")->capture_default_str();
  cmd->add_flag("--causal", a->causal, "causal mask");
  cmd->add_option("--pass", a->pass, "fwd or fwd+bwd")->capture_default_str();
  cmd->add_option("--ulysses-degree", a->ulysses_degree, "usp: Ulysses degree Pu (default: largest power of two <= 8 dividing P and Hkv)");
  cmd->add_option("--window", a->window, "double-ring: inner ring window w (default: largest divisor of P <= 8)");
  cmd->add_option("--ring-bwd", a->ring_bwd, "ring family backward: ring-flash-attn or transformer-engine")
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "seed of the inputs and of the execution order")->capture_default_str();
  cmd->add_option("--layer-kind", a->layer_kind,
                  "softmax or linear: the layer kind a hybrid strategy (lasp2h) emits; default: the strategy's own");
  return [a]() { return run_verify(*a); };
}

}  // namespace spsim::cli
