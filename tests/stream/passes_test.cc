// The passes of an encoder-decoder model as Programs (stream/passes.h):
// valid, with the kernels and the work their closed forms give.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include "program/input_error.h"
#include "program/program_check.h"
#include "stream/passes.h"

using namespace spsim;

namespace {

std::size_t count_kind(const Program& p, OpKind kind) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < p.num_ops(); ++i) n += p.op(op_id(i)).kind == kind ? 1 : 0;
  return n;
}

// Work of the attention ops in op order.
std::vector<std::int64_t> attention_work(const Program& p) {
  std::vector<std::int64_t> w;
  for (std::size_t i = 0; i < p.num_ops(); ++i)
    if (p.op(op_id(i)).kind == OpKind::kAttnFwd) w.push_back(p.op(op_id(i)).work);
  return w;
}

}  // namespace

TEST_CASE("transformer presets: the shapes and parameter counts of Vaswani et al. 2017") {
  const ModelSpec& base = find_model("transformer-base");
  CHECK(base.encoder_decoder());
  CHECK(base.layers == 6);
  CHECK(base.decoder_layers == 6);
  // By hand (model.h): embeddings 37000·512 = 18,944,000; an encoder layer
  // 4·512² + 2048 (attention) + 2·512·2048 + 2560 (MLP) + 2·1024 (norms) =
  // 3,152,384; a decoder layer 2·1,050,624 + 2,099,712 + 3·1024 = 4,204,032;
  // one final norm 1024: 18,944,000 + 6·3,152,384 + 6·4,204,032 + 1024.
  CHECK(base.parameter_count() == 63'083'520ull);
  // The paper's Table 3 says 65M for base and 213M for big, with a vocabulary
  // of "about 37000" tokens: within 3% of both.
  CHECK(std::abs(static_cast<double>(base.parameter_count()) - 65e6) / 65e6 < 0.03);
  const ModelSpec& big = find_model("transformer-big");
  CHECK(big.parameter_count() == 214'247'424ull);
  CHECK(std::abs(static_cast<double>(big.parameter_count()) - 213e6) / 213e6 < 0.03);
  CHECK_FALSE(find_model("llama3-8b").encoder_decoder());
  CHECK_THROWS_AS(require_single_stack(base, "--model"), InputError);
}

TEST_CASE("passes: valid one-rank programs with the kernels of passes.h") {
  const ModelSpec& m = find_model("transformer-base");
  const StreamPass passes[] = {encode_pass(12),          encode_step_pass(12),   cross_keys_pass(12, 12),
                               cross_keys_pass(12, 1),   length_pass(12),        decode_step_pass(12, 0),
                               decode_step_pass(12, 7),  decode_all_pass(12, 9)};
  for (KernelStyle style : {KernelStyle::kEager, KernelStyle::kFused})
    for (const StreamPass& pass : passes) {
      CAPTURE(describe_pass(pass));
      CAPTURE(kernel_style_name(style));
      const Program p = lower_pass(m, pass, DType::kBF16, style);
      CHECK_NOTHROW(check_program(p));
      CHECK(p.num_ranks() == 1);
      CHECK(p.num_ops() == pass_kernels(m, pass.kind, style));
    }
  // By hand, fused: 1 + 12·6 = 73 kernels for an encoder pass, 3 + 19·6 = 117
  // for an autoregressive step, 3 + 17·6 = 105 for a parallel pass; eager
  // adds 2 kernels per attention: 85, 141, 129.
  CHECK(pass_kernels(m, PassKind::kEncode, KernelStyle::kFused) == 73);
  CHECK(pass_kernels(m, PassKind::kDecodeStep, KernelStyle::kFused) == 117);
  CHECK(pass_kernels(m, PassKind::kDecodeAll, KernelStyle::kFused) == 105);
  CHECK(pass_kernels(m, PassKind::kEncode, KernelStyle::kEager) == 85);
  CHECK(pass_kernels(m, PassKind::kDecodeStep, KernelStyle::kEager) == 141);
  CHECK(pass_kernels(m, PassKind::kDecodeAll, KernelStyle::kEager) == 129);
}

TEST_CASE("passes: attention sees the cache, the prefix and the target as the masks say") {
  const ModelSpec& m = find_model("transformer-base");
  // Step at position 7 over 12 source tokens: per layer self-attention over
  // the 8 cached positions 0..7 (causal), cross-attention over 12.
  const Program step = lower_pass(m, decode_step_pass(12, 7), DType::kBF16, KernelStyle::kFused);
  const auto w = attention_work(step);
  REQUIRE(w.size() == 2 * m.decoder_layers);
  for (std::size_t l = 0; l < m.decoder_layers; ++l) {
    CHECK(w[2 * l] == 8);
    CHECK(w[2 * l + 1] == 12);
  }
  // A parallel pass over 9 target tokens: 9 x 9 (unmasked) and 9 x 12.
  const auto wa = attention_work(lower_pass(m, decode_all_pass(12, 9), DType::kBF16, KernelStyle::kFused));
  CHECK(wa[0] == 81);
  CHECK(wa[1] == 108);
  // A bidirectional encoder over 12 tokens: 144 pairs; a unidirectional step of token 12: 12.
  CHECK(attention_work(lower_pass(m, encode_pass(12), DType::kBF16, KernelStyle::kFused))[0] == 144);
  CHECK(attention_work(lower_pass(m, encode_step_pass(12), DType::kBF16, KernelStyle::kFused))[0] == 12);
  // The output head of a step is one row times vocab x hidden multiply-adds.
  std::int64_t head = 0;
  for (std::size_t i = 0; i < step.num_ops(); ++i)
    if (step.op(op_id(i)).kind == OpKind::kDense) head = step.op(op_id(i)).work;  // the last Dense
  CHECK(head == std::int64_t{m.vocab} * m.hidden);
  CHECK(count_kind(step, OpKind::kDense) == 6 * 8 + 1);  // q, k, v, o, cross q, cross o, up, down; head
}

TEST_CASE("passes, eager: attention as dense score GEMMs; the cache rewritten at every step") {
  const ModelSpec& m = find_model("transformer-base");
  // Score GEMMs are q rows x k rows whatever the mask: 1 x 8 and 1 x 12 for the step above.
  const Program step = lower_pass(m, decode_step_pass(12, 7), DType::kBF16, KernelStyle::kEager);
  std::vector<std::int64_t> scores;
  for (std::size_t i = 0; i < step.num_ops(); ++i)
    if (step.op(op_id(i)).kind == OpKind::kRsaScores) scores.push_back(step.op(op_id(i)).work);
  REQUIRE(scores.size() == 2 * m.decoder_layers);
  CHECK(scores[0] == 8);
  CHECK(scores[1] == 12);
  CHECK(count_kind(step, OpKind::kAttnFwd) == 0);
  CHECK(count_kind(step, OpKind::kRsaSoftmax) == 2 * m.decoder_layers);
  // torch.cat copies the whole cache: the step's cache copies move (pos + 1) rows
  // each way, per layer k and v: 8 rows x 8 heads x 64 x 2 bytes, read and written.
  double cat_bytes = 0;
  for (std::size_t i = 0; i < step.num_ops(); ++i) {
    if (step.op(op_id(i)).kind != OpKind::kCopy) continue;
    const Buffer& dst = step.buffer(step.operands(op_id(i))[1]);
    if (step.buffer_name(step.operands(op_id(i))[1]).starts_with("k_cache") ||
        step.buffer_name(step.operands(op_id(i))[1]).starts_with("v_cache"))
      cat_bytes += 2.0 * static_cast<double>(dst.bytes());
  }
  CHECK(cat_bytes == doctest::Approx(2.0 * m.decoder_layers * 2 * 8 * 8 * 64 * 2));
}

TEST_CASE("lower_pass: refuses what no policy asks for") {
  const ModelSpec& m = find_model("transformer-base");
  CHECK_THROWS_AS(lower_pass(find_model("bert-base"), encode_pass(4), DType::kBF16, KernelStyle::kFused), std::invalid_argument);
  CHECK_THROWS_AS(lower_pass(m, encode_pass(0), DType::kBF16, KernelStyle::kFused), std::invalid_argument);
  CHECK_THROWS_AS(lower_pass(m, decode_all_pass(4, 0), DType::kBF16, KernelStyle::kFused), std::invalid_argument);
  CHECK_THROWS_AS(lower_pass(m, cross_keys_pass(4, 5), DType::kBF16, KernelStyle::kFused), std::invalid_argument);
}
