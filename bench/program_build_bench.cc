// Program building at scale: a 1024-rank ring (or any strategy) schedule,
// forward + backward, built, then checked. Prints ops, seconds and memory.
//
//   build/bench/program_build_bench [strategy] [P] [S]
//
// Peak memory is the process's maximum resident set (getrusage), so it
// includes everything the build allocated; the Program's own footprint is
// reported separately.
#include <fmt/core.h>
#include <sys/resource.h>

#include <chrono>
#include <string>

#include "program/program_check.h"
#include "strategies/lower_attention.h"
#include "strategies/registry.h"

namespace {

double peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) * 1024.0;  // Linux reports KiB
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace spsim;
  const std::string name = argc > 1 ? argv[1] : "ring";
  const std::uint32_t P = argc > 2 ? static_cast<std::uint32_t>(std::stoul(argv[2])) : 1024;
  const std::int64_t S = argc > 3 ? std::stoll(argv[3]) : 1 << 20;
  const Strategy* s = find_strategy(name);
  if (!s) {
    fmt::print(stderr, "unknown strategy {}\n", name);
    return 2;
  }
  Workload w;
  w.seq_lens = {S};
  w.heads = 32;
  w.kv_heads = 8;
  w.head_dim = 128;
  w.causal = true;
  w.pass = Pass::kForwardBackward;
  StrategyOptions o;
  o.sp = P;

  const auto t0 = std::chrono::steady_clock::now();
  const Program p = lower_attention(*s, w, o);
  const double build_s = seconds_since(t0);
  const double rss_after_build = peak_rss_bytes();
  const auto t1 = std::chrono::steady_clock::now();
  const CommMatching m = check_program(p);
  const double check_s = seconds_since(t1);

  fmt::print("program build: {} P={} S={} fwd+bwd causal (H=32/8, D=128)\n", name, P, S);
  fmt::print("  ops            {:>12}\n", p.num_ops());
  fmt::print("  buffers        {:>12}\n", p.num_buffers());
  fmt::print("  build          {:>12.3f} s   ({:.0f} ns/op)\n", build_s, 1e9 * build_s / static_cast<double>(p.num_ops()));
  fmt::print("  program memory {:>12.1f} MB  ({:.1f} bytes/op)\n", p.memory_bytes() / 1e6,
             static_cast<double>(p.memory_bytes()) / static_cast<double>(p.num_ops()));
  fmt::print("  peak RSS after build {:>6.1f} MB\n", rss_after_build / 1e6);
  fmt::print("  check_program  {:>12.3f} s   (matching {} collective instances)\n", check_s, m.num_instances());
  fmt::print("  peak RSS total {:>12.1f} MB\n", peak_rss_bytes() / 1e6);
  return 0;
}
