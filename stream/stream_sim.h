#pragma once
// A policy run over sentences on one device: each sentence's schedule
// (stream/policy.h) executed in order by one device, each pass taking its
// simulated time (stream/pass_costs.h), and what a listener experiences.
//
// Timing of a sentence of n source tokens: token j arrives at j * interval
// (interval = 1 / rate; 0: all at once, at time 0); a pass starts when the
// device is free and its token has arrived (start = max(arrival, end of the
// previous pass)) — every prefix is translated in turn, so a policy slower
// than the source falls behind and its lag grows (the gap of the FReTNA
// paper). Sentences are independent, each from time 0.
//
// Per sentence: computation = the sum of its passes' times; the final lag =
// the end of the pass that shows the final translation - the last token's
// arrival (n * interval); AL in tokens and in time (stream/latency.h) over
// the final translation's tokens, token i counted from the first pass that
// shows at least i tokens (as if a shown token were never revised: the
// translations' content, and so their flicker, is not modelled).

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "stream/pass_costs.h"
#include "stream/policy.h"

namespace spsim {

struct PassRun {
  ScheduledPass scheduled;
  double start_s = 0, end_s = 0;
  const PassCost* cost = nullptr;  // owned by the PassCosts the run used
};

struct SentenceRun {
  std::uint32_t src_len = 0, tgt_len = 0;
  std::vector<PassRun> passes;
  double compute_s = 0;
  double final_lag_s = 0;
  double al_tokens = 0;
  double al_s = 0;
};

// Progress: called with a number of passes run (in batches, and once at
// the end of each sentence for the rest).
using PassTick = std::function<void(std::size_t passes)>;

// One sentence of n tokens. `interval_s` >= 0 and finite.
SentenceRun run_sentence(Policy policy, std::uint32_t n, const PolicyOptions& options, double interval_s,
                         PassCosts& costs, const PassTick& tick = {});

struct PolicySummary {
  Policy policy = Policy::kReta;
  std::size_t sentences = 0;
  std::uint64_t source_tokens = 0, target_tokens = 0;
  double compute_s = 0;    // all sentences
  double final_lag_s = 0;  // mean over sentences
  double al_tokens = 0;    // mean over sentences
  double al_s = 0;         // mean over sentences
  std::uint64_t passes[kNumPassKinds] = {};  // by PassKind
  std::uint64_t kernels = 0;
  double launch_s = 0, memory_bound_s = 0, compute_bound_s = 0;  // parts of compute_s
  double flops = 0, bytes = 0;
  SentenceRun first;  // the first sentence of the list, pass by pass (for traces)

  std::uint64_t decoder_passes() const;
  std::uint64_t encoder_passes() const;
};

// Every sentence of `src_lens` (each >= 1) under `policy`. Sentences of one
// length run alike, so each distinct length is simulated once (and `tick`
// counts its passes once). `first` is src_lens[0]'s run.
PolicySummary run_policy(Policy policy, std::span<const std::uint32_t> src_lens, const PolicyOptions& options,
                         double interval_s, PassCosts& costs, const PassTick& tick = {});

}  // namespace spsim
