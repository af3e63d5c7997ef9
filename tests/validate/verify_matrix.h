#pragma once
// The verification matrix every strategy must pass: causal and full mask, MHA
// and GQA, P in {1,2,3,4,8} where legal, both passes, several execution-order
// seeds — each against the dense reference of the strategy's attention kind
// (softmax or linear; max relative error < 1e-9).

#include <doctest/doctest.h>

#include <functional>

#include "strategies/registry.h"
#include "validate/verify.h"

namespace spsim::testing {

struct MatrixOptions {
  std::int64_t seq = 48;                       // divisible by 2P for every P below
  std::vector<std::uint32_t> degrees{1, 2, 3, 4, 8};
  std::vector<bool> causal{false, true};
  std::vector<std::uint32_t> kv_heads{4, 2};   // with 4 query heads: MHA and GQA
  std::vector<std::uint64_t> seeds{1, 2, 3};
  // Lets a strategy with extra options (usp, double-ring) expand one degree
  // into several option sets; default: just {sp = P}.
  std::function<std::vector<StrategyOptions>(std::uint32_t)> options_for;
};

// Returns how many (workload, options) combinations were legal and verified.
inline int verify_matrix(std::string_view name, const MatrixOptions& m = {}) {
  const Strategy* s = find_strategy(name);
  REQUIRE(s != nullptr);
  int legal = 0;
  for (bool causal : m.causal)
    for (std::uint32_t kv : m.kv_heads)
      for (std::uint32_t P : m.degrees)
        for (Pass pass : {Pass::kForward, Pass::kForwardBackward}) {
          Workload w;
          w.seq_lens = {m.seq};
          w.heads = 4;
          w.kv_heads = kv;
          w.head_dim = 8;
          w.causal = causal;
          w.pass = pass;
          std::vector<StrategyOptions> option_sets;
          if (m.options_for) {
            option_sets = m.options_for(P);
          } else {
            option_sets.emplace_back();
            option_sets.back().sp = P;
          }
          for (const StrategyOptions& o : option_sets) {
            if (s->refuse(w, o)) continue;
            ++legal;
            for (std::uint64_t seed : m.seeds) {
              CAPTURE(causal);
              CAPTURE(kv);
              CAPTURE(P);
              CAPTURE(pass_name(pass));
              CAPTURE(seed);
              const VerifyReport r = verify_strategy(*s, w, o, VerifyOptions{seed, 1e-9});
              for (const auto& c : r.checks) {
                CAPTURE(tensor_name(c.tensor));
                CHECK(c.max_rel_error < 1e-9);
              }
              CHECK(r.passed);
            }
          }
        }
  CHECK(legal > 0);
  return legal;
}

}  // namespace spsim::testing
