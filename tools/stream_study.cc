#include "tools/stream_study.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "costmodel/device_profile_json.h"
#include "planner/batch.h"
#include "program/input_error.h"
#include "strategies/model_json.h"
#include "traces/trace_time.h"

namespace spsim::cli {

namespace {

using ojson = nlohmann::ordered_json;

// fairseq's transformer: DEFAULT_MAX_SOURCE_POSITIONS = DEFAULT_MAX_TARGET_POSITIONS = 1024
// (fairseq/models/transformer/transformer_config.py); the bound of --src-len in the settings table too.
constexpr std::uint32_t kMaxPositions = 1024;

std::vector<Policy> chosen_policies(const std::string& name) {
  if (name == "all") return {std::begin(kAllPolicies), std::end(kAllPolicies)};
  const auto p = parse_policy(name);
  if (!p) throw InputError("--policy", "expected reta, fretna, waitk, offline or all, got '" + name + "'");
  return {*p};
}

DeviceProfile device_of(const StreamConfig& c) {
  if (!c.device_profile.empty()) return load_device_profile(c.device_profile);
  const std::vector<std::string> names = device_profile_names();
  if (std::find(names.begin(), names.end(), c.device) == names.end()) {
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
    throw InputError("--device", "unknown device '" + c.device + "'; expected one of: " + list);
  }
  return device_profile_preset(c.device);
}

// Milliseconds, or seconds from 10 s on (a slow policy over many sentences).
std::string ms(double s) { return s < 10 ? fmt::format("{:.3f} ms", s * 1e3) : fmt::format("{:.3f} s", s); }
std::string share(double part, double whole) { return whole > 0 ? fmt::format("{:.0f}%", 100 * part / whole) : "-"; }

// The metrics of a policy that the study's JSON and a sweep's rows share.
void put_policy_metrics(ojson& o, const PolicySummary& p) {
  o["policy"] = std::string(policy_name(p.policy));
  o["computation_s"] = p.compute_s;
  o["computation_per_source_token_s"] = p.compute_s / static_cast<double>(p.source_tokens);
  o["final_lag_s"] = p.final_lag_s;
  o["al_tokens"] = p.al_tokens;
  o["al_s"] = p.al_s;
  o["encoder_passes"] = p.encoder_passes();
  o["decoder_passes"] = p.decoder_passes();
  o["launches"] = p.kernels;  // kernel launches ("kernels" is the --kernels setting)
}

}  // namespace

void bind_stream_study_settings(Settings& s, StreamConfig& c) {
  s.bind("model", c.model).bind("model-file", c.model_file).bind("device", c.device);
  s.bind("device-profile", c.device_profile).bind("dtype", c.dtype).bind("kernels", c.kernels);
  s.bind("policy", c.policy);
  s.bind("src-len", c.src_len).bind("src-lens", c.src_lens).bind("tgt-ratio", c.tgt_ratio).bind("rate", c.rate);
  s.bind("k", c.k).bind("iterations", c.iterations).bind("waitk-encoder", c.waitk_encoder);
}

StreamConfig stream_config_from_json(const std::string& text, const std::string& where) {
  CLI::App app{"study"};
  CLI::App* cmd = app.add_subcommand("stream", "");
  StreamConfig c;
  Settings settings(*cmd, "stream");
  bind_stream_study_settings(settings, c);
  settings.apply_config_text(text, where);
  settings.check_used_by(c.policy, "policy");
  return c;
}

StreamStudy run_stream_study(const StreamConfig& c) {
  StreamStudy st;
  st.model = c.model_file.empty() ? find_model(c.model) : load_model_file(c.model_file);
  if (!st.model.encoder_decoder())
    throw InputError(c.model_file.empty() ? "--model" : c.model_file,
                     st.model.name + " has no decoder layers; expected an encoder-decoder model (transformer-base, "
                                     "transformer-big, or a model file with \"decoder_layers\")");
  st.device = device_of(c);
  const auto dtype = parse_dtype(c.dtype);
  if (!dtype) throw InputError("--dtype", "expected fp16, bf16, fp32 or fp64, got '" + c.dtype + "'");
  st.dtype = std::string(dtype_name(*dtype));
  if (c.kernels != "eager" && c.kernels != "fused")
    throw InputError("--kernels", "expected eager or fused, got '" + c.kernels + "'");
  st.kernels = c.kernels == "eager" ? KernelStyle::kEager : KernelStyle::kFused;
  const std::vector<Policy> policies = chosen_policies(c.policy);
  if (!c.src_lens.empty()) {
    const std::string limit =
        fmt::format("the encoder's {} positions (fairseq's default max_source_positions)", kMaxPositions);
    for (std::int64_t n : read_lengths_file(c.src_lens, kMaxPositions, limit))
      st.lengths.push_back(static_cast<std::uint32_t>(n));
  } else {
    st.lengths = c.src_len;
  }
  if (st.lengths.empty()) throw InputError("--src-len", "expected at least one sentence length");
  for (std::uint32_t n : st.lengths)
    if (n == 0 || n > kMaxPositions)
      throw InputError(c.src_lens.empty() ? "--src-len" : c.src_lens,
                       fmt::format("sentence lengths must be in 1..{}, got {}", kMaxPositions, n));
  if (!(c.tgt_ratio > 0) || !std::isfinite(c.tgt_ratio)) throw InputError("--tgt-ratio", "expected a ratio > 0");
  const std::uint32_t longest = *std::max_element(st.lengths.begin(), st.lengths.end());
  if (target_length(longest, c.tgt_ratio) > kMaxPositions)
    throw InputError("--tgt-ratio", fmt::format("a {}-token sentence translates to {} target tokens, past the "
                                                "decoder's {} positions (fairseq's default max_target_positions)",
                                                longest, target_length(longest, c.tgt_ratio), kMaxPositions));
  if (!(c.rate >= 0) || !std::isfinite(c.rate)) throw InputError("--rate", "expected a rate >= 0 (0: all at once)");
  st.rate = c.rate;
  st.options.tgt_ratio = c.tgt_ratio;
  st.options.k = c.k;
  st.options.iterations = c.iterations;
  if (c.waitk_encoder != "bi" && c.waitk_encoder != "uni")
    throw InputError("--waitk-encoder", "expected bi or uni, got '" + c.waitk_encoder + "'");
  st.options.waitk_encoder = c.waitk_encoder == "uni" ? EncoderKind::kUnidirectional : EncoderKind::kBidirectional;
  if (c.k < 1) throw InputError("--k", "must be at least 1");
  if (c.iterations < 1) throw InputError("--iterations", "must be at least 1");
  const double interval = c.rate > 0 ? 1.0 / c.rate : 0.0;

  PassCosts costs(st.model, st.device, *dtype, st.kernels);
  // Each distinct length is run once per policy (run_policy): that is the work.
  std::map<std::uint32_t, std::size_t> distinct;
  for (std::uint32_t n : st.lengths) ++distinct[n];
  std::uint64_t passes = 0;
  for (Policy p : policies)
    for (const auto& [n, count] : distinct) passes += policy_schedule_size(p, n, st.options);
  Progress progress("spsim stream", "passes", passes, c.progress);
  for (Policy p : policies)
    st.policies.push_back(
        run_policy(p, st.lengths, st.options, interval, costs, [&](std::size_t k) { progress.tick(k); }));
  st.passes_simulated = costs.simulated();
  return st;
}

namespace {

std::string options_line(const StreamStudy& s) {
  std::vector<std::string> parts;
  for (const PolicySummary& p : s.policies) {
    if (p.policy == Policy::kWaitk)
      parts.push_back(fmt::format("waitk k={}, {} encoder", s.options.k,
                                  s.options.waitk_encoder == EncoderKind::kBidirectional
                                      ? "bidirectional (prefix re-encoded before each step)"
                                      : "unidirectional (each token encoded once)"));
    if (p.policy == Policy::kFretna)
      parts.push_back(fmt::format("fretna {} decoder pass{} per re-translation", s.options.iterations,
                                  s.options.iterations == 1 ? "" : "es"));
  }
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

std::string sentences_line(const StreamStudy& s) {
  const auto [lo, hi] = std::minmax_element(s.lengths.begin(), s.lengths.end());
  std::uint64_t src = 0, tgt = 0;
  for (std::uint32_t n : s.lengths) {
    src += n;
    tgt += target_length(n, s.options.tgt_ratio);
  }
  const double k = static_cast<double>(s.lengths.size());
  const std::string arrivals =
      s.rate > 0 ? fmt::format("source tokens arrive at {:g}/s", s.rate) : std::string("source all at once");
  if (s.lengths.size() == 1)
    return fmt::format("1 sentence of {} source tokens -> {} target tokens (tgt-ratio {:g}); {}", *lo, tgt,
                       s.options.tgt_ratio, arrivals);
  return fmt::format("{} sentences of {}..{} source tokens (mean {:.1f}) -> mean {:.1f} target tokens (tgt-ratio "
                     "{:g}); {}",
                     s.lengths.size(), *lo, *hi, src / k, tgt / k, s.options.tgt_ratio, arrivals);
}

}  // namespace

void print_stream_study(const StreamStudy& s, std::ostream& out) {
  const ModelSpec& m = s.model;
  out << fmt::format("spsim stream: {} (encoder {} + decoder {} layers, {:.1f}M parameters) on {}, {}, {} kernels\n",
                     m.name, m.layers, m.decoder_layers, static_cast<double>(m.parameter_count()) / 1e6,
                     s.device.name, s.dtype,
                     s.kernels == KernelStyle::kEager ? "eager (fairseq: 3 per attention, cache concatenated)"
                                                      : "fused (1 per attention, preallocated cache)");
  out << sentences_line(s) << "\n";
  if (const std::string o = options_line(s); !o.empty()) out << o << "\n";
  out << "\n";
  const bool many = s.lengths.size() > 1;
  out << fmt::format("{:<8} {:>13} {:>12} {:>12} {:>9} {:>12} {:>8} {:>8} {:>9}  {}\n", "policy",
                     many ? "computation*" : "computation", "per src tok", "final lag", "AL tok", "AL time",
                     many ? "enc*" : "enc", many ? "dec*" : "dec", many ? "launches*" : "launches",
                     "time in launch / memory-bound / compute-bound kernels");
  for (const PolicySummary& p : s.policies) {
    const double per_token = p.compute_s / static_cast<double>(p.source_tokens);
    out << fmt::format("{:<8} {:>13} {:>12} {:>12} {:>9.2f} {:>12} {:>8} {:>8} {:>9}  {} / {} / {}\n",
                       policy_name(p.policy), ms(p.compute_s), ms(per_token), ms(p.final_lag_s), p.al_tokens,
                       ms(p.al_s), p.encoder_passes(), p.decoder_passes(), p.kernels, share(p.launch_s, p.compute_s),
                       share(p.memory_bound_s, p.compute_s), share(p.compute_bound_s, p.compute_s));
  }
  out << "\ncomputation: the device's busy time; per src tok: computation / source tokens; final lag: from the last "
         "source token to the final translation; AL: average lagging (Ma et al. 2019) in source tokens, and in "
         "time with computation included\n";
  if (many) out << "* totals over the sentences; lags and AL are means per sentence\n";
  // Ratios of computation, against fretna (the paper's subject) when it ran.
  const PolicySummary* ref = &s.policies.front();
  for (const PolicySummary& p : s.policies)
    if (p.policy == Policy::kFretna) ref = &p;
  if (s.policies.size() > 1 && ref->compute_s > 0) {
    std::string r;
    for (const PolicySummary& p : s.policies)
      if (&p != ref)
        r += fmt::format("{}{} {:.2f}x", r.empty() ? "" : ", ", policy_name(p.policy), p.compute_s / ref->compute_s);
    out << fmt::format("computation relative to {}: {}\n", policy_name(ref->policy), r);
  }
  // What single passes cost, for the longest sentence: small decoder steps are launch- and memory-bound.
  const std::uint32_t n = *std::max_element(s.lengths.begin(), s.lengths.end());
  const std::uint32_t tgt = target_length(n, s.options.tgt_ratio);
  PassCosts costs(s.model, s.device, *parse_dtype(s.dtype), s.kernels);
  out << fmt::format("\none pass (source {}, target {}):\n", n, tgt);
  for (const StreamPass& pass : {encode_pass(n), decode_step_pass(n, tgt - 1), decode_all_pass(n, tgt)}) {
    const PassCost& c = costs.cost(pass);
    out << fmt::format("  {:<30} {:>10} {:>4} kernels   launch {} / memory-bound {} / compute-bound {}\n",
                       describe_pass(pass), ms(c.seconds), c.kernels, share(c.launch_s, c.seconds),
                       share(c.memory_bound_s, c.seconds), share(c.compute_bound_s, c.seconds));
  }
}

ojson stream_study_json(const StreamStudy& s) {
  ojson j;
  j["spsim_stream"] = 1;
  j["model"] = s.model.name;
  j["device"] = s.device.name;
  j["dtype"] = s.dtype;
  j["kernels"] = std::string(kernel_style_name(s.kernels));
  j["sentences"] = s.lengths.size();
  j["src_lens"] = s.lengths;
  j["tgt_ratio"] = s.options.tgt_ratio;
  j["rate_tokens_per_s"] = s.rate;
  j["k"] = s.options.k;
  j["iterations"] = s.options.iterations;
  j["waitk_encoder"] = std::string(encoder_kind_name(s.options.waitk_encoder));
  j["passes_simulated"] = s.passes_simulated;
  ojson arr = ojson::array();
  for (const PolicySummary& p : s.policies) {
    ojson o;
    put_policy_metrics(o, p);
    ojson passes;
    for (std::size_t k = 0; k < kNumPassKinds; ++k) passes[std::string(pass_kind_name(static_cast<PassKind>(k)))] = p.passes[k];
    o["passes"] = passes;
    o["launch_s"] = p.launch_s;
    o["memory_bound_s"] = p.memory_bound_s;
    o["compute_bound_s"] = p.compute_bound_s;
    o["flops"] = p.flops;
    o["bytes"] = p.bytes;
    arr.push_back(std::move(o));
  }
  j["policies"] = std::move(arr);
  return j;
}

std::string stream_trace_json(const StreamStudy& s) {
  std::string out = "{\"traceEvents\":[\n";
  bool first = true;
  // One event: its fields, then ts (and dur) written from integer nanoseconds.
  auto event = [&](const ojson& e, std::optional<double> ts_s = std::nullopt, std::optional<double> end_s = std::nullopt) {
    std::string text = e.dump();
    if (ts_s) {
      text.pop_back();
      text += ",\"ts\":" + trace_us_text(trace_ticks(*ts_s));
      if (end_s) text += ",\"dur\":" + trace_dur_text(trace_ticks(*ts_s), trace_ticks(*end_s));
      text += "}";
    }
    out += (first ? "" : ",\n") + text;
    first = false;
  };
  auto meta = [&](int pid, int tid, const char* what, const std::string& name) {
    event(ojson{{"ph", "M"}, {"pid", pid}, {"tid", tid}, {"name", what}, {"args", ojson{{"name", name}}}});
  };
  auto instant = [&](int pid, int tid, const std::string& name, double t) {
    event(ojson{{"ph", "i"}, {"s", "t"}, {"cat", "spsim"}, {"pid", pid}, {"tid", tid}, {"name", name}}, t);
  };
  const double interval = s.rate > 0 ? 1.0 / s.rate : 0.0;
  for (std::size_t k = 0; k < s.policies.size(); ++k) {
    const PolicySummary& p = s.policies[k];
    const int pid = static_cast<int>(k) + 1;  // Perfetto reserves pid 0
    meta(pid, 0, "process_name", std::string(policy_name(p.policy)));
    meta(pid, 1, "thread_name", "device");
    meta(pid, 2, "thread_name", "source");
    meta(pid, 3, "thread_name", "output");
    for (std::uint32_t j = 1; j <= p.first.src_len; ++j) instant(pid, 2, fmt::format("source token {}", j), j * interval);
    for (const PassRun& r : p.first.passes) {
      const StreamPass& pass = r.scheduled.pass;
      ojson args;
      args["src"] = pass.src;
      if (pass.kind == PassKind::kDecodeStep) args["position"] = pass.tgt;
      if (pass.kind == PassKind::kDecodeAll) args["tgt"] = pass.tgt;
      if (pass.kind == PassKind::kCrossKeys) args["rows"] = pass.rows;
      args["after_source_tokens"] = r.scheduled.after_src;
      event(ojson{{"ph", "X"}, {"cat", "spsim"}, {"pid", pid}, {"tid", 1},
                  {"name", std::string(pass_kind_name(pass.kind))}, {"args", args}},
            r.start_s, r.end_s);
      if (r.scheduled.shows > 0) instant(pid, 3, fmt::format("shows {} target tokens", r.scheduled.shows), r.end_s);
    }
  }
  const ojson other{{"title", fmt::format("spsim stream: {} on {}, first sentence ({} source tokens)", s.model.name,
                                          s.device.name, s.lengths.front())}};
  out += "\n],\"displayTimeUnit\":\"ms\",\"otherData\":" + other.dump() + "}\n";
  return out;
}

std::vector<std::string> stream_sweep_metric_columns() {
  return {"policy",         "status",       "computation_s", "computation_per_source_token_s",
          "final_lag_s",    "al_tokens",    "al_s",          "encoder_passes",
          "decoder_passes", "launches",     "launch_share",  "memory_bound_share",
          "compute_bound_share", "reason"};
}

std::vector<ojson> stream_sweep_rows(const ojson& row, const StreamStudy& s) {
  std::vector<ojson> rows;
  for (const PolicySummary& p : s.policies) {
    ojson r = row;
    r["policy"] = std::string(policy_name(p.policy));
    r["status"] = "ok";
    put_policy_metrics(r, p);  // "policy" keeps its place, before "status"
    r["launch_share"] = p.compute_s > 0 ? p.launch_s / p.compute_s : 0.0;
    r["memory_bound_share"] = p.compute_s > 0 ? p.memory_bound_s / p.compute_s : 0.0;
    r["compute_bound_share"] = p.compute_s > 0 ? p.compute_bound_s / p.compute_s : 0.0;
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace spsim::cli
