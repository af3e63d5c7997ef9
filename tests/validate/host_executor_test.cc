// The host executor's collectives, position-matched copies and poisoning,
// against values worked out by hand.
#include "validate/host_executor.h"

#include <doctest/doctest.h>

#include <cmath>
#include <numeric>

#include "program/program_check.h"

namespace spsim {
namespace {

std::vector<double> iota(std::size_t n, double start) {
  std::vector<double> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

// N ranks, rank r holds rows [2r, 2r+2) of one sequence, `heads` heads, 1 column.
struct Ranks {
  std::uint32_t n;
  ProgramBuilder b;
  StreamId s;
  GroupId g;
  std::vector<BufferId> in;
  Ranks(std::uint32_t ranks, std::uint32_t heads) : n(ranks), b(ranks), s(b.stream("coll")) {
    std::vector<RankId> all(n);
    std::iota(all.begin(), all.end(), 0u);
    g = b.group(all);
    for (RankId r = 0; r < n; ++r)
      in.push_back(b.token_buffer(r, "in", DType::kF32, b.layout(TokenLayout{{0, 2 * r, 2, 1}}), 0, heads, 1));
    for (BufferId x : in) b.bind_input(x, Tensor::kQ);  // written before the program (set_buffer)
  }
  // Runs with each input r set to iota(start = 100 r) and returns the executor.
  std::unique_ptr<HostExecutor> run(const Program& p, const CommMatching& m) {
    auto ex = std::make_unique<HostExecutor>(p, m);
    for (RankId r = 0; r < n; ++r) ex->set_buffer(in[r], iota(p.buffer(in[r]).elements(), 100.0 * r));
    ex->run(1);
    return ex;
  }
};

TEST_CASE("all-gather concatenates members' rows in group order") {
  Ranks t(3, 1);
  const LayoutId all = t.b.layout(TokenLayout{{0, 0, 6, 1}});
  std::vector<BufferId> out;
  for (RankId r = 0; r < 3; ++r) {
    out.push_back(t.b.token_buffer(r, "out", DType::kF32, all, 0, 1, 1));
    t.b.collective(t.s, {CollectiveKind::kAllGather}, t.g, t.in[r], out[r]);
  }
  const Program p = std::move(t.b).finish();
  const auto m = check_program(p);
  auto ex = t.run(p, m);
  for (RankId r = 0; r < 3; ++r) CHECK(ex->buffer(out[r]) == std::vector<double>{0, 1, 100, 101, 200, 201});
}

TEST_CASE("reduce-scatter gives member j the sum of everyone's j-th share") {
  // Both inputs hold the same positions (a reduce-scatter sums like rows).
  std::vector<BufferId> out;
  ProgramBuilder b(2);
  const StreamId s = b.stream("coll");
  const RankId both[] = {0, 1};
  const GroupId g = b.group(both);
  const LayoutId l = b.layout(TokenLayout{{0, 0, 2, 1}});
  std::vector<BufferId> in;
  for (RankId r = 0; r < 2; ++r) {
    in.push_back(b.token_buffer(r, "in", DType::kF32, l, 0, 1, 1));
    b.bind_input(in[r], Tensor::kQ);
    out.push_back(b.token_buffer(r, "out", DType::kF32, b.layout(TokenLayout{{0, r, 1, 1}}), 0, 1, 1));
    b.collective(s, {CollectiveKind::kReduceScatter}, g, in[r], out[r]);
  }
  const Program p = std::move(b).finish();
  const auto m = check_program(p);
  HostExecutor ex(p, m);
  ex.set_buffer(in[0], {1, 2});
  ex.set_buffer(in[1], {10, 20});
  ex.run(3);
  CHECK(ex.buffer(out[0]) == std::vector<double>{11});  // 1 + 10
  CHECK(ex.buffer(out[1]) == std::vector<double>{22});  // 2 + 20
}

TEST_CASE("all-to-all heads->rows and back is the identity, with parts where expected") {
  Ranks t(2, 2);  // each member: 2 rows x 2 heads
  const LayoutId all = t.b.layout(TokenLayout{{0, 0, 4, 1}});
  std::vector<BufferId> mid, back;
  std::vector<OpId> a2a;
  for (RankId r = 0; r < 2; ++r) {
    // After scattering heads: member r holds head r for all 4 rows.
    mid.push_back(t.b.token_buffer(r, "mid", DType::kF32, all, r, 1, 1));
    a2a.push_back(t.b.collective(t.s, {CollectiveKind::kAllToAll, Axis::kRows, Axis::kHeads}, t.g, t.in[r], mid[r]));
  }
  for (RankId r = 0; r < 2; ++r) {
    back.push_back(t.b.buffer_like(t.in[r], r, "back"));
    t.b.collective(t.s, {CollectiveKind::kAllToAll, Axis::kHeads, Axis::kRows}, t.g, mid[r], back[r], {a2a[r]});
  }
  const Program p = std::move(t.b).finish();
  const auto m = check_program(p);
  auto ex = t.run(p, m);
  // in[0] = rows {0,1} x heads {0,1} = 0,1,2,3 ; in[1] = 100..103.
  // mid[0] = head 0 of rows 0..3 = 0, 2, 100, 102 ; mid[1] = head 1 = 1, 3, 101, 103.
  CHECK(ex->buffer(mid[0]) == std::vector<double>{0, 2, 100, 102});
  CHECK(ex->buffer(mid[1]) == std::vector<double>{1, 3, 101, 103});
  CHECK(ex->buffer(back[0]) == std::vector<double>{0, 1, 2, 3});
  CHECK(ex->buffer(back[1]) == std::vector<double>{100, 101, 102, 103});
}

TEST_CASE("all-reduce in place and broadcast") {
  ProgramBuilder b(3);
  const StreamId s = b.stream("coll");
  const RankId all[] = {0, 1, 2};
  const GroupId g = b.group(all);
  const LayoutId l = b.layout(TokenLayout{{0, 0, 1, 1}});
  std::vector<BufferId> x, y;
  std::vector<OpId> ar;
  for (RankId r = 0; r < 3; ++r) {
    x.push_back(b.token_buffer(r, "x", DType::kF32, l, 0, 1, 2));
    y.push_back(b.token_buffer(r, "y", DType::kF32, l, 0, 1, 2));
    b.bind_input(x[r], Tensor::kQ);
    b.bind_input(y[r], Tensor::kK);
    ar.push_back(b.collective(s, {CollectiveKind::kAllReduce}, g, x[r], x[r]));
  }
  for (RankId r = 0; r < 3; ++r) {
    CollectiveSpec bc{CollectiveKind::kBroadcast};
    bc.root = 2;
    b.collective(s, bc, g, y[r], y[r]);
  }
  const Program p = std::move(b).finish();
  const auto m = check_program(p);
  HostExecutor ex(p, m);
  for (RankId r = 0; r < 3; ++r) {
    ex.set_buffer(x[r], {1.0 + r, 10.0 * (r + 1)});
    ex.set_buffer(y[r], {r == 2 ? 7.0 : -1.0, r == 2 ? 8.0 : -1.0});
  }
  ex.run(5);
  for (RankId r = 0; r < 3; ++r) {
    CHECK(ex.buffer(x[r]) == std::vector<double>{6, 60});  // 1+2+3, 10+20+30
    CHECK(ex.buffer(y[r]) == std::vector<double>{7, 8});   // the root's values
  }
}

TEST_CASE("copy gathers by position and head, accumulate scatters by position") {
  ProgramBuilder b(1);
  const StreamId s = b.stream("compute");
  // src: positions 0..3, heads 0..1; dst: positions {3, 1}, head 1.
  const BufferId src = b.token_buffer(0, "src", DType::kF32, b.layout(TokenLayout{{0, 0, 4, 1}}), 0, 2, 1);
  const BufferId dst = b.token_buffer(0, "dst", DType::kF32, b.layout(TokenLayout{{0, 3, 1, 1}, {0, 1, 1, 1}}), 1, 1, 1);
  const BufferId acc = b.token_buffer(0, "acc", DType::kF32, b.layout(TokenLayout{{0, 0, 4, 1}}), 0, 2, 1, true);
  b.bind_input(src, Tensor::kQ);
  const OpId c = b.copy(s, src, dst);
  b.accumulate(s, dst, acc, {c});
  const Program p = std::move(b).finish();
  const auto m = check_program(p);
  HostExecutor ex(p, m);
  ex.set_buffer(src, {0, 1, 10, 11, 20, 21, 30, 31});  // value = 10*pos + head
  ex.run(1);
  CHECK(ex.buffer(dst) == std::vector<double>{31, 11});
  CHECK(ex.buffer(acc) == std::vector<double>{0, 0, 0, 11, 0, 0, 0, 31});
}

TEST_CASE("reading memory no op wrote poisons the result with NaN") {
  ProgramBuilder b(1);
  const StreamId s = b.stream("compute");
  const LayoutId l = b.layout(TokenLayout{{0, 0, 2, 1}});
  const BufferId never = b.token_buffer(0, "never", DType::kF32, l, 0, 1, 1);
  const BufferId acc = b.token_buffer(0, "acc", DType::kF32, l, 0, 1, 1, true);
  b.accumulate(s, never, acc);
  const Program p = std::move(b).finish();
  // (check_program would refuse this program; the executor must not hide it either.)
  const auto m = match_communication(p);
  HostExecutor ex(p, m);
  ex.run(1);
  for (double x : ex.buffer(acc)) CHECK(std::isnan(x));
}

}  // namespace
}  // namespace spsim

namespace spsim {
namespace {

TEST_CASE("dense applies the seeded weight matrix, dense_bwd its transpose") {
  ProgramBuilder b(1);
  const StreamId s = b.stream("compute");
  const LayoutId l = b.layout(TokenLayout{{0, 0, 2, 1}});
  const BufferId x = b.token_buffer(0, "x", DType::kF32, l, 0, 1, 3);   // 3 features
  const BufferId y = b.token_buffer(0, "y", DType::kF32, l, 0, 2, 1);   // 2 features
  const BufferId dx = b.token_buffer(0, "dx", DType::kF32, l, 0, 1, 3);
  b.bind_input(x, Tensor::kQ);
  const OpId fwd = b.dense(s, x, y, 7);
  b.dense_bwd(s, x, y, dx, 7, {fwd});
  const Program p = std::move(b).finish();
  CHECK(p.op(fwd).work == 2 * 3 * 2);  // rows x in features x out features
  const auto m = check_program(p);
  HostExecutor ex(p, m);
  ex.set_buffer(x, {1, 2, 3, -1, 0, 1});
  ex.run(1);
  const auto W = [](std::uint64_t i, std::uint64_t j) { return dense_weight(7, i, j, 3); };
  const auto yv = ex.buffer(y), dxv = ex.buffer(dx);
  // y[r][i] = sum_j W[i][j] x[r][j]; dx[r][j] = sum_i W[i][j] y[r][i].
  const double xs[2][3] = {{1, 2, 3}, {-1, 0, 1}};
  for (int r = 0; r < 2; ++r) {
    for (int i = 0; i < 2; ++i)
      CHECK(yv[static_cast<std::size_t>(2 * r + i)] ==
            doctest::Approx(W(i, 0) * xs[r][0] + W(i, 1) * xs[r][1] + W(i, 2) * xs[r][2]).epsilon(1e-14));
    for (int j = 0; j < 3; ++j)
      CHECK(dxv[static_cast<std::size_t>(3 * r + j)] ==
            doctest::Approx(W(0, j) * yv[static_cast<std::size_t>(2 * r)] + W(1, j) * yv[static_cast<std::size_t>(2 * r + 1)]).epsilon(1e-14));
  }
  // Weights are fixed per seed, bounded by 1/sqrt(in features), and differ across seeds.
  CHECK(std::abs(W(0, 0)) <= 1 / std::sqrt(3.0));
  CHECK(dense_weight(7, 1, 2, 3) == dense_weight(7, 1, 2, 3));
  CHECK(dense_weight(7, 1, 2, 3) != dense_weight(8, 1, 2, 3));
}

}  // namespace
}  // namespace spsim
