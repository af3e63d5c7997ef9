// The CUDA executor on a real GPU: every strategy's attention layer replayed
// (emulated ranks on one GPU; multi-gpu too when the machine has the GPUs)
// against the dense float64 reference, with the tolerance of the dtype, fresh
// inputs per check and outputs poisoned before each run; and a kernels-mode
// replay that must time every distinct compute op. Without a GPU (or in a
// build without CUDA) it prints why and exits 77, which CTest reports as
// skipped.
#include <cstdio>
#include <string>

#include "program/program_check.h"
#include "strategies/lower_attention.h"
#include "strategies/registry.h"
#include "validate/replay.h"
#include "validate/verify.h"

namespace {

using namespace spsim;

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s  %s\n", ok ? "ok  " : "FAIL", what.c_str());
  if (!ok) ++failures;
}

Workload workload(DType dtype, bool causal) {
  Workload w;
  w.seq_lens = {256, 128};  // two packed sequences: masks cross no sequence
  w.heads = 8;
  w.kv_heads = 4;
  w.head_dim = 64;
  w.dtype = dtype;
  w.causal = causal;
  w.pass = Pass::kForwardBackward;
  return w;
}

void numerics(const Strategy& s, std::uint32_t P, DType dtype, bool causal, ReplayMode mode, std::uint64_t seed) {
  const Workload w = workload(dtype, causal);
  StrategyOptions o;
  o.sp = P;
  if (s.refuse(w, o)) return;
  const Program p = lower_attention(s, w, o);
  ReplayOptions opt;
  opt.mode = mode;
  opt.warmup = 0;
  opt.repeats = 1;
  opt.seed = seed;
  const ProgramRunner run = [&](const Program& prog, const CommMatching& m, const std::map<Tensor, GlobalTensor>& in) {
    ReplayOptions x = opt;
    x.inputs = &in;
    return replay_program(prog, m, x).outputs;
  };
  const VerifyReport r = verify_program(p, w, VerifyOptions{seed, replay_tolerance(dtype)}, s.attention_kind(o), run);
  std::string errors;
  for (const auto& c : r.checks) errors += " " + std::string(tensor_name(c.tensor)) + "=" + std::to_string(c.max_rel_error);
  check(r.passed, std::string(s.name()) + " P=" + std::to_string(P) + " " + std::string(dtype_name(dtype)) +
                      (causal ? " causal " : " full ") + std::string(replay_mode_name(mode)) + ":" + errors);
}

}  // namespace

int main() {
  if (const auto why = replay_unavailable_reason()) {
    std::printf("SKIPPED: %s\n", why->c_str());
    return 77;
  }
  const std::uint32_t gpus = cuda_device_count();
  std::uint64_t seed = 1;
  for (const Strategy* s : all_strategies())
    for (std::uint32_t P : {2u, 4u})
      for (DType dt : {DType::kF32, DType::kBF16})
        for (bool causal : {true, false}) {
          numerics(*s, P, dt, causal, ReplayMode::kEmulated, ++seed);
          // NCCL where the machine has a GPU per rank.
          if (P <= gpus) numerics(*s, P, dt, causal, ReplayMode::kMultiGpu, ++seed);
        }

  // Kernels mode: every distinct compute op timed, each time positive.
  const Strategy& ring = *find_strategy("ring");
  StrategyOptions o;
  o.sp = 4;
  const Program p = lower_attention(ring, workload(DType::kBF16, true), o);
  const CommMatching m = check_program(p);
  ReplayOptions k;
  k.mode = ReplayMode::kKernels;
  const ReplayResult r = replay_program(p, m, k);
  bool positive = !r.ops.empty();
  for (const auto& op : r.ops) positive = positive && op.end_s > 0;
  check(positive, "kernels mode: " + std::to_string(r.ops.size()) + " distinct ops timed on " + r.device_type);
  std::printf("%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
