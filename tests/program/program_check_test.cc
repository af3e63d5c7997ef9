// The checker names each broken promise; a valid Program passes.
#include "program/program_check.h"

#include <doctest/doctest.h>

namespace spsim {
namespace {

// Two ranks, each with one 4-token buffer of its own chunk of one sequence.
struct TwoRanks {
  ProgramBuilder b{2};
  StreamId compute = b.stream("compute"), send = b.stream("send"), recv = b.stream("recv");
  LayoutId chunk0 = b.layout(TokenLayout{{0, 0, 4, 1}});
  LayoutId chunk1 = b.layout(TokenLayout{{0, 4, 4, 1}});
  BufferId x0 = b.token_buffer(0, "x", DType::kBF16, chunk0, 0, 2, 8);
  BufferId x1 = b.token_buffer(1, "x", DType::kBF16, chunk1, 0, 2, 8);
  TwoRanks() {
    b.bind_input(x0, Tensor::kQ);
    b.bind_input(x1, Tensor::kQ);
  }
};

void check_throws_with(const Program& p, const std::string& fragment) {
  try {
    check_program(p);
    FAIL("check_program accepted a broken program; expected: " << fragment);
  } catch (const ProgramError& e) {
    const std::string msg = e.what();
    CAPTURE(msg);
    CHECK(msg.find(fragment) != std::string::npos);
  }
}

TEST_CASE("a matched send/recv with its dependency passes") {
  TwoRanks t;
  const BufferId got = t.b.buffer_like(t.x0, 1, "got");
  const BufferId sum = t.b.buffer_like(t.x0, 1, "sum", std::nullopt, /*zero_init=*/true);
  t.b.send(t.send, t.x0, 1, 7);
  const OpId r = t.b.recv(t.recv, got, 0, 7);
  t.b.accumulate(t.compute, got, sum, {r});
  t.b.bind_output(sum, Tensor::kOut);
  const Program p = std::move(t.b).finish();
  const CommMatching m = check_program(p);
  CHECK(m.partner(OpId{0}) == r);
  CHECK(m.partner(r) == OpId{0});
}

TEST_CASE("a send without a recv is named") {
  TwoRanks t;
  t.b.send(t.send, t.x0, 1, 7);
  check_throws_with(std::move(t.b).finish(), "has no matching recv");
}

TEST_CASE("a recv with another tag does not match") {
  TwoRanks t;
  const BufferId got = t.b.buffer_like(t.x0, 1, "got");
  t.b.send(t.send, t.x0, 1, 7);
  t.b.recv(t.recv, got, 0, 8);
  check_throws_with(std::move(t.b).finish(), "no matching");
}

TEST_CASE("sizes of a send and its recv must agree") {
  TwoRanks t;
  const BufferId small = t.b.token_buffer(1, "small", DType::kBF16, t.chunk0, 0, 1, 8);
  t.b.send(t.send, t.x0, 1, 7);
  t.b.recv(t.recv, small, 0, 7);
  check_throws_with(std::move(t.b).finish(), "receives [4, 1, 8]");
}

TEST_CASE("a recv buffer labelled with other positions is refused") {
  TwoRanks t;
  const BufferId wrong = t.b.buffer_like(t.x1, 1, "wrong");  // chunk 1's positions, but chunk 0 arrives
  t.b.send(t.send, t.x0, 1, 7);
  t.b.recv(t.recv, wrong, 0, 7);
  check_throws_with(std::move(t.b).finish(), "positions or heads differ");
}

TEST_CASE("collectives must be issued by every member") {
  TwoRanks t;
  const RankId both[] = {0, 1};
  const GroupId g = t.b.group(both);
  const LayoutId all = t.b.layout(TokenLayout{{0, 0, 8, 1}});
  const BufferId out0 = t.b.token_buffer(0, "all", DType::kBF16, all, 0, 2, 8);
  t.b.collective(t.compute, {CollectiveKind::kAllGather}, g, t.x0, out0);
  check_throws_with(std::move(t.b).finish(), "issues 0 collectives but rank 0 issues 1");
}

TEST_CASE("an all-gather output must hold the members' positions in group order") {
  TwoRanks t;
  const RankId both[] = {0, 1};
  const GroupId g = t.b.group(both);
  const LayoutId all = t.b.layout(TokenLayout{{0, 0, 8, 1}});
  const LayoutId reversed = t.b.layout(TokenLayout{{0, 4, 4, 1}, {0, 0, 4, 1}});
  const BufferId out0 = t.b.token_buffer(0, "all", DType::kBF16, all, 0, 2, 8);
  const BufferId out1 = t.b.token_buffer(1, "all", DType::kBF16, reversed, 0, 2, 8);
  t.b.collective(t.compute, {CollectiveKind::kAllGather}, g, t.x0, out0);
  t.b.collective(t.compute, {CollectiveKind::kAllGather}, g, t.x1, out1);
  check_throws_with(std::move(t.b).finish(), "positions are not the members' input positions");
}

TEST_CASE("an all-gather output of the wrong size is refused") {
  TwoRanks t;
  const RankId both[] = {0, 1};
  const GroupId g = t.b.group(both);
  const BufferId out0 = t.b.buffer_like(t.x0, 0, "all");  // 4 rows, needs 8
  const BufferId out1 = t.b.buffer_like(t.x1, 1, "all");
  t.b.collective(t.compute, {CollectiveKind::kAllGather}, g, t.x0, out0);
  t.b.collective(t.compute, {CollectiveKind::kAllGather}, g, t.x1, out1);
  check_throws_with(std::move(t.b).finish(), "but the collective produces [8, 2, 8]");
}

TEST_CASE("rendezvous sends on one stream in the same order deadlock") {
  // Both ranks send first, then receive, on a single in-order stream: each
  // send waits for a recv that sits behind the other rank's send.
  TwoRanks t;
  const StreamId comm = t.b.stream("comm");
  const BufferId got0 = t.b.buffer_like(t.x1, 0, "got");
  const BufferId got1 = t.b.buffer_like(t.x0, 1, "got");
  t.b.send(comm, t.x0, 1, 1);
  t.b.recv(comm, got0, 1, 2);
  t.b.send(comm, t.x1, 0, 2);
  t.b.recv(comm, got1, 0, 1);
  check_throws_with(std::move(t.b).finish(), "deadlock");
}

TEST_CASE("reading a buffer nothing wrote is named") {
  TwoRanks t;
  const BufferId never = t.b.buffer_like(t.x0, 0, "never");
  const BufferId dst = t.b.buffer_like(t.x0, 0, "dst");
  t.b.copy(t.compute, never, dst);
  check_throws_with(std::move(t.b).finish(), "before any op writes it");
}

TEST_CASE("a read on another stream without a dependency on the write is a race") {
  TwoRanks t;
  const BufferId got = t.b.buffer_like(t.x0, 1, "got");
  const BufferId dst = t.b.buffer_like(t.x0, 1, "dst");
  t.b.send(t.send, t.x0, 1, 7);
  t.b.recv(t.recv, got, 0, 7);
  t.b.copy(t.compute, got, dst);  // no dependency on the recv
  check_throws_with(std::move(t.b).finish(), "without being ordered after it (missing dependency)");
}

TEST_CASE("overwriting a buffer another stream may still read is a race") {
  TwoRanks t;
  const BufferId tmp = t.b.buffer_like(t.x0, 0, "tmp");
  const OpId w = t.b.copy(t.compute, t.x0, tmp);
  t.b.send(t.send, tmp, 1, 7, {w});
  t.b.recv(t.recv, t.b.buffer_like(t.x0, 1, "got"), 0, 7);
  t.b.copy(t.compute, t.x0, tmp);  // may run while the send still reads tmp
  check_throws_with(std::move(t.b).finish(), "may still read it");
}

TEST_CASE("two unordered accumulations into one buffer are a race") {
  TwoRanks t;
  const BufferId acc = t.b.buffer_like(t.x0, 0, "acc", std::nullopt, true);
  t.b.accumulate(t.compute, t.x0, acc);
  t.b.accumulate(t.send, t.x0, acc);
  // An accumulation reads before it writes, so the read is named first.
  check_throws_with(std::move(t.b).finish(), "written by op 0");
}

TEST_CASE("two unordered overwrites of one buffer are a race") {
  TwoRanks t;
  const BufferId dst = t.b.buffer_like(t.x0, 0, "dst");
  t.b.copy(t.compute, t.x0, dst);
  t.b.copy(t.send, t.x0, dst);
  check_throws_with(std::move(t.b).finish(), "unordered with the earlier write");
}

TEST_CASE("an output bound to a buffer nothing writes is named") {
  TwoRanks t;
  t.b.bind_output(t.b.buffer_like(t.x0, 0, "result"), Tensor::kOut);
  check_throws_with(std::move(t.b).finish(), "never written");
}

TEST_CASE("the builder refuses cross-rank dependencies and mixed-rank operands") {
  TwoRanks t;
  const OpId on0 = t.b.copy(t.compute, t.x0, t.b.buffer_like(t.x0, 0, "c"));
  CHECK_THROWS_AS(t.b.copy(t.compute, t.x1, t.b.buffer_like(t.x1, 1, "c"), {on0}), ProgramError);
  CHECK_THROWS_AS(t.b.copy(t.compute, t.x0, t.x1), ProgramError);
  CHECK_THROWS_AS(t.b.send(t.send, t.x0, 0, 1), ProgramError);  // to itself
}

TEST_CASE("attention operands must agree on heads and positions") {
  ProgramBuilder b(1, /*q_per_kv=*/2);
  const StreamId c = b.stream("compute");
  const LayoutId l = b.layout(TokenLayout{{0, 0, 4, 1}});
  const BufferId q = b.token_buffer(0, "q", DType::kBF16, l, 0, 4, 8);
  const BufferId k = b.token_buffer(0, "k", DType::kBF16, l, 1, 1, 8);  // kv head 1 only
  const BufferId v = b.token_buffer(0, "v", DType::kBF16, l, 1, 1, 8);
  const BufferId o = b.token_buffer(0, "o", DType::kBF16, l, 0, 4, 8);
  const BufferId lse = b.token_buffer(0, "lse", DType::kF32, l, 0, 4, 1);
  for (BufferId x : {q, k, v}) b.bind_input(x, Tensor::kQ);
  b.attn_fwd(c, q, k, v, o, lse, true);
  // q heads 0..3 need kv heads 0..1 (2 query heads per kv head); k holds only head 1.
  check_throws_with(std::move(b).finish(), "need kv heads [0, 2) but k/v hold [1, 2)");
}

}  // namespace
}  // namespace spsim
