#include "tools/settings.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "planner/token_count.h"
#include "program/input_file.h"
#include "program/input_json.h"

namespace spsim::cli {
namespace {

using K = SettingKind;

// Bounds shared by several settings. Sizes are bounded so that products of
// them (tokens x heads x dim x bytes) cannot overflow 64 bits; resources
// beyond what a machine holds are refused by the commands' estimates.
constexpr std::int64_t kMaxTokens = std::int64_t{1} << 31;  // per sequence, and a plan's --max-context
constexpr std::int64_t kMaxRanks = 65536;
constexpr std::int64_t kMaxSeed = std::numeric_limits<std::int64_t>::max();

// The table. Keep it sorted by command, then by how users meet the settings.
constexpr SettingSpec kSpecs[] = {
    // What is simulated.
    {.name = "model", .kind = K::kText,
     .help = "model preset (spsim list models; stream: an encoder-decoder one, default transformer-base)",
     .commands = "run,plan,replay,stream,sweep"},
    {.name = "model-file", .kind = K::kPath,
     .help = "a model JSON file instead of a preset (keys: spsim list models; presets are models/*.json)",
     .commands = "run,replay,stream,sweep", .replaces = "model"},
    {.name = "seq", .kind = K::kTokenCount, .help = "sequence length S, e.g. 128K", .unit = "tokens", .min = 1, .max = kMaxTokens,
     .commands = "run,verify,replay,sweep"},
    {.name = "batch", .kind = K::kInteger, .help = "sequences per step B", .min = 1, .max = 65536,
     .commands = "run,verify,replay,sweep"},
    {.name = "seqlens", .kind = K::kIntegers,
     .help = "packed sequence lengths, comma-separated (instead of --seq and --batch)", .unit = "tokens", .min = 1,
     .max = kMaxTokens, .max_count = 65536, .commands = "run,verify,replay,sweep", .replaces = "seq,batch"},
    {.name = "strategy", .kind = K::kText,
     .help = "strategy name (spsim list strategies); run, verify: or 'all' to compare every legal one; plan: what "
             "each SP group runs",
     .commands = "run,verify,plan,replay,sweep"},
    {.name = "sp", .kind = K::kInteger, .help = "SP degree P (run: default every device of the topology)", .min = 1,
     .max = kMaxRanks, .commands = "run,verify,replay,sweep"},
    {.name = "pass", .kind = K::kChoice, .help = "the pass simulated", .choices = "fwd,fwd+bwd",
     .commands = "run,verify,replay,sweep"},
    {.name = "layers", .kind = K::kInteger, .help = "layers to simulate (default: all of the model's)", .min = 1,
     .max = 100000, .commands = "run,replay,sweep"},
    {.name = "scope", .kind = K::kChoice,
     .help = "model (projections, MLP and attention) or attention (the attention layers alone, as SP benchmarks "
             "measure them; no weights)",
     .choices = "model,attention", .commands = "run,replay,sweep"},
    {.name = "recompute", .kind = K::kChoice,
     .help = "activation recomputation: none, selective (core attention) or full (whole layers), as Megatron-LM",
     .choices = "none,selective,full", .commands = "run,replay,sweep"},
    {.name = "loss-chunks", .kind = K::kInteger,
     .help = "run the output head and loss over this many chunks of each rank's tokens (chunked cross-entropy: "
             "fewer logits held at once)",
     .min = 1, .max = 65536, .commands = "run,replay,sweep"},
    {.name = "dtype", .kind = K::kChoice, .help = "activation dtype", .choices = "fp16,bf16,fp32,fp64",
     .commands = "run,replay,stream,sweep"},
    {.name = "heads", .kind = K::kInteger, .help = "query heads H", .min = 1, .max = 4096, .commands = "verify"},
    {.name = "kv-heads", .kind = K::kInteger, .help = "key/value heads (default: H)", .min = 1, .max = 4096,
     .commands = "verify"},
    {.name = "dim", .kind = K::kInteger, .help = "head dim D", .min = 1, .max = 4096, .commands = "verify"},
    {.name = "causal", .kind = K::kFlag, .help = "causal mask", .commands = "verify"},
    {.name = "seed", .kind = K::kInteger,
     .help = "verify: seed of the inputs and of the execution order; plan: seed of the --dist draws", .min = 0,
     .max = kMaxSeed, .commands = "verify,plan", .needs = "dist"},
    {.name = "layer-kind", .kind = K::kChoice,
     .help = "the layer kind a hybrid strategy emits (default: the strategy's own)", .choices = "softmax,linear",
     .commands = "verify", .strategies = "lasp2h"},
    // Strategy options.
    {.name = "ulysses-degree", .kind = K::kInteger,
     .help = "usp: Ulysses group size Pu (default: largest power of two <= 8 dividing P and Hkv)", .min = 1,
     .max = kMaxRanks, .commands = "run,verify,replay,sweep", .strategies = "usp"},
    {.name = "window", .kind = K::kInteger,
     .help = "double-ring: inner ring window w (default: largest divisor of P <= 8)", .min = 1, .max = kMaxRanks,
     .commands = "run,verify,replay,sweep", .strategies = "double-ring"},
    {.name = "ring-bwd", .kind = K::kChoice,
     .help = "ring family backward: ring-flash-attn (block dK,dV added after the kernel) or transformer-engine "
             "(dK,dV travel with the next K,V)",
     .choices = "ring-flash-attn,transformer-engine", .commands = "run,verify,replay,sweep",
     .strategies = "ring,zigzag,striped,usp"},
    // The cluster.
    {.name = "topology", .kind = K::kText, .help = "topology preset (spsim topo)", .commands = "run,plan,topo,calibrate,compare,replay,sweep"},
    {.name = "topology-file", .kind = K::kPath, .help = "topology JSON (docs/topology-format.md)",
     .commands = "run,calibrate,compare,replay,sweep", .replaces = "topology,nodes"},
    {.name = "load", .kind = K::kPath, .help = "load a JSON topology instead of a preset", .commands = "topo",
     .replaces = "topology,nodes"},
    {.name = "nodes", .kind = K::kInteger, .help = "nodes of the preset on a rail-optimized network", .min = 1,
     .max = 8192, .commands = "run,plan,topo,calibrate,compare,replay,sweep"},
    {.name = "network", .kind = K::kChoice, .help = "network model", .choices = "analytical,flow",
     .commands = "run,plan,calibrate,compare,sweep"},
    {.name = "zero-stage", .kind = K::kInteger,
     .help = "ZeRO stage of weights, gradients and optimizer states (run: over the SP ranks; plan: over all devices)",
     .min = 0, .max = 3, .commands = "run,plan,sweep"},
    {.name = "exact-depth", .kind = K::kFlag,
     .help = "simulate every layer (default: k and k + 2 layers, k = 6 or 7, are simulated and, once the step's "
             "steady state holds, the other layers replicated from it, exactly; docs/simulator.md)",
     .commands = "run,sweep"},
    {.name = "device-profile", .kind = K::kPath, .help = "device profile JSON (e.g. calibrated) for the devices",
     .commands = "run,stream,sweep", .replaces = "device"},
    {.name = "link-params", .kind = K::kPath,
     .help = "JSON file of link-class parameters (p2p/collective efficiency and overhead, duplex factor, root "
             "complex) over the topology's (docs/topology-format.md)",
     .commands = "run,sweep"},
    {.name = "calibration", .kind = K::kPath,
     .help = "calibration profile (spsim calibrate): fitted device and link parameters for the predictions",
     .commands = "run,plan,compare,sweep"},
    // Calibration (spsim calibrate, spsim compare).
    {.name = "device", .kind = K::kText,
     .help = "device profile preset (spsim list devices): calibrate, compare: the device the kernels ran on "
             "(default: the topology's device type); stream: the device that translates (default a10)",
     .commands = "calibrate,compare,stream,sweep"},
    {.name = "fit", .kind = K::kText,
     .help = "groups of points to fit, comma-separated (nccl-tests tests: all_reduce, sendrecv, ...; kernel classes: "
             "attention_fwd, gemm, nccl:allreduce, overlap; default: all)",
     .commands = "calibrate"},
    {.name = "fit-fraction", .kind = K::kReal,
     .help = "fit the leading fraction of each group (in file order); the rest stays out of sample for compare",
     .real_min = 0, .real_max = 1, .min_open = true, .commands = "calibrate"},
    {.name = "out", .kind = K::kPath,
     .help = "write the output to this file (calibrate: the calibration profile; plot: the figure, .svg or .png)",
     .commands = "calibrate,plot"},
    // Figures (spsim plot).
    {.name = "x", .kind = K::kText, .help = "the CSV column along the x axis (e.g. seq)", .commands = "plot"},
    {.name = "y", .kind = K::kText, .help = "the CSV column drawn (e.g. step_time_s)", .commands = "plot"},
    {.name = "by", .kind = K::kText, .help = "a line per value of this column (e.g. strategy)", .commands = "plot"},
    {.name = "where", .kind = K::kText,
     .help = "keep only rows with these values: NAME=VALUE[,NAME=VALUE...] (e.g. nodes=2)", .commands = "plot"},
    {.name = "log-x", .kind = K::kFlag, .help = "a log2 x axis", .commands = "plot"},
    {.name = "log-y", .kind = K::kFlag, .help = "a log10 y axis", .commands = "plot"},
    {.name = "title", .kind = K::kText, .help = "the figure's title (default: made from the columns)",
     .commands = "plot"},
    {.name = "breakdown", .kind = K::kFlag,
     .help = "the input is a run's --json: draw each strategy's step time along the critical path (compute, exposed "
             "communication, idle), stacked",
     .commands = "plot"},
    {.name = "script", .kind = K::kPath, .help = "also write the gnuplot script to this file (to adjust the figure)",
     .commands = "plot"},
    {.name = "tolerance", .kind = K::kText,
     .help = "compare BASELINE CURRENT: how far a metric may move the wrong way, relative to the baseline: 2% for "
             "every metric, or per metric: 2%,step_time_s=1%,peak_memory_gb=0.5% (default 2%)",
     .commands = "compare"},
    {.name = "metrics", .kind = K::kText,
     .help = "compare BASELINE CURRENT: the metrics compared, comma-separated: step_time_s, step_s, peak_memory_gb, "
             "exposed_comm_s, tokens_per_s, overlap_ratio, compute_share (default step_time_s, step_s, "
             "peak_memory_gb)",
     .commands = "compare"},
    {.name = "points", .kind = K::kFlag, .help = "print every point, not only the summary per group",
     .commands = "compare"},
    // Streaming translation (spsim stream; docs/streaming.md). A policy's own
    // options name it in `strategies` (the policies play that part here).
    {.name = "policy", .kind = K::kChoice, .help = "simultaneous-translation policy, or all of them",
     .choices = "reta,fretna,waitk,offline,all", .commands = "stream,sweep"},
    {.name = "kernels", .kind = K::kChoice,
     .help = "how the model runs: eager (fairseq in eager PyTorch, the FReTNA paper's systems: attention as score "
             "GEMM, softmax and value GEMM, the KV cache concatenated at every step) or fused (one attention kernel, "
             "a preallocated cache)",
     .choices = "eager,fused", .commands = "stream,sweep"},
    {.name = "src-len", .kind = K::kIntegers,
     .help = "source sentence lengths, comma-separated: one sentence of each (at most 1024 tokens: fairseq's "
             "default max_source_positions)",
     .unit = "tokens", .min = 1, .max = 1024, .max_count = 1 << 20, .commands = "stream,sweep"},
    {.name = "src-lens", .kind = K::kPath,
     .help = "a file of source sentence lengths, one per line or a JSON list (a length distribution)",
     .commands = "stream,sweep", .replaces = "src-len"},
    {.name = "tgt-ratio", .kind = K::kReal,
     .help = "target tokens per source token (a prefix of j tokens translates to max(1, round(ratio j)))",
     .real_min = 0, .real_max = 8, .min_open = true, .commands = "stream,sweep"},
    {.name = "rate", .kind = K::kReal, .help = "source tokens arriving per second (0: all at once)",
     .unit = "tokens/s", .real_min = 0, .real_max = 1e6, .commands = "stream,sweep"},
    {.name = "k", .kind = K::kInteger, .help = "wait-k: source tokens read before the first target token", .min = 1,
     .max = 1024, .commands = "stream,sweep", .strategies = "waitk"},
    {.name = "iterations", .kind = K::kInteger,
     .help = "fretna: non-autoregressive decoder passes per re-translation (refinement iterations)", .min = 1,
     .max = 64, .commands = "stream,sweep", .strategies = "fretna"},
    {.name = "waitk-encoder", .kind = K::kChoice,
     .help = "wait-k's encoder: bi (the prefix re-encoded before each step, STACL) or uni (each token encoded once, "
             "on arrival)",
     .choices = "bi,uni", .commands = "stream,sweep", .strategies = "waitk"},
    {.name = "command", .kind = K::kChoice, .help = "the study each configuration runs: spsim run or spsim stream",
     .choices = "run,stream", .commands = "sweep"},
    // The planner.
    {.name = "lengths", .kind = K::kPath, .help = "file of sequence lengths (one per line, or a JSON list)",
     .commands = "plan"},
    {.name = "dist", .kind = K::kText, .help = "length distribution to draw from: wikipedia", .commands = "plan",
     .replaces = "lengths"},
    {.name = "global-batch-tokens", .kind = K::kTokenCount, .help = "global batch in tokens, e.g. 512K",
     .unit = "tokens", .min = 1, .max = std::int64_t{1} << 40, .commands = "plan"},
    {.name = "global-batch-seqs", .kind = K::kInteger, .help = "global batch in sequences", .min = 1,
     .max = 1 << 24, .commands = "plan", .replaces = "global-batch-tokens"},
    {.name = "max-context", .kind = K::kTokenCount, .help = "longest sequence, e.g. 384K", .unit = "tokens",
     .min = 1, .max = kMaxTokens, .commands = "plan"},
    {.name = "profile", .kind = K::kPath,
     .help = "FlexSP coefficients (JSON, planner/group_time_model.h) instead of the fit to spsim", .commands = "plan"},
    {.name = "memory-fraction", .kind = K::kReal, .help = "fraction of device memory usable", .real_min = 0,
     .real_max = 1, .min_open = true, .commands = "plan"},
    {.name = "time-limit", .kind = K::kReal, .help = "CBC time limit per micro-batch MILP", .unit = "s",
     .real_min = 0, .real_max = 86400, .min_open = true, .commands = "plan"},
    {.name = "gap", .kind = K::kReal,
     .help = "relative optimality gap to prove (on the real lengths; CBC stops at it on buckets)", .real_min = 0,
     .real_max = 0.5, .commands = "plan"},
    {.name = "solver-budget", .kind = K::kReal,
     .help = "refuse a batch whose worst-case solver time (every micro-batch MILP at --time-limit) exceeds this",
     .unit = "s", .real_min = 0, .real_max = 1e7, .min_open = true, .commands = "plan"},
    {.name = "buckets", .kind = K::kInteger, .help = "sequence buckets per micro-batch (DP bucketing)", .min = 1,
     .max = 1024, .commands = "plan"},
    {.name = "extra-micro-batches", .kind = K::kInteger, .help = "micro-batch counts tried beyond the minimum",
     .min = 0, .max = 64, .commands = "plan"},
    {.name = "simulate", .kind = K::kFlag, .help = "run the plan through the engine and compare with the estimate",
     .commands = "plan"},
    {.name = "groups", .kind = K::kFlag, .help = "list every group and its sequences", .commands = "plan"},
    {.name = "timing", .kind = K::kFlag, .help = "print solver wall times (output no longer byte-identical)",
     .commands = "plan"},
    // Resources.
    {.name = "memory-limit", .kind = K::kReal,
     .help = "refuse work whose estimated host memory exceeds this (default: half of this machine's memory)",
     .unit = "GB", .real_min = 0, .real_max = 1e6, .min_open = true, .commands = "run,verify,plan,topo,replay,sweep"},
    // Outputs.
    {.name = "json", .kind = K::kPath, .help = "write the results as JSON to this file",
     .commands = "run,plan,topo,calibrate,compare,replay,stream"},
    {.name = "trace", .kind = K::kPath,
     .help = "write a Chrome trace (Perfetto); run with 'all': of the fastest strategy; stream: each policy's "
             "passes over the first sentence",
     .commands = "run,replay,stream"},
    {.name = "trace-dir", .kind = K::kPath,
     .help = "write a Chrome trace of every strategy that runs to this directory, as <strategy>.json",
     .commands = "run"},
    {.name = "trace-ranks", .kind = K::kIntegers, .help = "ranks to include in the trace", .min = 0,
     .max = kMaxRanks - 1, .max_count = kMaxRanks, .commands = "run", .needs = "trace|trace-dir"},
    {.name = "trace-layers", .kind = K::kIntegers, .help = "layers to include in the trace", .min = 0, .max = 65535,
     .max_count = 65536, .commands = "run", .needs = "trace|trace-dir"},
    // Sweeps (spsim sweep).
    {.name = "jobs", .kind = K::kInteger,
     .help = "configurations run at once, one thread each (default: this machine's cores); the output does not "
             "depend on it",
     .min = 1, .max = 1024, .commands = "sweep"},
    {.name = "shard", .kind = K::kText,
     .help = "K/N: run only configurations K-1, K-1+N, K-1+2N, ... (JSON lines out; join with --merge)",
     .commands = "sweep"},
    {.name = "csv", .kind = K::kPath, .help = "write the rows as CSV to this file (default: standard output)",
     .commands = "sweep"},
    {.name = "jsonl", .kind = K::kPath, .help = "write the rows as JSON lines to this file (a header line first)",
     .commands = "sweep"},
    {.name = "progress", .kind = K::kFlag,
     .help = "report progress on standard error even when it is not a terminal", .commands = "run,stream,sweep"},
    // Replays on GPUs.
    {.name = "mode", .kind = K::kChoice,
     .help = "multi-gpu: rank r on GPU first-gpu+r, NCCL; emulated: every rank on one GPU, communication as device "
             "copies (numerics; times not a cluster's); kernels: each distinct compute op timed alone on one GPU",
     .choices = "multi-gpu,emulated,kernels", .commands = "replay"},
    {.name = "warmup", .kind = K::kInteger, .help = "untimed runs before the timed ones", .min = 0, .max = 1000,
     .commands = "replay"},
    {.name = "repeats", .kind = K::kInteger, .help = "timed runs (per-op and step times are their medians)", .min = 1,
     .max = 10000, .commands = "replay"},
    {.name = "first-gpu", .kind = K::kInteger, .help = "the CUDA device of rank 0 (and of every rank but multi-gpu's)",
     .min = 0, .max = 1023, .commands = "replay"},
    {.name = "input-seed", .kind = K::kInteger, .help = "seed of the random inputs (fresh data: change it per check)",
     .min = 0, .max = kMaxSeed, .commands = "replay"},
    {.name = "check", .kind = K::kFlag,
     .help = "also replay the strategy's attention layer on the dense reference's inputs and report the numerical "
             "errors (tolerance by dtype: bf16 2e-2, fp16 5e-3, fp32/fp64 1e-5)",
     .commands = "replay"},
    {.name = "timeline", .kind = K::kPath,
     .help = "write the Timeline file (per-op start/end, docs/formats.md); run with 'all': of the fastest strategy",
     .commands = "run,replay"},
    {.name = "dot", .kind = K::kPath, .help = "write Graphviz to this file", .commands = "topo"},
};

constexpr std::string_view kConfigCommands = "run,verify,plan,sweep,stream";

std::vector<std::string_view> split(std::string_view list) {
  std::vector<std::string_view> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    out.push_back(list.substr(0, comma));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

bool listed(std::string_view list, std::string_view item) {
  for (std::string_view x : split(list))
    if (x == item) return true;
  return false;
}

std::string joined(std::string_view list) {
  std::string out;
  for (std::string_view x : split(list)) out += (out.empty() ? "" : ", ") + std::string(x);
  return out;
}

std::string real_text(double x) { return fmt::format("{}", x); }

[[noreturn]] void refuse(const SettingSpec& spec, const std::string& where, const std::string& got) {
  throw InputError(where, "expected " + setting_expectation(spec) + ", got " + got);
}

// Text values end up in JSON (config documents, sweep rows, outputs), whose
// strings are UTF-8: other bytes are refused here, not at the first dump.
bool valid_utf8(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

std::int64_t checked_integer(const SettingSpec& spec, std::int64_t x, const std::string& where,
                             const std::string& got) {
  if (x < spec.min || x > spec.max) refuse(spec, where, got);
  return x;
}

// One integer from text: the whole text, decimal, in range.
std::int64_t integer_from_text(const SettingSpec& spec, std::string_view text, const std::string& where) {
  std::int64_t x = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
    refuse(spec, where, "'" + std::string(text) + "'");
  return checked_integer(spec, x, where, "'" + std::string(text) + "'");
}

std::int64_t integer_from_json(const SettingSpec& spec, const nlohmann::json& v, const std::string& where) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) refuse(spec, where, v.dump());
    return checked_integer(spec, static_cast<std::int64_t>(u), where, v.dump());
  }
  if (v.is_number_integer()) return checked_integer(spec, v.get<std::int64_t>(), where, v.dump());
  refuse(spec, where, v.dump());
}

double checked_real(const SettingSpec& spec, double x, const std::string& where, const std::string& got) {
  const bool low_ok = spec.min_open ? x > spec.real_min : x >= spec.real_min;
  if (!std::isfinite(x) || !low_ok || x > spec.real_max) refuse(spec, where, got);
  return x;
}

SettingValue value_from_text(const SettingSpec& spec, const std::vector<std::string>& raw, const std::string& where) {
  SettingValue v;
  const std::string text = raw.empty() ? std::string() : raw.back();
  switch (spec.kind) {
    case K::kText:
    case K::kPath:
      if (text.empty()) refuse(spec, where, "an empty value");
      if (!valid_utf8(text)) refuse(spec, where, "bytes that are not UTF-8 text");
      v.text = text;
      break;
    case K::kChoice:
      if (!listed(spec.choices, text)) refuse(spec, where, "'" + text + "'");
      v.text = text;
      break;
    case K::kInteger:
      v.integer = integer_from_text(spec, text, where);
      break;
    case K::kTokenCount: {
      std::int64_t n = 0;
      try {
        n = parse_token_count(text, where);
      } catch (const InputError&) {
        refuse(spec, where, "'" + text + "'");
      }
      v.integer = checked_integer(spec, n, where, "'" + text + "'");
      break;
    }
    case K::kIntegers:
      if (raw.size() > spec.max_count) refuse(spec, where, std::to_string(raw.size()) + " values");
      for (const std::string& x : raw) v.integers.push_back(integer_from_text(spec, x, where));
      if (v.integers.empty()) refuse(spec, where, "an empty list");
      break;
    case K::kReal: {
      char* end = nullptr;
      const double x = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size()) refuse(spec, where, "'" + text + "'");
      v.real = checked_real(spec, x, where, "'" + text + "'");
      break;
    }
    case K::kFlag:
      v.flag = true;
      break;
  }
  return v;
}

SettingValue value_from_json(const SettingSpec& spec, const nlohmann::json& j, const std::string& where) {
  SettingValue v;
  switch (spec.kind) {
    case K::kText:
    case K::kPath:
    case K::kChoice:
      if (!j.is_string()) refuse(spec, where, j.dump());
      return value_from_text(spec, {j.get<std::string>()}, where);
    case K::kInteger:
      v.integer = integer_from_json(spec, j, where);
      return v;
    case K::kTokenCount:
      if (j.is_string()) return value_from_text(spec, {j.get<std::string>()}, where);
      v.integer = integer_from_json(spec, j, where);
      return v;
    case K::kIntegers:
      if (!j.is_array() || j.empty()) refuse(spec, where, j.dump());
      if (j.size() > spec.max_count) refuse(spec, where, std::to_string(j.size()) + " values");
      for (const auto& x : j) v.integers.push_back(integer_from_json(spec, x, where));
      return v;
    case K::kReal:
      if (!j.is_number()) refuse(spec, where, j.dump());
      v.real = checked_real(spec, j.get<double>(), where, j.dump());
      return v;
    case K::kFlag:
      if (!j.is_boolean()) refuse(spec, where, j.dump());
      v.flag = j.get<bool>();
      return v;
  }
  return v;
}

// A checked value as a config file's JSON gives it.
nlohmann::json json_of_value(const SettingSpec& spec, const SettingValue& v) {
  switch (spec.kind) {
    case K::kText:
    case K::kPath:
    case K::kChoice: return v.text;
    case K::kInteger:
    case K::kTokenCount: return v.integer;
    case K::kIntegers: return v.integers;
    case K::kReal: return v.real;
    case K::kFlag: return v.flag;
  }
  return nullptr;
}

}  // namespace

nlohmann::json setting_json_from_text(const SettingSpec& spec, const std::string& text, const std::string& where) {
  if (spec.kind == K::kFlag) {
    if (text != "true" && text != "false") refuse(spec, where, "'" + text + "'");
    return text == "true";
  }
  if (spec.kind == K::kIntegers) {
    std::vector<std::string> raw;
    for (std::string_view x : split(text)) raw.emplace_back(x);
    return json_of_value(spec, value_from_text(spec, raw, where));
  }
  return json_of_value(spec, value_from_text(spec, {text}, where));
}

nlohmann::json setting_json_checked(const SettingSpec& spec, const nlohmann::json& value, const std::string& where) {
  return json_of_value(spec, value_from_json(spec, value, where));
}

nlohmann::ordered_json Settings::given_json() const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [name, b] : bound_)  // a std::map: sorted
    if (b.value) j[name] = nlohmann::ordered_json(json_of_value(*b.spec, *b.value));
  return j;
}

std::span<const SettingSpec> setting_specs() { return kSpecs; }

bool setting_of_command(const SettingSpec& spec, std::string_view command) { return listed(spec.commands, command); }

bool settings_exclusive(std::string_view a, std::string_view b) {
  const SettingSpec* sa = find_setting(a);
  const SettingSpec* sb = find_setting(b);
  return (sa && listed(sa->replaces, b)) || (sb && listed(sb->replaces, a));
}

const SettingSpec* find_setting(std::string_view name) {
  for (const SettingSpec& s : kSpecs)
    if (s.name == name) return &s;
  return nullptr;
}

std::string setting_expectation(const SettingSpec& spec) {
  const std::string unit = spec.unit.empty() ? "" : " " + std::string(spec.unit);
  switch (spec.kind) {
    case K::kText: return "a name";
    case K::kPath: return "a file path";
    case K::kChoice: return "one of: " + joined(spec.choices);
    case K::kInteger: return fmt::format("an integer in {}..{}{}", spec.min, spec.max, unit);
    case K::kIntegers:
      return fmt::format("a list of 1..{} integers in {}..{}{}", spec.max_count, spec.min, spec.max, unit);
    case K::kTokenCount: return fmt::format("a token count (e.g. 512K, 2M) in {}..{}{}", spec.min, spec.max, unit);
    case K::kReal:
      return fmt::format("a number in {}{}, {}]{}", spec.min_open ? "(" : "[", real_text(spec.real_min),
                         real_text(spec.real_max), unit);
    case K::kFlag: return "true or false";
  }
  return "";
}

Settings::Settings(CLI::App& cmd, std::string_view command) : cmd_(cmd), command_(command) {
  if (listed(kConfigCommands, command))
    config_option_ = cmd_.add_option("--config", config_file_,
                                     "JSON file of these settings (keys: the flag names without --; a flag given "
                                     "wins over the file's key)");
}

void Settings::add(std::string_view name, Store store, std::string default_shown, Limits limits) {
  const SettingSpec* spec = find_setting(name);
  if (!spec || !listed(spec->commands, command_))
    throw std::logic_error("setting '" + std::string(name) + "' is not in the table for " + command_);
  if ((spec->kind == K::kInteger || spec->kind == K::kIntegers || spec->kind == K::kTokenCount) &&
      (!limits || static_cast<long double>(spec->min) < limits->first ||
       static_cast<long double>(spec->max) > limits->second))
    throw std::logic_error("setting '" + std::string(name) + "': the field cannot hold the table's range");
  auto [it, fresh] = bound_.emplace(std::string(name), Bound{spec, std::move(store), nullptr, {}, std::nullopt});
  if (!fresh) throw std::logic_error("setting '" + std::string(name) + "' bound twice");
  Bound& b = it->second;
  std::string help(spec->help);
  if (spec->kind != K::kText && spec->kind != K::kPath && spec->kind != K::kFlag)
    help += " (" + setting_expectation(*spec) + ")";
  const std::string flag = "--" + std::string(name);
  if (spec->kind == K::kFlag) {
    b.option = cmd_.add_flag_callback(flag, [&b]() { b.raw = {"true"}; }, help);
  } else {
    b.option = cmd_.add_option_function<std::vector<std::string>>(
        flag, [&b](const std::vector<std::string>& v) { b.raw = v; }, help);
    if (spec->kind == K::kIntegers) b.option->delimiter(',');
    else b.option->expected(1);
    if (!default_shown.empty()) b.option->default_str(default_shown);
  }
}

void Settings::apply_flags() {
  // Each flag given: validated, stored, and its origin kept.
  for (auto& [name, b] : bound_) {
    if (b.option->count() == 0) continue;
    const std::string where = "--" + name;
    b.value = value_from_text(*b.spec, b.raw, where);
    b.store(*b.value);
    origin_[name] = where;
  }
}

void Settings::apply_config_keys(std::string_view text, const std::string& path) {
  const nlohmann::json j = parse_input_json(text, path);
  if (!j.is_object()) throw InputError(path, "expected a JSON object of settings");
  for (const auto& [key, value] : j.items()) {
    const std::string where = path + ": key '" + key + "'";
    const auto it = bound_.find(key);
    if (it == bound_.end()) {
      std::string names;
      for (const auto& [n, unused] : bound_) names += (names.empty() ? "" : ", ") + n;
      const SettingSpec* other = find_setting(key);
      throw InputError(where, other ? "is not a setting of spsim " + command_ + " (it is for: " +
                                          joined(other->commands) + ")"
                                    : "unknown key; expected one of: " + names);
    }
    if (given(key)) continue;  // the flag wins
    it->second.value = value_from_json(*it->second.spec, value, where);
    it->second.store(*it->second.value);
    origin_[key] = where;
  }
}

void Settings::apply() {
  apply_flags();
  if (config_option_ && config_option_->count() > 0) {
    if (config_file_.empty()) throw InputError("--config", "expected a file path, got an empty value");
    apply_config_keys(read_input_file(config_file_, "config JSON file"), config_file_);
  }
  check_rules();
}

void Settings::apply_config_text(std::string_view text, const std::string& where) {
  apply_flags();
  apply_config_keys(text, where);
  check_rules();
}

void Settings::check_rules() const {
  for (const auto& [name, b] : bound_) {
    if (!given(name)) continue;
    for (std::string_view other : split(b.spec->replaces))
      if (given(other))
        throw InputError(where(name), "replaces " + where(other) + "; give one of them, not both");
    for (std::string_view other : split(b.spec->needs)) {
      // "a|b": either one.
      bool bound = false, any = false;
      std::string flags;
      for (std::string_view alt = other; !alt.empty();) {
        const std::string one(alt.substr(0, alt.find('|')));
        bound = bound || bound_.count(one);
        any = any || given(one);
        flags += (flags.empty() ? "--" : " or --") + one;
        alt.remove_prefix(std::min(alt.size(), one.size() + 1));
      }
      if (bound && !any) throw InputError(where(name), "has no effect without " + flags);
    }
  }
}

std::string Settings::where(std::string_view name) const {
  const auto it = origin_.find(std::string(name));
  return it != origin_.end() ? it->second : "--" + std::string(name);
}

void Settings::check_used_by(std::string_view strategy, std::string_view what) const {
  if (strategy == "all") return;
  for (const auto& [name, b] : bound_)
    if (given(name) && !b.spec->strategies.empty() && !listed(b.spec->strategies, strategy))
      throw InputError(where(name), "is an option of " + joined(b.spec->strategies) + " only; " + std::string(what) +
                                        " '" + std::string(strategy) + "' does not use it");
}

InputError Settings::relocate(const InputError& e) const {
  const std::string& w = e.where();
  if (w.rfind("--", 0) != 0) return e;
  const std::string name = w.substr(2, w.find(' ') == std::string::npos ? std::string::npos : w.find(' ') - 2);
  const auto it = origin_.find(name);
  if (it == origin_.end() || it->second.rfind("--", 0) == 0) return e;
  return InputError(it->second + w.substr(2 + name.size()), e.expected());
}

}  // namespace spsim::cli
