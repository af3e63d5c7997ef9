// schedule_text: the per-rank listing docs/strategies.md draws its diagrams
// from. The ring case is checked line by line against a listing written by
// hand from ring_schedule.cc; the last test case (skipped by default) prints
// every registered strategy for the docs:
//   build/tests/strategies_tests -tc='schedule_text: print*' --no-skip
#include "strategies/schedule_text.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "program/comm_volume.h"
#include "strategies/lower_attention.h"
#include "strategies/registry.h"

namespace spsim {
namespace {

// One sequence of S = 8 tokens, H = Hkv = 1, D = 2, bf16, full mask.
Workload tiny(bool causal, Pass pass) {
  Workload w;
  w.seq_lens = {8};
  w.heads = 1;
  w.kv_heads = 1;
  w.head_dim = 2;
  w.dtype = DType::kBF16;
  w.causal = causal;
  w.pass = pass;
  return w;
}

TEST_CASE("schedule_text: ring, P = 2, forward and backward, rank 0 by hand") {
  const Program p = lower_attention(*find_strategy("ring"), tiny(false, Pass::kForwardBackward), StrategyOptions{2});
  // C = S/P = 4 rows per rank. A K or V block is 4 rows x 1 head x 2 cols x
  // 2 bytes = 16 B, so a K,V message is 32 B; the fp32 dK,dV accumulators are
  // 4 x 1 x 2 x 4 = 32 B each, 64 B per message. Full mask: every block has
  // 4 x 4 = 16 visible pairs (work 16).
  //
  // Forward (ring_forward): step 0 sends the own K,V to rank 1 and receives
  // rank 1's (the receive waits for the previous step's compute: none yet),
  // computes the local block into out/lse; step 1 computes the received block
  // into part_out/part_lse (after the receive) and merges it into out/lse.
  // Backward (ring_backward, ring-flash-attn form): prep (delta); step 0
  // sends K,V again (same tag as the forward's, matched by order), receives
  // rank 1's K,V (after the previous compute: prep, double buffering), and
  // computes the local block gradient into block buffers of its own
  // (dq_blk, dk_blk, dv_blk: the kernel waits for no accumulator); dq_blk is
  // added to dq, dk_blk/dv_blk to the own zero-initialised accumulators,
  // which go on to rank 1 (after those adds); the receive of rank 1's
  // accumulator is posted after them too (ring-flash-attn's send_recv at the
  // end of the step). Step 1 computes with the received K,V only (recv.1),
  // and only the add into the received accumulator waits for it (recv.2);
  // the sum goes to rank 1 (its owner), and rank 0's own accumulator comes
  // back after step 1's adds.
  const std::string expected =
      "rank 0 of 2\n"
      "  compute\n"
      "    0  s0  attn_fwd  q k v -> out lse  work 16\n"
      "    1  s1  attn_fwd  q k_recv v_recv -> part_out part_lse  work 16  after recv.0\n"
      "    2  s1  attn_merge  part_out part_lse -> +out +lse\n"
      "    3  s0  attn_bwd_prep  out dout -> delta\n"
      "    4  s0  attn_bwd  q k v dout lse delta -> +dq_blk +dk_blk +dv_blk  work 16\n"
      "    5  s0  accumulate  dq_blk -> +dq\n"
      "    6  s0  accumulate  dk_blk -> +dk_acc\n"
      "    7  s0  accumulate  dv_blk -> +dv_acc\n"
      "    8  s1  attn_bwd  q k_recv v_recv dout lse delta -> +dq_blk +dk_blk +dv_blk  work 16  after recv.1\n"
      "    9  s1  accumulate  dq_blk -> +dq\n"
      "    10  s1  accumulate  dk_blk -> +dk_recv  after recv.2\n"
      "    11  s1  accumulate  dv_blk -> +dv_recv\n"
      "  send\n"
      "    0  s0  send to 1  k v  32 B\n"
      "    1  s0  send to 1  k v  32 B\n"
      "    2  s0  send to 1  dk_acc dv_acc  64 B  after compute.6, compute.7\n"
      "    3  s1  send to 1  dk_recv dv_recv  64 B  after compute.10, compute.11\n"
      "  recv\n"
      "    0  s0  recv from 1  k_recv v_recv  32 B\n"
      "    1  s0  recv from 1  k_recv v_recv  32 B  after compute.3\n"
      "    2  s0  recv from 1  dk_recv dv_recv  64 B  after compute.6, compute.7\n"
      "    3  s1  recv from 1  dk_recv dv_recv  64 B  after compute.10, compute.11\n";
  CHECK(schedule_text(p, 0) == expected);
}

TEST_CASE("schedule_text: ring with the TransformerEngine backward, P = 2, rank 0 by hand") {
  StrategyOptions o{2};
  o.ring_backward = RingBackward::kTransformerEngine;
  const Program p = lower_attention(*find_strategy("ring"), tiny(false, Pass::kForwardBackward), o);
  // Forward as above, except that it ends when the block held last has
  // arrived (forward done includes recv.0: TE waits for every receive).
  // Backward (AttnFuncWithCPAndKVP2P.backward): the ring runs the other way
  // (send to i-1 = 1, receive from i+1 = 1) and starts from the block held
  // last, rank 1's (k_recv). Step 0: the message carries K,V only (32 B):
  // rank 1's block goes on to rank 1's predecessor and rank 0's own block
  // comes back; the kernel computes rank 1's block into block buffers, and
  // its dK,dV start a zero-initialised accumulator once this step's message
  // is in (TE waits for it before the add). Step 1 (last): the message
  // carries only that accumulator, in bf16 (4 x 1 x 2 x 2 = 16 B each,
  // 32 B), to its owner rank 1, and rank 0 receives its own block's
  // accumulator, into which its diagonal block is added: P - 1 = 1 hop,
  // none after the loop.
  const std::string expected =
      "rank 0 of 2\n"
      "  compute\n"
      "    0  s0  attn_fwd  q k v -> out lse  work 16\n"
      "    1  s1  attn_fwd  q k_recv v_recv -> part_out part_lse  work 16  after recv.0\n"
      "    2  s1  attn_merge  part_out part_lse -> +out +lse\n"
      "    3  s0  attn_bwd_prep  out dout -> delta  after recv.0\n"
      "    4  s0  attn_bwd  q k_recv v_recv dout lse delta -> +dq_blk +dk_blk +dv_blk  work 16  after recv.0\n"
      "    5  s0  accumulate  dq_blk -> +dq\n"
      "    6  s0  accumulate  dk_blk -> +dk_acc  after recv.1\n"
      "    7  s0  accumulate  dv_blk -> +dv_acc\n"
      "    8  s1  attn_bwd  q k_recv v_recv dout lse delta -> +dq_blk +dk_blk +dv_blk  work 16  after recv.1\n"
      "    9  s1  accumulate  dq_blk -> +dq\n"
      "    10  s1  accumulate  dk_blk -> +dk_recv  after recv.2\n"
      "    11  s1  accumulate  dv_blk -> +dv_recv\n"
      "  send\n"
      "    0  s0  send to 1  k v  32 B\n"
      "    1  s0  send to 1  k_recv v_recv  32 B  after compute.2, recv.0, compute.3\n"
      "    2  s1  send to 1  dk_acc dv_acc  32 B  after recv.1, compute.7\n"
      "  recv\n"
      "    0  s0  recv from 1  k_recv v_recv  32 B\n"
      "    1  s0  recv from 1  k_recv v_recv  32 B  after compute.2, compute.3\n"
      "    2  s1  recv from 1  dk_recv dv_recv  32 B  after compute.7\n";
  CHECK(schedule_text(p, 0) == expected);
}

TEST_CASE("schedule_text: zigzag half blocks show as row views") {
  // P = 2 causal zigzag: rank 1 holds chunks 1 and 2 of 4 (2 rows each). At
  // step 1 it holds rank 0's block (chunks 0 and 3); member 1 >= step 1, so
  // all of Q attends the early half of the block: rows [0:2] of k_recv/v_recv,
  // 4 x 2 = 8 pairs, merged into all of out.
  const Program p = lower_attention(*find_strategy("zigzag"), tiny(true, Pass::kForward), StrategyOptions{2});
  const std::string text = schedule_text(p, 1);
  CHECK(text.find("    1  s1  attn_fwd  q k_recv[0:2] v_recv[0:2] -> part_out part_lse  work 8  after recv.0\n") !=
        std::string::npos);
  // Rank 0 at step 1 holds rank 1's block (chunks 1, 2): only Q's late half
  // (chunk 3) sees it, 2 x 4 = 8 pairs, merged into the late rows of out and lse.
  const std::string text0 = schedule_text(p, 0);
  CHECK(text0.find("attn_fwd  q[2:4] k_recv v_recv -> part_out part_lse  work 8  after recv.0\n") != std::string::npos);
  CHECK(text0.find("attn_merge  part_out part_lse -> +out[2:4] +lse[2:4]\n") != std::string::npos);
}

TEST_CASE("schedule_text: collectives show group, axes and bytes") {
  // Ulysses, P = 2, H = Hkv = 2: q [4 rows, 2 heads, 2 cols] bf16 = 32 B goes
  // out, [8 rows, 1 head, 2 cols] = 32 B comes back.
  Workload w = tiny(true, Pass::kForward);
  w.heads = 2;
  w.kv_heads = 2;
  const Program p = lower_attention(*find_strategy("ulysses"), w, StrategyOptions{2});
  const std::string text = schedule_text(p, 1);
  CHECK(text.find("  coll\n    0  s0  all_to_all(split heads, concat rows) {0,1}  q -> q_heads  32 B -> 32 B\n") !=
        std::string::npos);
  CHECK(text.find("attn_fwd  q_heads k_heads v_heads -> out_heads lse_heads  work 36  after coll.0, coll.1, coll.2\n") !=
        std::string::npos);  // causal over 8 tokens: 8*9/2 = 36 pairs
}

TEST_CASE("schedule_text: rank out of range") {
  const Program p = lower_attention(*find_strategy("ring"), tiny(false, Pass::kForward), StrategyOptions{2});
  CHECK_THROWS_AS(schedule_text(p, 2), std::out_of_range);
}

// Prints each registered strategy at P = 4 (forward + backward, causal): B =
// 1, S = 16, H = 4, Hkv = 2 where legal (Ulysses needs P | Hkv: Hkv = 4),
// D = 2. For writing docs/strategies.md; prints, asserts nothing.
TEST_CASE("schedule_text: print every strategy at P = 4" * doctest::skip()) {
  for (const Strategy* s : all_strategies()) {
    for (bool causal : {true, false}) {
      Workload w = tiny(causal, Pass::kForwardBackward);
      w.seq_lens = {16};
      w.heads = 4;
      w.kv_heads = s->name() == "ulysses" ? 4 : 2;
      StrategyOptions o{4};
      if (s->name() == "usp") o.ulysses_degree = 2;
      if (s->name() == "double-ring") o.window = 2;
      if (s->refuse(w, o)) continue;
      for (const auto kind : {AttentionKind::kSoftmax, AttentionKind::kLinear}) {
        // lasp2h emits either kind; the others one only.
        if (s->name() == "lasp2h") o.layer_kind = kind;
        else if (kind != s->attention_kind(o)) continue;
        const Program p = lower_attention(*s, w, o);
        std::cout << "=== " << s->name() << " " << attention_kind_name(kind) << (causal ? " causal" : " full")
                  << " P=4 " << w.describe() << "\n";
        for (RankId r = 0; r < p.num_ranks(); ++r) std::cout << schedule_text(p, r);
      }
    }
  }
}

// The table of docs/strategies.md §3: MiB member 0 sends for one layer of a
// Llama-3-8B-shaped attention (H = 32, Hkv = 8, D = 128, bf16, causal; B =
// 1, S = 128Ki) at P = 8 and 16, options at their defaults, fwd and fwd+bwd.
std::string volume_table() {
  Workload w;
  w.seq_lens = {131072};
  w.heads = 32;
  w.kv_heads = 8;
  w.head_dim = 128;
  w.dtype = DType::kBF16;
  w.causal = true;
  char line[160];
  std::snprintf(line, sizeof line, "%-12s %8s %12s %12s %12s %12s\n", "strategy", "kind", "P=8 fwd", "P=8 fwd+bwd",
                "P=16 fwd", "P=16 fwd+bwd");
  std::string table = line;
  for (const Strategy* s : all_strategies()) {
    for (const auto kind : {AttentionKind::kSoftmax, AttentionKind::kLinear}) {
      StrategyOptions probe{8};
      if (s->name() == "lasp2h") probe.layer_kind = kind;
      if (kind != s->attention_kind(probe)) continue;
      std::snprintf(line, sizeof line, "%-12s %8s", std::string(s->name()).c_str(),
                    std::string(attention_kind_name(kind)).c_str());
      table += line;
      for (std::uint32_t P : {8u, 16u}) {
        for (const Pass pass : {Pass::kForward, Pass::kForwardBackward}) {
          w.pass = pass;
          StrategyOptions o{P};
          o.layer_kind = probe.layer_kind;
          if (s->refuse(w, o)) {
            std::snprintf(line, sizeof line, " %12s", "refused");
          } else {
            const double mib = bytes_sent_per_rank(lower_attention(*s, w, o))[0] / (1024.0 * 1024.0);
            std::snprintf(line, sizeof line, " %12.2f", mib);
          }
          table += line;
        }
      }
      table += "\n";
    }
  }
  return table;
}

std::string read_doc() {
  std::ifstream in(std::string(SPSIM_SOURCE_DIR) + "/docs/strategies.md");
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_CASE("docs/strategies.md: a section for every registered strategy") {
  const std::string doc = read_doc();
  for (const Strategy* s : all_strategies()) {
    CAPTURE(s->name());
    CHECK(doc.find("\n## `" + std::string(s->name()) + "`\n") != std::string::npos);
  }
}

TEST_CASE("docs/strategies.md: the bytes table is what the Programs send") {
  // The doc's table must be the output of volume_table() verbatim, so a
  // change to any strategy's traffic shows up here until the doc follows.
  const std::string table = volume_table();
  INFO("docs/strategies.md should contain this table:\n" << table);
  CHECK(read_doc().find(table) != std::string::npos);
}

// Prints the table for the doc. Asserts nothing (the volume tests assert the
// closed forms).
TEST_CASE("schedule_text: print bytes per rank at P = 8 and 16" * doctest::skip()) {
  std::cout << "MiB sent by rank 0, one layer, B=1 S=131072 H=32/8 D=128 bf16 causal\n" << volume_table();
}

}  // namespace
}  // namespace spsim
