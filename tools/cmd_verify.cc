// `spsim verify`: run a strategy's Program on the exact host executor against
// the dense reference of its attention kind (softmax or linear). Exit 0 when
// every tensor's max relative error is below 1e-9, 1 when not, 2 on bad input.
#include <fmt/core.h>

#include <algorithm>

#include "program/input_error.h"
#include "program/memory_limit.h"
#include "strategies/lower_attention.h"
#include "strategies/registry.h"
#include "tools/cli_common.h"
#include "tools/settings.h"
#include "validate/verify.h"

namespace spsim::cli {
namespace {

// Host memory per op of a verify Program: a Program alone holds 133 B per op
// with its operands and dependencies (bench/engine_bench 1024: "program alone
// 133 bytes per op"); 256 leaves room for the communication matching.
constexpr double kVerifyBytesPerOp = 256;
// Floating-point work beyond which verify reports its progress (about ten
// seconds of the host executor's float64 loops).
constexpr double kLongVerifyFlops = 2e10;

// The reference's work plus the executor's, about twice the dense
// attention's: 4 S^2 H D per sequence forward (half when causal), 2.5 times
// that more for the backward.
double verify_flops(const Workload& w) {
  double f = 0;
  for (auto s : w.seq_lens) f += 4.0 * static_cast<double>(s) * static_cast<double>(s) * w.heads * w.head_dim;
  if (w.causal) f /= 2;
  if (w.backward()) f *= 3.5;
  return 2 * f;
}

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
  std::int64_t seed = 1;
  std::string layer_kind;  // empty: each strategy's default
  std::optional<std::uint32_t> ulysses_degree;
  std::optional<std::uint32_t> window;
  std::string ring_bwd = "ring-flash-attn";
  double memory_limit_gb = default_memory_limit_bytes() / 1e9;
};

int run_verify(const VerifyArgs& a) {
  Workload w;
  w.seq_lens.assign(a.batch, a.seq);
  if (!a.seqlens.empty()) w.seq_lens = a.seqlens;
  w.heads = a.heads;
  w.kv_heads = a.kv_heads.value_or(a.heads);
  w.head_dim = a.dim;
  w.dtype = DType::kBF16;
  w.causal = a.causal;
  w.pass = a.pass == "fwd" ? Pass::kForward : Pass::kForwardBackward;  // the settings table checked it
  validate_workload(w);
  StrategyOptions opt;
  opt.sp = a.sp;
  opt.ulysses_degree = a.ulysses_degree;
  opt.window = a.window;
  opt.ring_backward = *parse_ring_backward(a.ring_bwd);  // the settings table checked the name
  if (a.layer_kind == "softmax") opt.layer_kind = AttentionKind::kSoftmax;
  else if (a.layer_kind == "linear") opt.layer_kind = AttentionKind::kLinear;

  std::vector<const Strategy*> chosen;
  if (a.strategy == "all") {
    chosen.assign(all_strategies().begin(), all_strategies().end());
  } else if (const Strategy* s = find_strategy(a.strategy)) {
    chosen.push_back(s);
  } else {
    throw InputError("--strategy", "unknown strategy '" + a.strategy + "'; expected all or one of: " + strategy_names());
  }
  // Refusals, programs and memory estimates first, so that a bad single
  // choice, nothing runnable, or a run too large for the memory limit is one
  // error line before any output.
  const double memory_limit = a.memory_limit_gb * 1e9;
  opt.max_ops = static_cast<std::size_t>(memory_limit / kVerifyBytesPerOp);
  std::vector<std::optional<std::string>> refused;
  std::vector<std::optional<Program>> programs;
  for (const Strategy* s : chosen) {
    std::string flag = "--strategy " + std::string(s->name());
    auto why = s->refuse(padded_workload(*s, w, opt), opt);
    if (!why && (why = refuse_layer_kind(*s, opt))) flag = "--layer-kind";
    if (why && chosen.size() == 1) throw InputError(flag, *why);
    refused.push_back(why);
    programs.emplace_back();
    if (why) continue;
    try {
      programs.back() = lower_attention(*s, w, opt);
    } catch (const ProgramTooLarge& e) {
      throw InputError("--memory-limit", fmt::format("the program of {} at P={} grows past {} ops, more than the "
                                                     "limit {:.3g} GB holds; lower --sp or raise --memory-limit",
                                                     s->name(), a.sp, e.limit(), memory_limit / 1e9));
    }
    check_memory_estimate(verify_memory_bytes(*programs.back(), w, s->attention_kind(opt)), memory_limit,
                          "spsim verify of " + std::string(s->name()) + " at " + w.describe(),
                          "--seq, --heads or --dim");
  }
  if (std::all_of(refused.begin(), refused.end(), [](const auto& r) { return r.has_value(); }))
    throw InputError("--strategy all", "no strategy can run this workload (see spsim list strategies)");
  // Long runs say where they are (on stderr: stdout stays the report).
  const bool long_run = verify_flops(w) * static_cast<double>(chosen.size()) > kLongVerifyFlops;
  fmt::print("verify  P={}  {}  seed {}  (tolerance 1e-9, max |got-ref| / max |ref|)\n", a.sp, w.describe(), a.seed);
  fmt::print("{:<12} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10}  {}\n", "strategy", "ops", "out", "lse", "dq", "dk", "dv", "result");
  bool all_passed = true;
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    const Strategy* s = chosen[i];
    if (refused[i]) {
      fmt::print("{:<12} skipped: {}\n", s->name(), *refused[i]);
      continue;
    }
    if (long_run) fmt::print(stderr, "spsim verify: {} ({} of {}) ...\n", s->name(), i + 1, chosen.size());
    const VerifyReport r = verify_program(*programs[i], w, VerifyOptions{static_cast<std::uint64_t>(a.seed), 1e-9},
                                          s->attention_kind(opt));
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
  auto s = std::make_shared<Settings>(*cmd, "verify");
  s->bind("strategy", a->strategy).bind("sp", a->sp).bind("seq", a->seq).bind("batch", a->batch);
  s->bind("seqlens", a->seqlens).bind("heads", a->heads).bind("kv-heads", a->kv_heads).bind("dim", a->dim);
  s->bind("causal", a->causal).bind("pass", a->pass).bind("ulysses-degree", a->ulysses_degree);
  s->bind("window", a->window).bind("ring-bwd", a->ring_bwd).bind("seed", a->seed);
  s->bind("layer-kind", a->layer_kind).bind("memory-limit", a->memory_limit_gb);
  return [a, s]() {
    try {
      s->apply();
      s->check_used_by(a->strategy);
      return run_verify(*a);
    } catch (const InputError& e) {
      throw s->relocate(e);
    }
  };
}

}  // namespace spsim::cli
