// Op costs against closed forms written out by hand, and against the
// published FlashAttention throughputs the curves were fitted to.
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "costmodel/op_cost.h"

namespace spsim {
namespace {

constexpr std::uint32_t kD = 128;  // head dim
constexpr std::uint32_t kH = 32;   // heads
constexpr double kS = 4096;        // block length

// One rank, one attention block q x k, from run lists.
struct Block {
  Program p;
  OpId op{};
};

Block attention_block(std::vector<TokenRun> q_runs, std::vector<TokenRun> k_runs, bool causal,
                      bool backward, DType dtype = DType::kBF16) {
  ProgramBuilder b(1);
  const StreamId s = b.stream("compute");
  const LayoutId lq = b.layout(q_runs), lk = b.layout(k_runs);
  const BufferId q = b.token_buffer(0, "q", dtype, lq, 0, kH, kD);
  const BufferId k = b.token_buffer(0, "k", dtype, lk, 0, kH, kD);
  const BufferId v = b.token_buffer(0, "v", dtype, lk, 0, kH, kD);
  const BufferId out = b.token_buffer(0, "out", dtype, lq, 0, kH, kD);
  const BufferId lse = b.token_buffer(0, "lse", DType::kF32, lq, 0, kH, 1);
  Block blk;
  if (!backward) {
    blk.op = b.attn_fwd(s, q, k, v, out, lse, causal);
  } else {
    const BufferId dout = b.buffer_like(out, 0, "dout");
    const BufferId delta = b.token_buffer(0, "delta", DType::kF32, lq, 0, kH, 1);
    const BufferId dq = b.buffer_like(q, 0, "dq", DType::kF32);
    const BufferId dk = b.buffer_like(k, 0, "dk", DType::kF32);
    const BufferId dv = b.buffer_like(v, 0, "dv", DType::kF32);
    blk.op = b.attn_bwd(s, q, k, v, dout, lse, delta, dq, dk, dv, causal);
  }
  blk.p = std::move(b).finish();
  return blk;
}

double memory_seconds(const DeviceProfile& d, double bytes) {
  return bytes / (d.hbm_bytes_per_s * d.memory_efficiency);
}

TEST_CASE("non-causal 4096x4096 forward block on h100-sxm5") {
  const DeviceProfile& d = device_profile_preset("h100-sxm5");
  const Block blk = attention_block({{0, 0, 4096, 1}}, {{0, 0, 4096, 1}}, false, false);
  const OpCost c = compute_op_cost(blk.p, blk.op, d);
  // flops = 4·S²·D·H; the kernel's inner loop is L = S keys per query row, so
  //   t = launch + 4·S²·D·H / (peak · eff_full(S)).
  const double flops = 4 * kS * kS * kD * kH;
  const double compute_s = flops / (d.peak_bf16_flop_per_s * d.attention_fwd.full.efficiency(kS));
  // Bytes: q, k, v read and out written (S·H·D·2 each) + lse written (S·H·4):
  // about 2·10⁸ bytes, ~70 µs against ~1.5 ms of compute.
  const double bytes = 4 * kS * kH * kD * 2 + kS * kH * 4;
  CHECK(c.flops == flops);
  CHECK(c.bytes == bytes);
  CHECK(memory_seconds(d, bytes) < compute_s);
  CHECK(c.seconds == doctest::Approx(d.launch_s + compute_s).epsilon(1e-12));
  // Cross-check with FA3's published 638 TFLOP/s at S = 4K (hardware.md):
  // within the fit's error there (< 3%, efficiency_fit_test).
  const double tflops = flops / (c.seconds - d.launch_s) / 1e12;
  CHECK(std::abs(tflops / 638 - 1) < 0.03);
}

TEST_CASE("causal 4096 square pays for its cut diagonal tiles") {
  const DeviceProfile& d = device_profile_preset("h100-sxm5");
  const Block blk = attention_block({{0, 0, 4096, 1}}, {{0, 0, 4096, 1}}, true, false);
  const OpCost c = compute_op_cost(blk.p, blk.op, d);
  // 128x128 tiles, T = 32: computed C = 128²·T(T+1)/2 = 8650752 pairs, cut
  // 32·128² = 524288 = one band of 128 keys per query row, so α = 1 and the
  // causal curve applies alone at L = C/S = 2112:
  //   t = launch + 4·D·H·C / (peak · eff_causal(2112)).
  const double C = 128.0 * 128 * 32 * 33 / 2;
  CHECK(c.flops == 4 * kD * kH * (kS * (kS + 1) / 2));  // useful: S(S+1)/2 visible pairs
  const double compute_s = 4 * kD * kH * C / (d.peak_bf16_flop_per_s * d.attention_fwd.causal.efficiency(C / kS));
  CHECK(c.seconds == doctest::Approx(d.launch_s + compute_s).epsilon(1e-12));
  // Published FA3 causal at 4K: 579 TFLOP/s counting S²/2 pairs (< 3% fit error).
  const double tflops = 4 * kD * kH * (kS * kS / 2) / (c.seconds - d.launch_s) / 1e12;
  CHECK(std::abs(tflops / 579 - 1) < 0.03);
}

TEST_CASE("a causal-flagged block with only past keys costs like a full block") {
  // Ring step: queries [4096, 8192) against keys [0, 4096): every pair is
  // visible, no tile is cut, so it is the non-causal 4096 block.
  const DeviceProfile& d = device_profile_preset("h100-sxm5");
  const Block past = attention_block({{0, 4096, 4096, 1}}, {{0, 0, 4096, 1}}, true, false);
  const Block full = attention_block({{0, 0, 4096, 1}}, {{0, 0, 4096, 1}}, false, false);
  CHECK(compute_op_cost(past.p, past.op, d).seconds == compute_op_cost(full.p, full.op, d).seconds);
}

TEST_CASE("zigzag half-pair block costs the same as a causal square of its size") {
  // Rank 0 of zigzag with 2 ranks, S = 8192: chunks [0, 2048) and [6144, 8192).
  // Run pairs: (early, early) and (late, late) are causal 2048 squares
  // (C = 128²·16·17/2, cut 16·128² each), (late, early) is full (2048²),
  // (early, late) is masked. Total C = 8650752, cut 524288: exactly the causal
  // 4096 square's counts with the same 4096 query rows, so the same time.
  const DeviceProfile& d = device_profile_preset("h100-sxm5");
  const std::vector<TokenRun> zz = {{0, 0, 2048, 1}, {0, 6144, 2048, 1}};
  const Block zig = attention_block(zz, zz, true, false);
  const Block sq = attention_block({{0, 0, 4096, 1}}, {{0, 0, 4096, 1}}, true, false);
  CHECK(compute_op_cost(zig.p, zig.op, d).seconds ==
        doctest::Approx(compute_op_cost(sq.p, sq.op, d).seconds).epsilon(1e-12));
}

TEST_CASE("backward block: 2.5x forward FLOPs at the backward curve") {
  const DeviceProfile& d = device_profile_preset("h100-sxm5");
  const Block blk = attention_block({{0, 0, 4096, 1}}, {{0, 0, 4096, 1}}, false, true);
  const OpCost c = compute_op_cost(blk.p, blk.op, d);
  // t = launch + 2.5 · 4·S²·D·H / (peak · eff_bwd_full(S)) (outer rows = keys = S).
  const double flops = 2.5 * 4 * kS * kS * kD * kH;
  CHECK(c.flops == flops);
  // Bytes: q, k, v, dout bf16 read; lse, delta f32 read; dq, dk, dv f32 updated (2x).
  const double bytes = 4 * kS * kH * kD * 2 + 2 * kS * kH * 4 + 3 * 2 * kS * kH * kD * 4;
  CHECK(c.bytes == bytes);
  const double compute_s = flops / (d.peak_bf16_flop_per_s * d.attention_bwd.full.efficiency(kS));
  CHECK(memory_seconds(d, bytes) < compute_s);
  CHECK(c.seconds == doctest::Approx(d.launch_s + compute_s).epsilon(1e-12));
}

TEST_CASE("A100 causal forward + backward reproduces FA2's published fwd+bwd throughput") {
  // Both passes use the FA2 fwd+bwd curves; for a causal square both see
  // L = C/S and α = 1, so t_f + t_b − 2·launch = 3.5 · 4·D·H·C/(peak·eff_c(L)):
  // the published fwd+bwd rate at S = 4K, 173 TFLOP/s, within the fit error (< 2%).
  const DeviceProfile& d = device_profile_preset("a100-sxm4-80gb");
  const Block f = attention_block({{0, 0, 4096, 1}}, {{0, 0, 4096, 1}}, true, false);
  const Block b = attention_block({{0, 0, 4096, 1}}, {{0, 0, 4096, 1}}, true, true);
  const double t = compute_op_cost(f.p, f.op, d).seconds + compute_op_cost(b.p, b.op, d).seconds - 2 * d.launch_s;
  const double tflops = 3.5 * 4 * kD * kH * (kS * kS / 2) / t / 1e12;
  CHECK(std::abs(tflops / 173 - 1) < 0.02);
}

TEST_CASE("fp32 attention runs at the fp32 peak") {
  const DeviceProfile& d = device_profile_preset("h100-sxm5");
  const Block blk = attention_block({{0, 0, 4096, 1}}, {{0, 0, 4096, 1}}, false, false, DType::kF32);
  const double compute_s = 4 * kS * kS * kD * kH / (d.peak_fp32_flop_per_s * d.attention_fwd.full.efficiency(kS));
  CHECK(compute_op_cost(blk.p, blk.op, d).seconds == doctest::Approx(d.launch_s + compute_s).epsilon(1e-12));
}

TEST_CASE("memory-bound ops: launch + bytes / (hbm · efficiency)") {
  const DeviceProfile& d = device_profile_preset("a100-sxm4-80gb");
  ProgramBuilder b(2);
  const StreamId s = b.stream("compute");
  const TokenRun run[] = {{0, 0, 1024, 1}};
  const LayoutId l = b.layout(run);
  const BufferId out = b.token_buffer(0, "out", DType::kBF16, l, 0, 8, 64);
  const BufferId lse = b.token_buffer(0, "lse", DType::kF32, l, 0, 8, 1);
  const BufferId part = b.token_buffer(0, "part", DType::kF32, l, 0, 8, 64);
  const BufferId part_lse = b.token_buffer(0, "part_lse", DType::kF32, l, 0, 8, 1);
  const BufferId copy_dst = b.buffer_like(out, 0, "copy");
  const BufferId acc = b.buffer_like(out, 0, "acc", DType::kF32);
  const OpId merge = b.attn_merge(s, out, lse, part, part_lse);
  const OpId copy = b.copy(s, out, copy_dst);
  const OpId accumulate = b.accumulate(s, part, acc);
  const OpId send = b.send(s, out, 1, 7);
  const Program p = std::move(b).finish();

  const double rows_heads = 1024.0 * 8;
  // Merge: out and lse read and written, the partials read; no FLOP term.
  const double merge_bytes = 2 * rows_heads * 64 * 2 + 2 * rows_heads * 4 + rows_heads * 64 * 4 + rows_heads * 4;
  const OpCost m = compute_op_cost(p, merge, d);
  CHECK(m.flops == 0);
  CHECK(m.bytes == merge_bytes);
  CHECK(m.seconds == doctest::Approx(d.launch_s + memory_seconds(d, merge_bytes)).epsilon(1e-12));
  // Copy: bf16 read + bf16 written.
  const double copy_bytes = rows_heads * 64 * (2 + 2);
  CHECK(compute_op_cost(p, copy, d).seconds == doctest::Approx(d.launch_s + memory_seconds(d, copy_bytes)).epsilon(1e-12));
  // Accumulate: f32 source read, f32 destination read and written.
  const double acc_bytes = rows_heads * 64 * (4 + 2 * 4);
  CHECK(compute_op_cost(p, accumulate, d).bytes == acc_bytes);
  // Communication: not costed here; bytes of the buffer sent.
  const OpCost c = compute_op_cost(p, send, d);
  CHECK(c.seconds == 0);
  CHECK(c.flops == 0);
  CHECK(c.bytes == rows_heads * 64 * 2);
}

TEST_CASE("RSA scores: a dense GEMM, memory-bound when the score block is large") {
  const DeviceProfile& d = device_profile_preset("h100-sxm5");
  ProgramBuilder b(1);
  const StreamId s = b.stream("compute");
  const TokenRun qr[] = {{0, 0, 1024, 1}}, kr[] = {{0, 0, 2048, 1}}, all[] = {{0, 0, 4096, 1}};
  const LayoutId lq = b.layout(qr), lk = b.layout(kr), lall = b.layout(all);
  const BufferId q = b.token_buffer(0, "q", DType::kBF16, lq, 0, 8, 128);
  const BufferId k = b.token_buffer(0, "k", DType::kBF16, lk, 0, 8, 128);
  const BufferId scores = b.score_buffer(0, "scores", DType::kF32, lq, lall, 0, 8);
  const BufferId ops[] = {q, k, scores};
  const OpId id = b.op(OpKind::kRsaScores, s, ops);
  const Program p = std::move(b).finish();
  const OpCost c = compute_op_cost(p, id, d);
  // flops = 2·Lq·Lk·D·H = 2·1024·2048·128·8 ≈ 4.3e9 (≈ 5.4 µs at 80% of 989 TFLOP/s);
  // bytes = q + k + the Lk columns of f32 scores written (1024·2048·8·4) ≈ 73 MB (≈ 25 µs).
  const double flops = 2.0 * 1024 * 2048 * 128 * 8;
  const double bytes = 1024.0 * 8 * 128 * 2 + 2048.0 * 8 * 128 * 2 + 1024.0 * 2048 * 8 * 4;
  CHECK(c.flops == flops);
  CHECK(c.bytes == bytes);
  const double compute_s = flops / (d.peak_bf16_flop_per_s * d.gemm_efficiency);
  CHECK(memory_seconds(d, bytes) > compute_s);
  CHECK(c.seconds == doctest::Approx(d.launch_s + memory_seconds(d, bytes)).epsilon(1e-12));
}

}  // namespace
}  // namespace spsim
