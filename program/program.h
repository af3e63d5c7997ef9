#pragma once
// The Program: what every SP strategy lowers to, and what the simulator, the
// host executor and the GPU executor all run.
//
// - Ranks 0..num_ranks-1. Each rank has in-order streams named by the
//   program-wide stream table ("compute", "comm", ...). Ops on one (rank,
//   stream) run in creation order; any other ordering is an explicit
//   dependency, like a CUDA event. Dependencies only point to earlier ops of
//   the same rank (cross-rank ordering comes from communication alone).
// - Buffers live on one rank: shape [rows, heads, cols] with a dtype. Token
//   buffers carry the global positions of their rows (a LayoutId, see
//   token_layout.h) and the global index of their first head; state buffers
//   (linear attention) have no layout. A buffer may be a row view of another
//   (no storage of its own). A zero_init buffer reads as zeros before any write.
// - Ops: a kind (op_kind.h says what each computes), operand buffers, deps.
//
// Storage is compact (dense 32-bit ids, flat arrays, operands and deps in
// shared pools): a 1024-rank ring schedule with millions of ops fits in well
// under a gigabyte. Programs are built with ProgramBuilder and immutable after.

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "program/dtype.h"
#include "program/op_kind.h"
#include "program/optional_id.h"
#include "program/token_layout.h"

namespace spsim {

using RankId = std::uint32_t;
enum class OpId : std::uint32_t {};
enum class BufferId : std::uint32_t {};
enum class LayoutId : std::uint32_t {};
enum class StreamId : std::uint16_t {};
enum class GroupId : std::uint32_t {};
enum class NameId : std::uint32_t {};

// Dense index of an id, for indexing flat arrays.
template <class Id>
constexpr std::size_t idx(Id id) {
  return static_cast<std::size_t>(id);
}

// Ids from dense indices (for loops over all ops / buffers).
constexpr OpId op_id(std::size_t i) { return OpId{static_cast<std::uint32_t>(i)}; }
constexpr BufferId buffer_id(std::size_t i) { return BufferId{static_cast<std::uint32_t>(i)}; }

// A Program that breaks its contract (built by a strategy with a bug, or read
// from a file that is wrong). The message names the op or buffer.
class ProgramError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A Program grew past the op limit its builder was given
// (ProgramBuilder::set_op_limit): the caller turns it into a refusal naming
// its resource limit, before memory runs out.
class ProgramTooLarge : public std::runtime_error {
 public:
  explicit ProgramTooLarge(std::size_t limit)
      : std::runtime_error("the program grows past " + std::to_string(limit) + " ops"), limit_(limit) {}
  std::size_t limit() const { return limit_; }

 private:
  std::size_t limit_;
};

enum OpFlag : std::uint8_t {
  kOpCausal = 1,  // attention kinds: apply the causal mask
};

struct Op {
  OpKind kind;
  std::uint8_t flags;
  StreamId stream;
  RankId rank;
  std::uint32_t peer;  // Send: destination rank; Recv: source rank; Collective: GroupId
  std::uint32_t tag;   // Send/Recv: tag; Collective: CollectiveSpec::encode()
  std::uint32_t step;  // label only: position in the strategy's schedule (e.g. ring step)
  std::uint16_t layer; // label only: model layer
  // Attention kinds: (q, k) pairs the mask leaves visible, per head. RSA kinds
  // are dense GEMMs: q rows x k rows. Linear kinds: LinIntra/LinIntraBwd the
  // visible (q, k) pairs per head like attention; LinState, LinInter,
  // LinInterBwd, LinDState, LinStateBwd the token rows of their first operand
  // (each row is one d_k x d_v outer product or vector-matrix product per
  // head); LinStateSum the number of state blocks it adds. Zero for other kinds.
  std::int64_t work;

  bool causal() const { return (flags & kOpCausal) != 0; }
};

struct Buffer {
  RankId rank = 0;
  DType dtype = DType::kBF16;
  bool zero_init = false;
  NameId name{};
  OptionalId<LayoutId> layout;      // row positions (token buffers)
  OptionalId<LayoutId> col_layout;  // column positions (RSA score buffers)
  std::uint32_t rows = 0;
  std::uint32_t head_begin = 0;  // global index of the first head
  std::uint32_t heads = 0;
  std::uint32_t cols = 0;  // head_dim for token buffers
  OptionalId<BufferId> parent;     // set for row views (always a root buffer)
  std::uint32_t row_offset = 0;    // first row of the view within parent

  std::uint64_t elements() const { return std::uint64_t{rows} * heads * cols; }
  std::uint64_t bytes() const { return elements() * dtype_bytes(dtype); }
};

// Global tensors of one attention layer that executors bind to buffers.
enum class Tensor : std::uint8_t { kQ, kK, kV, kDOut, kOut, kLse, kDQ, kDK, kDV };
std::string_view tensor_name(Tensor t);

// An input binding fills the buffer from the global tensor (rows by position,
// heads from head_begin) before the program runs; an output binding reads the
// buffer into the global tensor after it ends.
struct Binding {
  BufferId buffer;
  Tensor tensor;
};

class Program {
 public:
  std::uint32_t num_ranks() const { return num_ranks_; }
  // Query heads per key/value head (GQA group size; 1 for MHA).
  std::uint32_t q_per_kv() const { return q_per_kv_; }

  std::size_t num_ops() const { return ops_.size(); }
  const Op& op(OpId id) const { return ops_[idx(id)]; }
  std::span<const BufferId> operands(OpId id) const {
    return {operands_.data() + operand_begin_[idx(id)],
            operands_.data() + operand_begin_[idx(id) + 1]};
  }
  std::span<const OpId> deps(OpId id) const {
    return {deps_.data() + dep_begin_[idx(id)], deps_.data() + dep_begin_[idx(id) + 1]};
  }

  std::size_t num_buffers() const { return buffers_.size(); }
  const Buffer& buffer(BufferId id) const { return buffers_[idx(id)]; }
  std::string_view buffer_name(BufferId id) const { return name(buffer(id).name); }
  // The buffer that owns the storage (itself unless a view).
  BufferId root(BufferId id) const { return buffer(id).parent.value_or(id); }

  std::span<const TokenRun> layout(LayoutId id) const {
    return {runs_.data() + layout_begin_[idx(id)], runs_.data() + layout_begin_[idx(id) + 1]};
  }

  std::size_t num_streams() const { return stream_names_.size(); }
  std::string_view stream_name(StreamId id) const { return stream_names_[idx(id)]; }

  std::size_t num_groups() const { return group_begin_.size() - 1; }
  std::span<const RankId> group(GroupId id) const {
    return {group_ranks_.data() + group_begin_[idx(id)],
            group_ranks_.data() + group_begin_[idx(id) + 1]};
  }

  std::string_view name(NameId id) const { return names_[idx(id)]; }

  std::span<const Binding> inputs() const { return inputs_; }
  std::span<const Binding> outputs() const { return outputs_; }

  // What the op is, for a person reading a trace or a timeline: the kind
  // ("attn_fwd"), "send -> 3", "recv <- 2", the collective ("all_gather").
  std::string op_label(OpId id) const;
  // "op 17 (rank 3, stream compute, attn_fwd, layer 0 step 2)": for messages.
  std::string describe_op(OpId id) const;
  // "buffer 5 'kv_recv' (rank 3, [128, 8, 64] bf16)": for messages.
  std::string describe_buffer(BufferId id) const;

  // Approximate heap bytes held by this Program.
  std::size_t memory_bytes() const;

 private:
  friend class ProgramBuilder;
  friend Program without_dependency(const Program&, OpId, OpId);

  std::uint32_t num_ranks_ = 0;
  std::uint32_t q_per_kv_ = 1;
  std::vector<Op> ops_;
  std::vector<std::uint32_t> operand_begin_{0};
  std::vector<BufferId> operands_;
  std::vector<std::uint32_t> dep_begin_{0};
  std::vector<OpId> deps_;
  std::vector<Buffer> buffers_;
  std::vector<std::uint32_t> layout_begin_{0};
  std::vector<TokenRun> runs_;
  std::vector<std::string> stream_names_;
  std::vector<std::uint32_t> group_begin_{0};
  std::vector<RankId> group_ranks_;
  std::vector<std::string> names_;
  std::vector<Binding> inputs_;
  std::vector<Binding> outputs_;
};

// Dependencies of a new op: a short list of op ids; nullopt entries are
// skipped, so "the previous step's op, if any" reads naturally. Up to
// kInline ids live inline (no heap allocation on the op-building hot path).
class Deps {
 public:
  Deps() = default;
  Deps(std::initializer_list<std::optional<OpId>> ids) {
    for (const auto& id : ids) add(id);
  }
  Deps(std::span<const OpId> ids) {
    for (OpId id : ids) add(id);
  }
  void add(std::optional<OpId> id) {
    if (!id) return;
    if (overflow_.empty() && size_ < kInline) {
      inline_[size_++] = *id;
      return;
    }
    if (overflow_.empty()) overflow_.assign(inline_.begin(), inline_.begin() + size_);
    overflow_.push_back(*id);
  }
  std::span<const OpId> ids() const {
    if (!overflow_.empty()) return overflow_;
    return {inline_.data(), size_};
  }

 private:
  static constexpr std::size_t kInline = 6;
  std::array<OpId, kInline> inline_{};
  std::size_t size_ = 0;
  std::vector<OpId> overflow_;
};

// Builds a Program. Methods throw ProgramError when asked for something that
// cannot be a valid op (operands on another rank, a dependency on a later or
// remote op); the full consistency check is check_program().
class ProgramBuilder {
 public:
  explicit ProgramBuilder(std::uint32_t num_ranks, std::uint32_t q_per_kv = 1);

  // Read access to what has been built so far. References into it (e.g.
  // `const Buffer&`) are invalidated by the next buffer or op created: copy
  // the record (`const Buffer b = program().buffer(id)`) when building on.
  const Program& program() const { return p_; }

  // Interned tables.
  StreamId stream(std::string_view name);
  GroupId group(std::span<const RankId> ranks);
  LayoutId layout(std::span<const TokenRun> runs);

  // The real lengths of the sequences when the layouts given to layout() are
  // those of padded sequences: from now on every interned layout marks the
  // tokens at positions >= real_lens[s] of sequence s as padding
  // (token_layout.h, mark_padding()). Empty (the default): no padding.
  void set_real_lengths(std::vector<std::int64_t> real_lens) { real_lens_ = std::move(real_lens); }

  // Ops beyond `max_ops` throw ProgramTooLarge (0, the default: no limit).
  void set_op_limit(std::size_t max_ops) { max_ops_ = max_ops; }

  // Labels stamped on the ops created from now on.
  void set_layer(std::uint16_t layer) { layer_ = layer; }
  void set_step(std::uint32_t step) { step_ = step; }

  // A token buffer [tokens of layout, heads, head_dim].
  BufferId token_buffer(RankId rank, std::string_view name, DType dtype, LayoutId layout,
                        std::uint32_t head_begin, std::uint32_t heads, std::uint32_t head_dim,
                        bool zero_init = false);
  // A buffer of the same shape, layout and heads as `like`, on `rank`.
  BufferId buffer_like(BufferId like, RankId rank, std::string_view name,
                       std::optional<DType> dtype = std::nullopt, bool zero_init = false);
  // A plain [rows, heads, cols] buffer without positions (states, workspaces).
  BufferId matrix_buffer(RankId rank, std::string_view name, DType dtype, std::uint32_t rows,
                         std::uint32_t head_begin, std::uint32_t heads, std::uint32_t cols,
                         bool zero_init = false);
  // An RSA score buffer: rows are the query positions, columns the key positions.
  BufferId score_buffer(RankId rank, std::string_view name, DType dtype, LayoutId rows,
                        LayoutId cols, std::uint32_t head_begin, std::uint32_t heads,
                        bool zero_init = false);
  // Rows [offset, offset + count) of a token buffer, sharing its storage.
  BufferId row_view(BufferId parent, std::uint32_t offset, std::uint32_t count,
                    std::string_view name = {});

  // Ops. The rank is the rank of the operands. Deps must be earlier ops of the same rank.
  OpId attn_fwd(StreamId s, BufferId q, BufferId k, BufferId v, BufferId out, BufferId lse,
                bool causal, const Deps& deps = {});
  OpId attn_merge(StreamId s, BufferId out, BufferId lse, BufferId part_out, BufferId part_lse,
                  const Deps& deps = {});
  OpId attn_bwd_prep(StreamId s, BufferId out, BufferId dout, BufferId delta,
                     const Deps& deps = {});
  OpId attn_bwd(StreamId s, BufferId q, BufferId k, BufferId v, BufferId dout, BufferId lse,
                BufferId delta, BufferId dq, BufferId dk, BufferId dv, bool causal,
                const Deps& deps = {});
  // A model layer outside attention: out = W in per row (op_kind.h, Dense).
  OpId dense(StreamId s, BufferId in, BufferId out, std::uint32_t seed, const Deps& deps = {});
  OpId dense_bwd(StreamId s, BufferId in, BufferId dout, BufferId din, std::uint32_t seed,
                 const Deps& deps = {});
  OpId copy(StreamId s, BufferId src, BufferId dst, const Deps& deps = {});
  OpId accumulate(StreamId s, BufferId src, BufferId dst, const Deps& deps = {});
  // A message of one or more buffers (one NCCL group of sends: one launch,
  // one latency); the k-th buffer of a Send lands in the k-th of its Recv.
  OpId send(StreamId s, BufferId buf, RankId dst, std::uint32_t tag, const Deps& deps = {});
  OpId send(StreamId s, std::initializer_list<BufferId> bufs, RankId dst, std::uint32_t tag,
            const Deps& deps = {});
  OpId recv(StreamId s, BufferId buf, RankId src, std::uint32_t tag, const Deps& deps = {});
  OpId recv(StreamId s, std::initializer_list<BufferId> bufs, RankId src, std::uint32_t tag,
            const Deps& deps = {});
  OpId collective(StreamId s, CollectiveSpec spec, GroupId group, BufferId in, BufferId out,
                  const Deps& deps = {});
  // Linear attention (op_kind.h); state buffers come from matrix_buffer.
  OpId lin_state(StreamId s, BufferId k, BufferId v, BufferId state, const Deps& deps = {});
  OpId lin_intra(StreamId s, BufferId q, BufferId k, BufferId v, BufferId out, bool causal,
                 const Deps& deps = {});
  OpId lin_inter(StreamId s, BufferId q, BufferId state, BufferId out, const Deps& deps = {});
  OpId lin_state_sum(StreamId s, BufferId gathered, BufferId out, std::uint32_t member,
                     StateRange range, const Deps& deps = {});
  OpId lin_intra_bwd(StreamId s, BufferId q, BufferId k, BufferId v, BufferId dout, BufferId dq,
                     BufferId dk, BufferId dv, bool causal, const Deps& deps = {});
  OpId lin_inter_bwd(StreamId s, BufferId dout, BufferId state, BufferId dq, const Deps& deps = {});
  OpId lin_dstate(StreamId s, BufferId q, BufferId dout, BufferId dstate, const Deps& deps = {});
  OpId lin_state_bwd(StreamId s, BufferId k, BufferId v, BufferId dstate, BufferId dk, BufferId dv,
                     const Deps& deps = {});
  // Any kind with its operands in OperandSpec order (used by the typed
  // helpers above and by kinds without one, e.g. the RSA kinds).
  OpId op(OpKind kind, StreamId s, std::span<const BufferId> operands, const Deps& deps = {},
          std::uint8_t flags = 0, std::uint32_t peer = 0, std::uint32_t tag = 0);

  void bind_input(BufferId buffer, Tensor tensor) { p_.inputs_.push_back({buffer, tensor}); }
  void bind_output(BufferId buffer, Tensor tensor) { p_.outputs_.push_back({buffer, tensor}); }

  // Hands over the Program; the builder is empty afterwards.
  Program finish() &&;

 private:
  NameId intern_name(std::string_view name);
  std::int64_t op_work(OpKind kind, std::span<const BufferId> operands, bool causal,
                       std::uint32_t peer, std::uint32_t tag) const;
  std::int64_t rows_of(BufferId b) const { return p_.buffer(b).rows; }

  Program p_;
  std::vector<std::int64_t> real_lens_;
  std::size_t max_ops_ = 0;
  std::uint16_t layer_ = 0;
  std::uint32_t step_ = 0;
  std::unordered_map<std::string, NameId> name_index_;
  std::unordered_multimap<std::uint64_t, LayoutId> layout_index_;
  std::unordered_map<std::string, GroupId> group_index_;
  // Row slices of interned layouts (row views of many buffers share them).
  struct SliceKey {
    std::uint32_t layout, offset, count;
    bool operator==(const SliceKey&) const = default;
  };
  struct SliceKeyHash {
    std::size_t operator()(const SliceKey& k) const {
      return (std::size_t{k.layout} * 0x9E3779B97F4A7C15ull) ^ (std::size_t{k.offset} << 32) ^ k.count;
    }
  };
  std::unordered_map<SliceKey, LayoutId, SliceKeyHash> slice_index_;
};

}  // namespace spsim
