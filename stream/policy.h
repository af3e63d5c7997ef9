#pragma once
// Simultaneous-translation policies as schedules of passes (stream/passes.h):
// which passes run when the j-th source token has arrived, and what the
// listener sees after each.
//
// Source tokens 1..n arrive one by one; the target of a prefix of j tokens
// has m(j) = max(1, round(ratio * j)) tokens (the final translation m(n)),
// the end-of-sentence token counted among them. Policies (the FReTNA paper,
// Han et al., arXiv 2012.14681, and its baselines):
//   reta     re-translation with an autoregressive decoder (Arivazhagan et
//            al. 2020): at every arrival j, encode the prefix, project the
//            cross-attention keys, and decode m(j) tokens from scratch, one
//            step each: sum_j m(j) decoder passes.
//   fretna   re-translation with a non-autoregressive decoder: at every
//            arrival, encode, cross keys, predict the length, then
//            `iterations` parallel decoder passes over m(j) positions
//            (n x iterations decoder passes).
//   waitk    wait-k (Ma et al. 2019, STACL): read k tokens, then one decoder
//            step per arrival; after the last source token the remaining
//            target tokens one step each (m(n) decoder passes, each token
//            decoded once). With a bidirectional encoder (STACL) the prefix
//            is re-encoded and its cross keys re-projected before each step
//            that sees a longer prefix (the decoder's self-attention cache is
//            kept); with a unidirectional encoder (Elbayad et al. 2020) every
//            source token is encoded once, on arrival, and only its own
//            cross keys are projected.
//   offline  translate the whole sentence once, after its last token:
//            encode, cross keys, m(n) autoregressive steps.
// A re-translation shows its new output when its last pass ends (the
// listener sees whole revisions); wait-k shows each token when its step ends.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "stream/passes.h"

namespace spsim {

enum class Policy : std::uint8_t { kReta, kFretna, kWaitk, kOffline };
inline constexpr Policy kAllPolicies[] = {Policy::kReta, Policy::kFretna, Policy::kWaitk, Policy::kOffline};
std::string_view policy_name(Policy p);  // "reta", "fretna", "waitk", "offline"
std::optional<Policy> parse_policy(std::string_view name);

enum class EncoderKind : std::uint8_t { kBidirectional, kUnidirectional };
std::string_view encoder_kind_name(EncoderKind e);  // "bi", "uni"

struct PolicyOptions {
  double tgt_ratio = 1.0;          // target tokens per source token, > 0
  std::uint32_t k = 3;             // waitk: source tokens read before the first target token, >= 1
  std::uint32_t iterations = 1;    // fretna: decoder passes per re-translation, >= 1
  EncoderKind waitk_encoder = EncoderKind::kBidirectional;
};

// m(j): the target length of a prefix of j >= 1 source tokens.
std::uint32_t target_length(std::uint32_t src_tokens, double tgt_ratio);

// One pass of a schedule.
struct ScheduledPass {
  StreamPass pass;
  std::uint32_t after_src = 0;  // released when this many source tokens have arrived (1..n)
  // The target tokens the output shows once this pass ends (it becomes the
  // listener's translation), or 0 when the pass shows nothing new.
  std::uint32_t shows = 0;
};

// The passes of `policy` for a sentence of n >= 1 source tokens, in the
// order they run. Throws std::invalid_argument for n = 0 or options out of
// range (PolicyOptions' comments).
std::vector<ScheduledPass> policy_schedule(Policy policy, std::uint32_t n, const PolicyOptions& options);

// policy_schedule(...).size() in closed form, without building it (the
// work a study will do, for its progress):
//   reta     sum_j (2 + m(j));  fretna  n (3 + iterations);  offline  2 + m(n);
//   waitk    bi: m(n) + 2 min(m(n), n - k + 1) (k <= n; else m(n) + 2);  uni: 2 n + m(n).
std::uint64_t policy_schedule_size(Policy policy, std::uint32_t n, const PolicyOptions& options);

}  // namespace spsim
