#pragma once
// The contract between an SP strategy and everything that uses it.
//
// A strategy emits one attention layer of a Program for an SP group: given
// per-member buffers q, k, v holding the member's shard (the strategy's own
// shard_layout, all heads), it adds the ops that leave each member's shard of
// the attention output in `out` (forward), and — given dout in the same
// layout — dq, dk, dv (backward). Members are group indices 0..P-1; member i
// runs on global rank ranks[i], so one strategy serves a whole cluster or one
// SP group among several (the FlexSP planner).
//
// Strategies write each layer with these conventions:
// - streams by name through ProgramBuilder::stream(): "compute" for kernels,
//   and "comm"/"send"/"recv"/"coll" style streams for communication, so that
//   communication overlaps compute exactly where the strategy says it does;
// - a fresh buffer per received block (SSA style), with the dependencies a
//   real implementation's buffer reuse implies (double buffering), so the
//   simulator sees realistic memory and no unbounded run-ahead;
// - tags unique per (layer, phase, step) where possible;
// - set_step() before each step, for readable traces.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "program/program.h"
#include "strategies/attention_kind.h"
#include "strategies/workload.h"

namespace spsim {

// What a layer computes: softmax attention (op_kind.h AttnFwd: scale
// 1/sqrt(D), out and lse) or linear attention (op_kind.h linear kinds: causal
// o_t = sum_{s<=t} (q_t·k_s) v_s, no normalization, no lse).

// How the ring family (ring, zigzag, striped, and usp's rings) moves the dK,dV
// accumulators in the backward (docs/strategies.md, "Ring backward").
enum class RingBackward : std::uint8_t {
  // zhuzilin/ring-flash-attention ring_flash_attn_backward: the step's kernel
  // writes block dK,dV of its own; only then the incoming accumulator is
  // awaited, added to and sent on, so the hops overlap the next kernels.
  kRingFlashAttn,
  // TransformerEngine AttnFuncWithCPAndKVP2P.backward: the accumulator
  // travels in one message with the next K,V, started at the step's start.
  kTransformerEngine,
};
std::string_view ring_backward_name(RingBackward mode);  // "ring-flash-attn", "transformer-engine"
std::optional<RingBackward> parse_ring_backward(std::string_view name);

struct StrategyOptions {
  // A constructor (not an aggregate), so that `{P}` or `{P, Pu}` stay valid,
  // warning-free, when fields are added.
  StrategyOptions() = default;
  StrategyOptions(std::uint32_t sp_degree, std::optional<std::uint32_t> pu = std::nullopt,
                  std::optional<std::uint32_t> w = std::nullopt,
                  std::optional<AttentionKind> kind = std::nullopt)
      : sp(sp_degree), ulysses_degree(pu), window(w), layer_kind(kind) {}

  std::uint32_t sp = 1;                         // SP degree P (group size)
  std::optional<std::uint32_t> ulysses_degree;  // usp: Pu (ring degree Pr = P / Pu)
  std::optional<std::uint32_t> window;          // double-ring: inner ring window w
  // The kind of the layer to emit, for strategies of hybrid models (lasp2h:
  // linear layers by LASP-2, softmax layers by all-gather K,V); nullopt: the
  // strategy's default (Strategy::attention_kind). A model lowering sets it
  // per layer from the model's layer pattern. Strategies that emit one kind
  // only refuse the other (lower_attention checks it for every strategy).
  std::optional<AttentionKind> layer_kind;
  RingBackward ring_backward = RingBackward::kRingFlashAttn;  // the ring family's dK,dV scheme
  // Lowering stops with ProgramTooLarge past this many ops (0: no limit);
  // commands derive it from their memory limit.
  std::size_t max_ops = 0;
};


struct LayerContext {
  const Workload& workload;
  const StrategyOptions& options;
  std::span<const RankId> ranks;  // member i runs on global rank ranks[i]; size == options.sp
  std::uint16_t layer = 0;
};

// Per member: buffers and the ops whose completion makes them valid.
using OpList = std::vector<OpId>;

struct LayerInputs {
  std::vector<BufferId> q, k, v;   // shard rows, heads [0, H) resp. [0, Hkv)
  std::vector<OpList> ready;       // per member; empty: valid at program start
};

struct LayerForward {
  std::vector<BufferId> out;          // shard rows, heads [0, H), head_dim cols
  std::vector<BufferId> lse;          // shard rows, [rows, H, 1] fp32; empty if none
  std::vector<OpList> done;           // per member: ops after which out (and lse) are valid
  std::vector<std::vector<BufferId>> saved;  // per member, strategy-private state for backward

  // Every per-member list sized for `members` (lse left empty without one).
  static LayerForward sized(std::uint32_t members, bool with_lse) {
    LayerForward f;
    f.out.resize(members);
    if (with_lse) f.lse.resize(members);
    f.done.resize(members);
    f.saved.resize(members);
    return f;
  }
};

struct LayerBackwardInputs {
  std::vector<BufferId> dout;   // shard rows, like out
  std::vector<OpList> ready;    // per member
};

struct LayerBackward {
  std::vector<BufferId> dq, dk, dv;  // shard rows, like q, k, v
  std::vector<OpList> done;          // per member

  // Every per-member list sized for `members`.
  static LayerBackward sized(std::uint32_t members) {
    LayerBackward g;
    g.dq.resize(members);
    g.dk.resize(members);
    g.dv.resize(members);
    g.done.resize(members);
    return g;
  }
};

class Strategy {
 public:
  virtual ~Strategy() = default;

  // Registry name, e.g. "zigzag".
  virtual std::string_view name() const = 0;
  // One line: what moves and when.
  virtual std::string_view summary() const = 0;
  // One line: what the workload and degree must satisfy.
  virtual std::string_view constraints() const = 0;

  // Why this workload / options cannot run with this strategy (one sentence,
  // naming the quantity), or nullopt when it can. Must be called and pass
  // before any other method.
  virtual std::optional<std::string> refuse(const Workload& w, const StrategyOptions& o) const = 0;

  // The attention these options make the strategy's layers compute; verify
  // compares with the matching dense reference (linear attention has no lse).
  virtual AttentionKind attention_kind(const StrategyOptions&) const { return AttentionKind::kSoftmax; }

  // Every sequence is padded to a multiple of this before sharding (as
  // TransformerEngine's THD format and Megatron pad each sequence to a
  // multiple of 2·CP for zigzag, of CP for a contiguous ring): the multiple
  // that refuse() otherwise demands. Default: P.
  virtual std::int64_t sequence_multiple(const Workload& w, const StrategyOptions& o) const {
    (void)w;
    return o.sp;
  }

  // Positions of member i's q/k/v/out shard.
  virtual TokenLayout shard_layout(const Workload& w, const StrategyOptions& o,
                                   std::uint32_t member) const = 0;

  virtual LayerForward forward(ProgramBuilder& b, const LayerContext& ctx,
                               const LayerInputs& in) const = 0;
  virtual LayerBackward backward(ProgramBuilder& b, const LayerContext& ctx,
                                 const LayerInputs& in, const LayerForward& fwd,
                                 const LayerBackwardInputs& grad) const = 0;
};

// `w` with every sequence padded to s.sequence_multiple(w, o) (the real
// lengths stay in w; lower_attention and lower_model_step mark the added
// tokens as padding). Equal to w when nothing needs padding.
Workload padded_workload(const Strategy& s, const Workload& w, const StrategyOptions& o);
// Padding tokens the padded workload adds (0 when none).
std::int64_t padding_tokens(const Strategy& s, const Workload& w, const StrategyOptions& o);

// Common refusals, shared by strategies; each returns a sentence or nullopt.
// P must be at least 1 and no larger than the shortest sequence.
std::optional<std::string> refuse_degree(const Workload& w, const StrategyOptions& o);
// options.layer_kind set to a kind other than attention_kind(options).
std::optional<std::string> refuse_layer_kind(const Strategy& s, const StrategyOptions& o);
// Every sequence length divisible by `parts` (named in the message as `what`).
std::optional<std::string> refuse_indivisible(const Workload& w, std::int64_t parts,
                                              std::string_view what);

}  // namespace spsim
