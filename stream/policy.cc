#include "stream/policy.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace spsim {

std::string_view policy_name(Policy p) {
  switch (p) {
    case Policy::kReta: return "reta";
    case Policy::kFretna: return "fretna";
    case Policy::kWaitk: return "waitk";
    case Policy::kOffline: return "offline";
  }
  return "?";
}

std::optional<Policy> parse_policy(std::string_view name) {
  for (Policy p : kAllPolicies)
    if (name == policy_name(p)) return p;
  return std::nullopt;
}

std::string_view encoder_kind_name(EncoderKind e) { return e == EncoderKind::kBidirectional ? "bi" : "uni"; }

std::uint32_t target_length(std::uint32_t src_tokens, double tgt_ratio) {
  const double m = std::round(tgt_ratio * static_cast<double>(src_tokens));
  return static_cast<std::uint32_t>(std::max(1.0, m));
}

namespace {

// Encode a prefix of j tokens, project its cross keys, released at arrival j.
void encode_prefix(std::vector<ScheduledPass>& out, std::uint32_t j) {
  out.push_back({encode_pass(j), j, 0});
  out.push_back({cross_keys_pass(j, j), j, 0});
}

// Autoregressive decoding of m tokens from scratch over j source tokens; the
// last step shows them.
void decode_from_scratch(std::vector<ScheduledPass>& out, std::uint32_t j, std::uint32_t m) {
  for (std::uint32_t i = 0; i < m; ++i) out.push_back({decode_step_pass(j, i), j, i + 1 == m ? m : 0});
}

}  // namespace

std::vector<ScheduledPass> policy_schedule(Policy policy, std::uint32_t n, const PolicyOptions& o) {
  if (n == 0) throw std::invalid_argument("policy_schedule: a sentence needs at least one source token");
  if (!(o.tgt_ratio > 0) || !std::isfinite(o.tgt_ratio)) throw std::invalid_argument("policy_schedule: tgt_ratio must be > 0");
  if (o.k == 0) throw std::invalid_argument("policy_schedule: k must be >= 1");
  if (o.iterations == 0) throw std::invalid_argument("policy_schedule: iterations must be >= 1");
  std::vector<ScheduledPass> out;
  const std::uint32_t m = target_length(n, o.tgt_ratio);
  switch (policy) {
    case Policy::kReta:
      for (std::uint32_t j = 1; j <= n; ++j) {
        encode_prefix(out, j);
        decode_from_scratch(out, j, target_length(j, o.tgt_ratio));
      }
      break;
    case Policy::kFretna:
      for (std::uint32_t j = 1; j <= n; ++j) {
        encode_prefix(out, j);
        out.push_back({length_pass(j), j, 0});
        const std::uint32_t mj = target_length(j, o.tgt_ratio);
        for (std::uint32_t it = 0; it < o.iterations; ++it)
          out.push_back({decode_all_pass(j, mj), j, it + 1 == o.iterations ? mj : 0});
      }
      break;
    case Policy::kOffline:
      encode_prefix(out, n);
      decode_from_scratch(out, n, m);
      break;
    case Policy::kWaitk: {
      // Target token i (1-based) is written after g(i) = min(k + i - 1, n) source tokens.
      auto g = [&](std::uint32_t i) { return std::min<std::uint64_t>(std::uint64_t{o.k} + i - 1, n); };
      std::uint32_t encoded = 0;  // source tokens whose encoder states and cross keys exist
      std::uint32_t i = 1;        // next target token
      for (std::uint32_t j = 1; j <= n; ++j) {
        if (o.waitk_encoder == EncoderKind::kUnidirectional) {
          out.push_back({encode_step_pass(j), j, 0});
          out.push_back({cross_keys_pass(j, 1), j, 0});
          encoded = j;
        }
        for (; i <= m && g(i) == j; ++i) {
          if (encoded < j) {  // bidirectional: the prefix changed since the last step
            encode_prefix(out, j);
            encoded = j;
          }
          out.push_back({decode_step_pass(j, i - 1), j, i});
        }
      }
      break;
    }
  }
  return out;
}

std::uint64_t policy_schedule_size(Policy policy, std::uint32_t n, const PolicyOptions& o) {
  const std::uint64_t m = target_length(n, o.tgt_ratio);
  switch (policy) {
    case Policy::kReta: {
      std::uint64_t total = 0;
      for (std::uint32_t j = 1; j <= n; ++j) total += 2 + target_length(j, o.tgt_ratio);
      return total;
    }
    case Policy::kFretna: return std::uint64_t{n} * (3 + o.iterations);
    case Policy::kOffline: return 2 + m;
    case Policy::kWaitk:
      if (o.waitk_encoder == EncoderKind::kUnidirectional) return 2 * std::uint64_t{n} + m;
      return m + 2 * (o.k <= n ? std::min<std::uint64_t>(m, n - o.k + 1) : 1);
  }
  return 0;
}

}  // namespace spsim
