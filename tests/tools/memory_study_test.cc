// Activation memory held per layer for the backward, by recomputation mode,
// against byte counts derived by hand.
#include <doctest/doctest.h>

#include "tools/study.h"

namespace spsim {
namespace {

// bert-base on one device (P = 1, ring: no partials), S = 1024, bf16,
// fwd+bwd, all 12 layers.
StudyConfig bert_base_on_one_device() {
  StudyConfig c;
  c.model = "bert-base";
  c.seq = 1024;
  c.sp = 1;
  c.strategy = "ring";
  return c;
}

// What one more layer adds to rank 0's peak activation bytes (the study
// simulates `layers` and `layers` + 1 layers to extrapolate to the model's
// depth).
double held_per_layer(std::uint32_t layers, const std::string& recompute) {
  StudyConfig c = bert_base_on_one_device();
  c.layers = layers;
  c.recompute = recompute;
  const StudyResult r = run_study(c);
  REQUIRE(r.outcomes.size() == 1);
  return r.outcomes[0].held_per_layer_bytes;
}

TEST_CASE("memory: each more layer holds what its backward reads, per recomputation mode") {
  // bert-base: h = 768, H = Hkv = 12, D = 64, plain MLP of 4h; C = 1024 tokens.
  // One more layer adds to the peak the bytes that layer keeps from its
  // forward to its backward (the rest of the peak is the last layer's
  // backward transients, the same whatever the depth):
  //   none:      x (2h: read by the q/k/v weight gradients), q, k, v (3 x 2h),
  //              out (2h), lse (4H, fp32), y (2h), the MLP hidden (2 x 4h)
  //              = 20h + 4H bytes per token;
  //   selective: out and lse recomputed with the core attention: 18h;
  //   full:      only the layer input x: 2h.
  const double C = 1024, h = 768, H = 12;
  for (std::uint32_t layers : {1u, 2u, 5u}) {
    CAPTURE(layers);
    CHECK(held_per_layer(layers, "none") == C * (20 * h + 4 * H));
    CHECK(held_per_layer(layers, "selective") == C * 18 * h);
    CHECK(held_per_layer(layers, "full") == C * 2 * h);
  }
}

TEST_CASE("memory: --layers below the model's depth reports the whole model's peak") {
  // bert-base has 12 layers. Simulating 2 (and, for the peak, 3) layers must
  // report the same peak as simulating all 12: peak(2) + 10 x held, with
  // held the per-layer bytes of the test above.
  for (const char* recompute : {"none", "selective", "full"}) {
    CAPTURE(recompute);
    StudyConfig c = bert_base_on_one_device();
    c.recompute = recompute;
    const StudyResult whole = run_study(c);
    c.layers = 2;
    const StudyResult two = run_study(c);
    CHECK(two.outcomes[0].metrics.ranks[0].peak_memory_bytes ==
          doctest::Approx(whole.outcomes[0].metrics.ranks[0].peak_memory_bytes).epsilon(1e-12));
  }
}

TEST_CASE("memory: the output head's logits, whole or in chunks") {
  // bert-base, V = 30522, one device, C = 1024 tokens, all 12 layers. At the
  // loss a chunk of c rows holds its logits in bf16 and fp32 (2 + 4 bytes)
  // or, a step later, fp32 and their gradient in bf16 (4 + 2): 6 c V bytes,
  // on top of every layer's saved activations. With k > 1 chunks the input
  // gradient dx (C x h bf16) is already allocated while later chunks run:
  //   peak(1) - peak(k) = 6 C V (1 - 1/k) - 2 C h.
  auto peak = [](std::uint32_t chunks) {
    StudyConfig c = bert_base_on_one_device();
    c.loss_chunks = chunks;
    return run_study(c).outcomes[0].metrics.ranks[0].peak_activation_bytes;
  };
  const double C = 1024, V = 30522, h = 768;
  const double one = peak(1);
  CHECK(one - peak(2) == 6 * C * V * (1 - 1.0 / 2) - 2 * C * h);
  CHECK(one - peak(4) == 6 * C * V * (1 - 1.0 / 4) - 2 * C * h);
}

}  // namespace
}  // namespace spsim
