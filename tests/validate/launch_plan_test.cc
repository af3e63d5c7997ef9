// The launch plan of the CUDA executor, checked on the CPU: for every
// strategy the plan enforces every IR dependency (and deleting any one of its
// waits is detected), and the staging of every collective reproduces the
// collective's meaning when NCCL's contiguous semantics are applied to it.
#include "validate/launch_plan.h"

#include <doctest/doctest.h>

#include <random>

#include "program/program_check.h"
#include "strategies/lower_attention.h"
#include "strategies/registry.h"
#include "validate/host_executor.h"

namespace spsim {
namespace {

Workload small_workload(bool causal, Pass pass) {
  Workload w;
  w.seq_lens = {64};
  w.heads = 4;
  w.kv_heads = 2;
  w.head_dim = 8;
  w.causal = causal;
  w.pass = pass;
  return w;
}

TEST_CASE("the launch plan of every strategy enforces every IR dependency") {
  int planned = 0;
  for (const Strategy* s : all_strategies()) {
    for (std::uint32_t P : {2u, 4u}) {
      const Workload w = small_workload(true, Pass::kForwardBackward);
      StrategyOptions o;
      o.sp = P;
      if (s->refuse(w, o)) continue;
      CAPTURE(s->name());
      CAPTURE(P);
      const Program p = lower_attention(*s, w, o);
      const CommMatching m = check_program(p);
      const LaunchPlan plan = make_launch_plan(p, m);
      CHECK(plan.num_streams == P * p.num_streams());
      const auto problem = check_launch_plan(p, m, plan);
      CHECK_MESSAGE(!problem, problem.value_or(""));
      // Every op once, in groups of whole units.
      std::size_t issued = 0;
      for (const LaunchGroup& g : plan.order) issued += g.ops.size();
      CHECK(issued == p.num_ops());
      ++planned;
    }
  }
  MESSAGE(planned << " plans checked");
  CHECK(planned >= 2 * 10);
}

TEST_CASE("deleting any wait of a plan leaves a dependency the check names") {
  std::size_t deleted = 0;
  for (std::string_view name : {"ring", "ulysses", "tokenring"}) {
    CAPTURE(name);
    StrategyOptions o;
    o.sp = name == "ulysses" ? 2 : 4;
    const Program p = lower_attention(*find_strategy(name), small_workload(true, Pass::kForwardBackward), o);
    const CommMatching m = check_program(p);
    const LaunchPlan plan = make_launch_plan(p, m);
    REQUIRE(!plan.waits.empty());
    for (std::size_t i = 0; i < p.num_ops(); ++i) {
      const OpLaunch& l = plan.ops[i];
      for (std::uint32_t w = l.wait_begin; w < l.wait_end; ++w) {
        LaunchPlan cut = plan;
        cut.waits.erase(cut.waits.begin() + w);
        for (OpLaunch& x : cut.ops) {
          if (x.wait_begin > w) --x.wait_begin;
          if (x.wait_end > w) --x.wait_end;
        }
        const auto problem = check_launch_plan(p, m, cut);
        REQUIRE(problem);
        CHECK(problem->find("may start before") != std::string::npos);
        ++deleted;
      }
    }
  }
  MESSAGE(deleted << " waits deleted one at a time, each detected");
}

TEST_CASE("the check refuses a plan issued out of order or split across groups") {
  StrategyOptions o;
  o.sp = 4;
  const Program p = lower_attention(*find_strategy("ring"), small_workload(false, Pass::kForwardBackward), o);
  const CommMatching m = check_program(p);
  const LaunchPlan plan = make_launch_plan(p, m);
  LaunchPlan reversed = plan;
  std::reverse(reversed.order.begin(), reversed.order.end());
  const auto r = check_launch_plan(p, m, reversed);
  REQUIRE(r);
  CHECK(r->find("before it is recorded") != std::string::npos);
  // A Send issued without its Recv.
  LaunchPlan split = plan;
  for (std::size_t g = 0; g < split.order.size(); ++g)
    if (split.order[g].ops.size() == 2) {
      const OpId second = split.order[g].ops[1];
      split.order[g].ops.pop_back();
      split.order.insert(split.order.begin() + static_cast<std::ptrdiff_t>(g) + 1, LaunchGroup{{second}});
      break;
    }
  const auto s = check_launch_plan(p, m, split);
  REQUIRE(s);
  CHECK(s->find("not one whole unit") != std::string::npos);
}

// A [rows, heads, cols] array of doubles.
struct Array {
  std::uint32_t rows = 0, heads = 0, cols = 0;
  std::vector<double> v;
  double& at(std::uint32_t r, std::uint32_t h, std::uint32_t c) { return v[(std::size_t{r} * heads + h) * cols + c]; }
};

void copy_window(Array& src, Array& dst, const Window& w) {
  for (std::uint32_t r = 0; r < w.rows; ++r)
    for (std::uint32_t h = 0; h < w.heads; ++h)
      for (std::uint32_t c = 0; c < src.cols; ++c) dst.at(w.dst_row0 + r, w.dst_head0 + h, c) = src.at(w.src_row0 + r, w.src_head0 + h, c);
}

// Runs one collective instance the way the CUDA executor does — staging
// windows, then NCCL's semantics on contiguous arrays — and returns each
// member's out buffer.
std::vector<std::vector<double>> run_staged(const Program& p, const CommMatching& m, std::span<const OpId> members,
                                            const std::vector<std::vector<double>>& ins) {
  const std::size_t n = members.size();
  const CollectiveSpec spec = CollectiveSpec::decode(p.op(members[0]).tag);
  std::vector<CollectivePacking> pk;
  std::vector<std::vector<double>> send(n), recv(n);
  const std::uint32_t cols = p.buffer(p.operands(members[0])[0]).cols;
  for (std::size_t j = 0; j < n; ++j) {
    pk.push_back(collective_packing(p, m, members[j]));
    const Buffer& bi = p.buffer(p.operands(members[j])[0]);
    const CollectivePacking& c = pk[j];
    if (c.send_staged) {
      send[j].assign(c.send_part_elements(cols) * c.parts, 0.0);
      Array src{bi.rows, bi.heads, cols, ins[j]};
      for (const Window& w : c.pack) {
        Array part{c.send_part_rows, c.send_part_heads, cols,
                   std::vector<double>(c.send_part_elements(cols))};
        copy_window(src, part, w);
        std::copy(part.v.begin(), part.v.end(), send[j].begin() + static_cast<std::ptrdiff_t>(w.part * part.v.size()));
      }
    } else {
      send[j] = ins[j];
    }
  }
  // NCCL on the contiguous arrays.
  const std::size_t sp = pk[0].send_part_elements(cols), rp = pk[0].recv_part_elements(cols);
  for (std::size_t j = 0; j < n; ++j) {
    switch (spec.kind) {
      case CollectiveKind::kAllGather:
        for (std::size_t i = 0; i < n; ++i) recv[j].insert(recv[j].end(), send[i].begin(), send[i].end());
        break;
      case CollectiveKind::kReduceScatter:
        recv[j].assign(sp, 0.0);
        for (std::size_t i = 0; i < n; ++i)
          for (std::size_t e = 0; e < sp; ++e) recv[j][e] += send[i][j * sp + e];
        break;
      case CollectiveKind::kAllToAll:
        for (std::size_t i = 0; i < n; ++i)
          recv[j].insert(recv[j].end(), send[i].begin() + static_cast<std::ptrdiff_t>(j * sp),
                         send[i].begin() + static_cast<std::ptrdiff_t>((j + 1) * sp));
        break;
      case CollectiveKind::kAllReduce:
        recv[j].assign(send[0].size(), 0.0);
        for (std::size_t i = 0; i < n; ++i)
          for (std::size_t e = 0; e < send[i].size(); ++e) recv[j][e] += send[i][e];
        break;
      case CollectiveKind::kBroadcast: recv[j] = send[spec.root]; break;
    }
  }
  std::vector<std::vector<double>> outs(n);
  for (std::size_t j = 0; j < n; ++j) {
    const Buffer& bo = p.buffer(p.operands(members[j])[1]);
    const CollectivePacking& c = pk[j];
    if (!c.recv_staged) {
      outs[j] = recv[j];
      continue;
    }
    Array dst{bo.rows, bo.heads, cols, std::vector<double>(bo.elements())};
    for (const Window& w : c.unpack) {
      Array part{c.recv_part_rows, c.recv_part_heads, cols,
                 {recv[j].begin() + static_cast<std::ptrdiff_t>(w.part * rp),
                  recv[j].begin() + static_cast<std::ptrdiff_t>((w.part + 1) * rp)}};
      copy_window(part, dst, w);
    }
    outs[j] = dst.v;
  }
  return outs;
}

TEST_CASE("collective staging reproduces every collective along both axes") {
  struct Kind {
    CollectiveKind kind;
    Axis axis, split;
  };
  const Kind kinds[] = {
      {CollectiveKind::kAllGather, Axis::kRows, Axis::kRows},     {CollectiveKind::kAllGather, Axis::kHeads, Axis::kRows},
      {CollectiveKind::kReduceScatter, Axis::kRows, Axis::kRows}, {CollectiveKind::kReduceScatter, Axis::kHeads, Axis::kRows},
      {CollectiveKind::kAllToAll, Axis::kRows, Axis::kHeads},     {CollectiveKind::kAllToAll, Axis::kHeads, Axis::kRows},
      {CollectiveKind::kAllToAll, Axis::kRows, Axis::kRows},
      {CollectiveKind::kAllReduce, Axis::kRows, Axis::kRows},     {CollectiveKind::kBroadcast, Axis::kRows, Axis::kRows},
  };
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1, 1);
  for (std::uint32_t n : {2u, 3u}) {
    for (const Kind& k : kinds) {
      CAPTURE(n);
      CAPTURE(collective_kind_name(k.kind));
      CAPTURE(static_cast<int>(k.axis));
      CAPTURE(static_cast<int>(k.split));
      // Shapes: rows and heads divisible by n where the collective cuts them.
      const std::uint32_t R = 2 * n, H = 2 * n, C = 3;
      ProgramBuilder b(n);
      const StreamId s = b.stream("comm");
      std::vector<RankId> ranks(n);
      for (RankId r = 0; r < n; ++r) ranks[r] = r;
      const GroupId g = b.group(ranks);
      CollectiveSpec spec{k.kind, k.axis, k.split, n - 1};
      std::vector<BufferId> in(n), out(n);
      for (RankId r = 0; r < n; ++r) {
        std::uint32_t orows = R, oheads = H;
        if (k.kind == CollectiveKind::kAllGather) (k.axis == Axis::kRows ? orows : oheads) *= n;
        if (k.kind == CollectiveKind::kReduceScatter) (k.axis == Axis::kRows ? orows : oheads) /= n;
        if (k.kind == CollectiveKind::kAllToAll) {
          (k.split == Axis::kRows ? orows : oheads) /= n;
          (k.axis == Axis::kRows ? orows : oheads) *= n;
        }
        // Global heads as the strategies number them: a member that holds a
        // share of the heads starts at its share.
        const bool in_share = k.axis == Axis::kHeads && k.kind != CollectiveKind::kReduceScatter;
        const bool out_share = (k.kind == CollectiveKind::kReduceScatter && k.axis == Axis::kHeads) ||
                               (k.kind == CollectiveKind::kAllToAll && k.split == Axis::kHeads);
        in[r] = b.matrix_buffer(r, "in", DType::kF32, R, in_share ? r * H : 0, H, C);
        out[r] = b.matrix_buffer(r, "out", DType::kF32, orows, out_share ? r * oheads : 0, oheads, C);
        b.collective(s, spec, g, in[r], out[r]);
      }
      const Program p = std::move(b).finish();
      const CommMatching m = match_communication(p);
      HostExecutor host(p, m);
      std::vector<std::vector<double>> ins(n);
      for (RankId r = 0; r < n; ++r) {
        ins[r].resize(p.buffer(in[r]).elements());
        for (double& x : ins[r]) x = u(rng);
        host.set_buffer(in[r], ins[r]);
      }
      host.run(0);
      const auto outs = run_staged(p, m, m.members(0), ins);
      for (RankId r = 0; r < n; ++r) {
        const std::vector<double> want = host.buffer(out[r]);
        REQUIRE(outs[r].size() == want.size());
        for (std::size_t e = 0; e < want.size(); ++e) CHECK(outs[r][e] == doctest::Approx(want[e]).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("replay memory counts every root buffer once and the largest scratch") {
  StrategyOptions o;
  o.sp = 2;
  const Program p = lower_attention(*find_strategy("ulysses"), small_workload(true, Pass::kForward), o);
  const CommMatching m = check_program(p);
  const std::vector<double> bytes = replay_memory_bytes(p, m);
  REQUIRE(bytes.size() == 2);
  double roots = 0;
  for (std::size_t i = 0; i < p.num_buffers(); ++i)
    if (!p.buffer(buffer_id(i)).parent && p.buffer(buffer_id(i)).rank == 0)
      roots += static_cast<double>(p.buffer(buffer_id(i)).bytes());
  CHECK(bytes[0] > roots);
  CHECK(bytes[0] < 3 * roots);
}

}  // namespace
}  // namespace spsim
