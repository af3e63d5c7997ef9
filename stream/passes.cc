#include "stream/passes.h"

#include <stdexcept>

namespace spsim {

std::string_view pass_kind_name(PassKind kind) {
  switch (kind) {
    case PassKind::kEncode: return "encode";
    case PassKind::kEncodeStep: return "encode_step";
    case PassKind::kCrossKeys: return "cross_keys";
    case PassKind::kLength: return "length";
    case PassKind::kDecodeStep: return "decode_step";
    case PassKind::kDecodeAll: return "decode_all";
  }
  return "?";
}

std::string_view kernel_style_name(KernelStyle s) { return s == KernelStyle::kEager ? "eager" : "fused"; }

bool is_decoder_pass(PassKind kind) { return kind == PassKind::kDecodeStep || kind == PassKind::kDecodeAll; }
bool is_encoder_pass(PassKind kind) { return kind == PassKind::kEncode || kind == PassKind::kEncodeStep; }

StreamPass encode_pass(std::uint32_t src) { return {PassKind::kEncode, src, 0, 0}; }
StreamPass encode_step_pass(std::uint32_t src) { return {PassKind::kEncodeStep, src, 0, 0}; }
StreamPass cross_keys_pass(std::uint32_t src, std::uint32_t rows) { return {PassKind::kCrossKeys, src, 0, rows}; }
StreamPass length_pass(std::uint32_t src) { return {PassKind::kLength, src, 0, 0}; }
StreamPass decode_step_pass(std::uint32_t src, std::uint32_t position) { return {PassKind::kDecodeStep, src, position, 0}; }
StreamPass decode_all_pass(std::uint32_t src, std::uint32_t tgt) { return {PassKind::kDecodeAll, src, tgt, 0}; }

std::string describe_pass(const StreamPass& p) {
  std::string s(pass_kind_name(p.kind));
  s += " src " + std::to_string(p.src);
  if (p.kind == PassKind::kDecodeStep) s += " pos " + std::to_string(p.tgt);
  if (p.kind == PassKind::kDecodeAll) s += " tgt " + std::to_string(p.tgt);
  if (p.kind == PassKind::kCrossKeys) s += " rows " + std::to_string(p.rows);
  return s;
}

std::uint32_t pass_kernels(const ModelSpec& m, PassKind kind, KernelStyle style) {
  const std::uint32_t a = style == KernelStyle::kEager ? 3 : 1;  // kernels per attention
  switch (kind) {
    case PassKind::kEncode: return 1 + (11 + a) * m.layers;
    case PassKind::kEncodeStep: return 1 + (13 + a) * m.layers;
    case PassKind::kCrossKeys: return 2 * m.decoder_layers;
    case PassKind::kLength: return 2;
    case PassKind::kDecodeStep: return 3 + (17 + 2 * a) * m.decoder_layers;
    case PassKind::kDecodeAll: return 3 + (15 + 2 * a) * m.decoder_layers;
  }
  return 0;
}

namespace {

// Lowers one pass. Source tokens are sequence 0 at positions 0..src-1,
// target tokens sequence 0 at 0..; they never meet in one buffer, and
// cross-attention is unmasked, so the shared sequence id is harmless.
class PassLowering {
 public:
  PassLowering(const ModelSpec& m, DType dtype, KernelStyle style)
      : m_(m), dtype_(dtype), eager_(style == KernelStyle::kEager), b_(1, m.heads / m.kv_heads) {
    s_ = b_.stream("compute");
  }

  Program lower(const StreamPass& p) && {
    switch (p.kind) {
      case PassKind::kEncode: encoder(p.src, p.src, /*unidirectional=*/false); break;
      case PassKind::kEncodeStep: encoder(p.src, 1, /*unidirectional=*/true); break;
      case PassKind::kCrossKeys: cross_keys(p.src, p.rows); break;
      case PassKind::kLength: length(p.src); break;
      case PassKind::kDecodeStep: decoder(p.src, p.tgt, 1, /*cached=*/true); break;
      case PassKind::kDecodeAll: decoder(p.src, 0, p.tgt, /*cached=*/false); break;
    }
    return std::move(b_).finish();
  }

 private:
  LayoutId positions(std::int64_t first, std::int64_t count) {
    const TokenRun run{0, first, count, 1};
    return b_.layout(std::span<const TokenRun>(&run, 1));
  }
  BufferId tokens(LayoutId l, const char* name, std::uint32_t heads, std::uint32_t cols,
                  std::optional<DType> dtype = std::nullopt) {
    return b_.token_buffer(0, name, dtype.value_or(dtype_), l, 0, heads, cols, /*zero_init=*/true);
  }
  BufferId hidden(LayoutId l, const char* name) { return tokens(l, name, 1, m_.hidden); }
  std::uint32_t seed() { return next_seed_++; }

  // x = LayerNorm(x + y): the residual add and the norm.
  BufferId add_norm(LayoutId l, BufferId x, BufferId y) {
    b_.accumulate(s_, y, x);
    const BufferId n = hidden(l, "norm");
    b_.copy(s_, x, n);
    return n;
  }
  // The MLP block: x = LayerNorm(x + down(act(up(x)))).
  BufferId mlp(LayoutId l, BufferId x) {
    const BufferId h = tokens(l, "ffn", 1, m_.ffn_hidden);
    b_.dense(s_, x, h, seed());
    const BufferId a = tokens(l, "act", 1, m_.ffn_hidden);
    b_.copy(s_, h, a);
    const BufferId y = hidden(l, "mlp_out");
    b_.dense(s_, a, y, seed());
    return add_norm(l, x, y);
  }
  // Attention of the rows `l` of q over keys/values k, v (rows `keys`);
  // returns the block's output after its projection.
  BufferId attention(LayoutId l, LayoutId keys, BufferId q, BufferId k, BufferId v, bool causal) {
    const BufferId out = tokens(l, "attn", m_.heads, m_.head_dim);
    if (eager_) {
      // scores = q k^T (masked), probs = softmax(scores), out = probs v: three kernels.
      const BufferId scores = b_.score_buffer(0, "scores", dtype_, l, keys, 0, m_.heads, /*zero_init=*/true);
      const BufferId probs = b_.buffer_like(scores, 0, "probs");
      const BufferId score_ops[] = {q, k, scores};
      b_.op(OpKind::kRsaScores, s_, score_ops, {}, causal ? kOpCausal : 0);
      const BufferId softmax_ops[] = {scores, probs};
      b_.op(OpKind::kRsaSoftmax, s_, softmax_ops);
      const BufferId value_ops[] = {probs, v, out};
      b_.op(OpKind::kRsaProbsV, s_, value_ops);
    } else {
      const BufferId lse = tokens(l, "lse", m_.heads, 1, DType::kF32);
      b_.attn_fwd(s_, q, k, v, out, lse, causal);
    }
    const BufferId o = hidden(l, "attn_proj");
    b_.dense(s_, out, o, seed());
    return o;
  }
  BufferId embed(LayoutId l) {
    const BufferId x = hidden(l, "x");
    b_.copy(s_, hidden(l, "embedding"), x);
    return x;
  }
  // Appends `fresh` (rows [offset, offset + rows)) to `cache` (rows 0..offset + rows):
  // fused, a copy into the cache's row view; eager, torch.cat of the old cache
  // and the new rows, one kernel reading and writing every row.
  void append(BufferId fresh, BufferId cache, std::uint32_t offset, std::uint32_t rows) {
    if (eager_) {
      b_.copy(s_, b_.buffer_like(cache, 0, "cat_in", std::nullopt, /*zero_init=*/true), cache);
    } else {
      b_.copy(s_, fresh, b_.row_view(cache, offset, rows));
    }
  }

  // Self-attention of the rows `l` of x (positions [offset, offset + rows)):
  // q, k, v projections, then with a cache (positions 0..offset + rows) the
  // new k, v appended and causal attention over it, else (nullptr) unmasked attention
  // over the rows themselves. Returns the block's output.
  BufferId self_attention(LayoutId l, BufferId x, const LayoutId* cache, std::uint32_t offset, std::uint32_t rows) {
    const BufferId q = tokens(l, "q", m_.heads, m_.head_dim);
    const BufferId k = tokens(l, "k", m_.kv_heads, m_.head_dim);
    const BufferId v = tokens(l, "v", m_.kv_heads, m_.head_dim);
    b_.dense(s_, x, q, seed());
    b_.dense(s_, x, k, seed());
    b_.dense(s_, x, v, seed());
    if (!cache) return attention(l, l, q, k, v, /*causal=*/false);
    const BufferId keys = tokens(*cache, "k_cache", m_.kv_heads, m_.head_dim);
    const BufferId values = tokens(*cache, "v_cache", m_.kv_heads, m_.head_dim);
    append(k, keys, offset, rows);
    append(v, values, offset, rows);
    return attention(l, *cache, q, keys, values, /*causal=*/true);
  }

  // The encoder: `rows` new tokens (the last of `src`) through every layer;
  // unidirectional: their k, v appended to the caches, causal attention over them.
  void encoder(std::uint32_t src, std::uint32_t rows, bool unidirectional) {
    const LayoutId l = positions(src - rows, rows);
    const LayoutId all = positions(0, src);
    BufferId x = embed(l);
    for (std::uint32_t layer = 0; layer < m_.layers; ++layer) {
      b_.set_layer(static_cast<std::uint16_t>(layer));
      x = add_norm(l, x, self_attention(l, x, unidirectional ? &all : nullptr, src - rows, rows));
      x = mlp(l, x);
    }
  }

  void cross_keys(std::uint32_t src, std::uint32_t rows) {
    const LayoutId l = positions(src - rows, rows);
    const BufferId enc = hidden(l, "encoder_out");
    for (std::uint32_t layer = 0; layer < m_.decoder_layers; ++layer) {
      b_.set_layer(static_cast<std::uint16_t>(layer));
      b_.dense(s_, enc, tokens(l, "cross_k", m_.kv_heads, m_.head_dim), seed());
      b_.dense(s_, enc, tokens(l, "cross_v", m_.kv_heads, m_.head_dim), seed());
    }
  }

  void length(std::uint32_t src) {
    const LayoutId l = positions(0, src);
    const BufferId logits = tokens(l, "length_logits", 1, kLengthClasses);
    b_.dense(s_, hidden(l, "encoder_out"), logits, seed());
    b_.copy(s_, logits, tokens(l, "length_fp32", 1, kLengthClasses, DType::kF32));
  }

  // The decoder over target rows [first, first + rows): cached, one step
  // whose self-attention reads the cache of positions 0..first; else all
  // rows at once, unmasked.
  void decoder(std::uint32_t src, std::uint32_t first, std::uint32_t rows, bool cached) {
    const LayoutId l = positions(first, rows);
    const LayoutId self_keys = positions(0, first + rows);
    const LayoutId enc = positions(0, src);
    BufferId x = embed(l);
    for (std::uint32_t layer = 0; layer < m_.decoder_layers; ++layer) {
      b_.set_layer(static_cast<std::uint16_t>(layer));
      x = add_norm(l, x, self_attention(l, x, cached ? &self_keys : nullptr, first, rows));
      const BufferId cq = tokens(l, "cross_q", m_.heads, m_.head_dim);
      b_.dense(s_, x, cq, seed());
      const BufferId ck = tokens(enc, "cross_k", m_.kv_heads, m_.head_dim);
      const BufferId cv = tokens(enc, "cross_v", m_.kv_heads, m_.head_dim);
      x = add_norm(l, x, attention(l, enc, cq, ck, cv, /*causal=*/false));
      x = mlp(l, x);
    }
    b_.set_layer(static_cast<std::uint16_t>(m_.decoder_layers));
    const BufferId logits = tokens(l, "logits", 1, m_.vocab);
    b_.dense(s_, x, logits, seed());
    b_.copy(s_, logits, tokens(l, "logits_fp32", 1, m_.vocab, DType::kF32));
  }

  const ModelSpec& m_;
  DType dtype_;
  bool eager_;
  ProgramBuilder b_;
  StreamId s_{};
  std::uint32_t next_seed_ = 0;
};

}  // namespace

Program lower_pass(const ModelSpec& model, const StreamPass& pass, DType dtype, KernelStyle style) {
  if (!model.encoder_decoder()) throw std::invalid_argument("lower_pass: " + model.name + " has no decoder layers");
  if (pass.src == 0) throw std::invalid_argument("lower_pass: a pass needs at least one source token");
  if (pass.kind == PassKind::kDecodeAll && pass.tgt == 0)
    throw std::invalid_argument("lower_pass: a decoder pass needs at least one target token");
  if (pass.kind == PassKind::kCrossKeys && (pass.rows == 0 || pass.rows > pass.src))
    throw std::invalid_argument("lower_pass: cross_keys rows must be in 1..src");
  return PassLowering(model, dtype, style).lower(pass);
}

}  // namespace spsim
