// Verifies one strategy through the installed library: exit 0 when exact.
#include <cstdio>

#include "strategies/registry.h"
#include "validate/verify.h"

int main() {
  spsim::Workload w;
  w.seq_lens = {32};
  w.heads = 2;
  w.kv_heads = 2;
  w.head_dim = 4;
  const spsim::VerifyReport r = spsim::verify_strategy(*spsim::find_strategy("zigzag"), w, spsim::StrategyOptions{2});
  std::printf("zigzag via the installed spsim: %s\n", r.passed ? "PASS" : "FAIL");
  return r.passed ? 0 : 1;
}
