// The engine and both network models against closed forms worked out by hand.
#include "sim/engine.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "costmodel/collective_closed_form.h"
#include "costmodel/link_model.h"
#include "program/comm_matching.h"
#include "program/input_error.h"
#include "sim/network_model.h"
#include "program/program_check.h"
#include "strategies/lower_attention.h"
#include "strategies/registry.h"
#include "topology/cluster.h"
#include "topology/topology_builder.h"

namespace spsim {
namespace {

// Compute times by op kind (communication is the network model's).
class FakeCosts final : public EngineCosts {
 public:
  FakeCosts(const Program& p, std::map<OpKind, double> seconds, double slowdown = 1.0)
      : p_(p), seconds_(std::move(seconds)), slowdown_(slowdown) {}
  double op_seconds(OpId op) const override {
    auto it = seconds_.find(p_.op(op).kind);
    return it == seconds_.end() ? 0.0 : it->second;
  }
  double comm_slowdown(DeviceId) const override { return slowdown_; }

 private:
  const Program& p_;
  std::map<OpKind, double> seconds_;
  double slowdown_;
};

Timeline run(const Program& p, const Topology& topo, const EngineCosts& costs, std::string_view network,
             const LinkModel& links = LinkModel{}) {
  const CommMatching m = check_program(p);
  auto net = make_network_model(network, topo, links);
  return simulate(EngineInput{p, m, topo, {}, costs, *net});
}

// Devices 0..n-1 each with one link to a switch ("star"), bandwidth bw, latency lat.
Topology star(std::uint32_t n, double bw, double lat) {
  TopologyBuilder b("star");
  const VertexId sw = b.add_vertex(VertexKind::kSwitch, "sw", 0);
  for (std::uint32_t d = 0; d < n; ++d) {
    const VertexId v = b.add_device("gpu" + std::to_string(d), 0, "h100-sxm5");
    b.add_link(v, sw, bw, lat, LinkKind::kNvlink, "test");
  }
  return std::move(b).build();
}

// One message of `bytes` from rank 0 to rank 1.
Program one_message(std::uint32_t ranks, std::uint32_t rows) {
  ProgramBuilder b(ranks);
  const StreamId s = b.stream("send"), r = b.stream("recv");
  const LayoutId l = b.layout(TokenLayout{{0, 0, rows, 1}});
  const BufferId x = b.token_buffer(0, "x", DType::kBF16, l, 0, 1, 512);  // 1 KiB per row
  b.bind_input(x, Tensor::kQ);
  b.send(s, x, 1, 0);
  b.recv(r, b.buffer_like(x, 1, "y"), 0, 0);
  return std::move(b).finish();
}

TEST_CASE("one message over one link takes alpha + n / beta in both network models") {
  TopologyBuilder tb("pair");
  const VertexId a = tb.add_device("gpu0", 0, "h100-sxm5"), c = tb.add_device("gpu1", 0, "h100-sxm5");
  tb.add_link(a, c, 100e9, 2e-6, LinkKind::kNvlink, "test");
  const Topology topo = std::move(tb).build();
  const Program p = one_message(2, 1000);  // 1000 rows x 512 bf16 = 1,024,000 bytes
  const LinkModel links;
  // A send/recv message: alpha = NVLink's point-to-point overhead + link
  // latency; beta = 100 GB/s x NVLink's point-to-point efficiency.
  const double alpha = links.params(LinkKind::kNvlink).p2p_overhead_s + 2e-6;
  const double beta = 100e9 * links.params(LinkKind::kNvlink).p2p_efficiency;
  const double expected = alpha + 1'024'000.0 / beta;
  const FakeCosts costs(p, {});
  for (const char* net : {"analytical", "flow"}) {
    CAPTURE(net);
    const Timeline tl = run(p, topo, costs, net);
    CHECK(tl.makespan_s == doctest::Approx(expected).epsilon(1e-12));
    CHECK(tl.at(OpId{0}).start_s == 0.0);
    CHECK(tl.at(OpId{1}).end_s == doctest::Approx(expected).epsilon(1e-12));
    REQUIRE(tl.links.bytes.size() == 2);
    CHECK(tl.links.bytes[0] + tl.links.bytes[1] == 1'024'000.0);  // one direction carried it
  }
}

Program all_gather(std::uint32_t n, std::uint32_t rows);  // below

TEST_CASE("point-to-point and collective traffic use their own efficiencies and overheads") {
  // One 100 GB/s NVLink pair, latency 2 µs. A calibration sets NVLink's
  // point-to-point efficiency to 0.5 and overhead to 10 µs (collectives keep
  // 0.8 and 3.4 µs): a 1,024,000-byte message takes 12 µs + n / 50 GB/s; an
  // all-gather of 2 members of 1,024,000 bytes each is one ring step,
  // 5.4 µs + n / 80 GB/s. Both network models.
  TopologyBuilder tb("pair");
  const VertexId a = tb.add_device("gpu0", 0, "h100-sxm5"), c = tb.add_device("gpu1", 0, "h100-sxm5");
  tb.add_link(a, c, 100e9, 2e-6, LinkKind::kNvlink, "test");
  const Topology topo = std::move(tb).build();
  LinkCalibration cal;
  cal[LinkKind::kNvlink].p2p_efficiency = 0.5;
  cal[LinkKind::kNvlink].p2p_overhead_s = 10e-6;
  const LinkModel links(cal);
  const Program msg = one_message(2, 1000);
  const Program ag = all_gather(2, 1000);
  const FakeCosts mc(msg, {}), ac(ag, {});
  for (const char* net : {"analytical", "flow"}) {
    CAPTURE(net);
    CHECK(run(msg, topo, mc, net, links).makespan_s == doctest::Approx(12e-6 + 1'024'000.0 / 50e9).epsilon(1e-12));
    CHECK(run(ag, topo, ac, net, links).makespan_s == doctest::Approx(5.4e-6 + 1'024'000.0 / 80e9).epsilon(1e-12));
  }
}

TEST_CASE("GPU peer traffic through a CPU root complex is capped; through a PCIe switch it is not") {
  // pcie-a10-4: GPUs 0,1 behind switch 0 and 2,3 behind switch 1, both on one
  // CPU, Gen4 x16 links (31.5 GB/s, 2.5 µs each). A 10,240,000-byte message:
  //   0 -> 1 (gpu-switch-gpu, 2 links): 5.7 µs + 5 µs + n / (31.5 GB/s x 24/31.5);
  //   1 -> 2 (gpu-switch-CPU-switch-gpu, 4 links): 5.7 µs + 10 µs + n / 10 GB/s
  //   (the root-complex cap, default_root_complex_params()).
  const Topology topo = make_preset_topology("pcie-a10-4");
  const LinkModel links;
  const double n = 10'240'000.0;
  CHECK(links.route(topo, 0, 1, Traffic::kPointToPoint).seconds(n) == doctest::Approx(5.7e-6 + 5e-6 + n / 24e9));
  CHECK(links.route(topo, 1, 2, Traffic::kPointToPoint).seconds(n) == doctest::Approx(5.7e-6 + 10e-6 + n / 10e9));
  // Collectives cross the same root complex: capped as well.
  CHECK(links.route(topo, 1, 2, Traffic::kCollective).beta_bytes_per_s == doctest::Approx(10e9));
  // Host-staged routes (no P2P) pay their host-memory hop instead.
  const Topology l40s = make_preset_topology("pcie-l40s-8");
  CHECK(links.route(l40s, 0, 1, Traffic::kPointToPoint).beta_bytes_per_s > 10e9);
}

TEST_CASE("a link busy in both directions gives each its duplex share (flow model)") {
  // Two GPUs on one 31.5 GB/s PCIe switch, latency 1 µs per link. One
  // message 0 -> 1 alone: alpha + n / (31.5 x e) with e = 24/31.5, i.e.
  // n / 24 GB/s. Messages 0 -> 1 and 1 -> 0 at once load every link in both
  // directions: each direction keeps the PCIe duplex factor d = 20.7/24 of
  // its capacity, so each takes alpha + n / (24 GB/s x d) = n / 20.7 GB/s.
  // (The analytical model has no contention, and no duplex either.)
  TopologyBuilder tb("pcie pair");
  const VertexId sw = tb.add_vertex(VertexKind::kPcieSwitch, "sw", 0);
  for (int d = 0; d < 2; ++d)
    tb.add_link(tb.add_device("gpu" + std::to_string(d), 0, "a10"), sw, 31.5e9, 1e-6, LinkKind::kPcie, "test");
  const Topology topo = std::move(tb).build();
  const double alpha = 5.7e-6 + 2e-6, n = 1'024'000.0;
  const Program one = one_message(2, 1000);
  const FakeCosts oc(one, {});
  CHECK(run(one, topo, oc, "flow").makespan_s == doctest::Approx(alpha + n / 24e9).epsilon(1e-12));
  ProgramBuilder b(2);
  const StreamId s = b.stream("send"), r = b.stream("recv");
  const LayoutId l = b.layout(TokenLayout{{0, 0, 1000, 1}});
  for (RankId src : {0u, 1u}) {
    const BufferId x = b.token_buffer(src, "x", DType::kBF16, l, 0, 1, 512);
    b.bind_input(x, Tensor::kQ);
    b.send(s, x, 1 - src, src);
    b.recv(r, b.buffer_like(x, 1 - src, "y"), src, src);
  }
  const Program both = std::move(b).finish();
  const FakeCosts bc(both, {});
  CHECK(run(both, topo, bc, "flow").makespan_s == doctest::Approx(alpha + n / 20.7e9).epsilon(1e-12));
  CHECK(run(both, topo, bc, "analytical").makespan_s == doctest::Approx(alpha + n / 24e9).epsilon(1e-12));
}

TEST_CASE("two flows into one device share its link: each gets half (flow model)") {
  // Ranks 0 and 1 both send n bytes to rank 2 at time 0. Their routes share
  // the link sw -> gpu2, so max-min gives each beta/2: both finish at
  // alpha + n / (beta / 2). The analytical model ignores the contention.
  const Topology topo = star(3, 100e9, 1e-6);
  ProgramBuilder b(3);
  const StreamId s = b.stream("send"), r = b.stream("recv"), r2 = b.stream("recv2");
  const LayoutId l = b.layout(TokenLayout{{0, 0, 1000, 1}});
  for (RankId src : {0u, 1u}) {
    const BufferId x = b.token_buffer(src, "x", DType::kBF16, l, 0, 1, 512);
    b.bind_input(x, Tensor::kQ);
    b.send(s, x, 2, src);
    b.recv(src == 0 ? r : r2, b.buffer_like(x, 2, "y"), src, src);
  }
  const Program p = std::move(b).finish();
  const LinkModel links;
  const double alpha = links.params(LinkKind::kNvlink).p2p_overhead_s + 2 * 1e-6;  // two hops
  const double beta = 100e9 * links.params(LinkKind::kNvlink).p2p_efficiency;
  const FakeCosts costs(p, {});
  CHECK(run(p, topo, costs, "flow").makespan_s == doctest::Approx(alpha + 1'024'000.0 / (beta / 2)).epsilon(1e-12));
  CHECK(run(p, topo, costs, "analytical").makespan_s == doctest::Approx(alpha + 1'024'000.0 / beta).epsilon(1e-12));
}

struct RingCase {
  Workload w;
  Program p;
  explicit RingCase(std::uint32_t P) : p(make(P)) {}
  Program make(std::uint32_t P) {
    w.seq_lens = {1024};
    w.heads = 4;
    w.kv_heads = 4;
    w.head_dim = 64;
    w.causal = false;
    w.pass = Pass::kForward;
    return lower_attention(*find_strategy("ring"), w, StrategyOptions{P});
  }
  // Bytes of one K,V block: 2 x C rows x Hkv x D x 2 bytes.
  double kv_bytes(std::uint32_t P) const { return 2.0 * (1024 / P) * 4 * 64 * 2; }
};

TEST_CASE("a compute-bound ring takes P x the block time") {
  // Every step's KV transfer hides behind the previous step's block; step 0 is
  // the local block, so nothing waits: makespan = P x T_block (merges free).
  const std::uint32_t P = 4;
  const RingCase rc(P);
  const Topology topo = star(P, 100e9, 1e-6);
  const double block = 1e-3;  // far longer than a 64 KiB transfer at ~80 GB/s
  const FakeCosts costs(rc.p, {{OpKind::kAttnFwd, block}});
  for (const char* net : {"analytical", "flow"}) {
    CAPTURE(net);
    CHECK(run(rc.p, topo, costs, net).makespan_s == doctest::Approx(P * block).epsilon(1e-12));
  }
}

TEST_CASE("a comm-bound ring takes (P-1) transfers + the last block") {
  // Each step forwards the block received in the previous one, so the P-1
  // transfers are serial; the last block computes after the last arrives:
  // makespan = (P-1)(alpha + bytes/beta) + T_block.
  const std::uint32_t P = 4;
  const RingCase rc(P);
  const Topology topo = star(P, 1e9, 1e-6);  // a slow link makes transfers dominate
  const LinkModel links;
  const double alpha = links.params(LinkKind::kNvlink).p2p_overhead_s + 2e-6;
  const double beta = 1e9 * links.params(LinkKind::kNvlink).p2p_efficiency;
  const double transfer = alpha + rc.kv_bytes(P) / beta;
  const double block = 1e-6;
  const FakeCosts costs(rc.p, {{OpKind::kAttnFwd, block}});
  for (const char* net : {"analytical", "flow"}) {
    CAPTURE(net);
    CHECK(run(rc.p, topo, costs, net).makespan_s == doctest::Approx((P - 1) * transfer + block).epsilon(1e-9));
  }
}

TEST_CASE("a compute-bound ring backward exposes at most one dK,dV hop (regression: the serial accumulator chain)") {
  // Non-causal ring, fwd+bwd, P = 4, every attention block (forward or
  // backward) T = 1 ms; everything else free. A K,V block is 256 rows x 4
  // heads x 64 x 2 B = 128 KiB per tensor, a transfer microseconds long.
  // Forward: P x T (compute-bound ring). Backward, ring-flash-attn form:
  // each step's kernel waits for its K,V only; the add into the incoming
  // accumulator waits for the accumulator, which travelled during the
  // kernel; only the final hop to the owner follows the last add:
  //   makespan = 2 P T + (alpha + dKV_fp32 / beta).
  // Before the fix every kernel waited for the accumulator it added into,
  // putting all P hops on the critical path.
  // TransformerEngine form: the owner's accumulator arrives during its last
  // (diagonal) block, so nothing is exposed: makespan = 2 P T.
  const std::uint32_t P = 4;
  Workload w;
  w.seq_lens = {1024};
  w.heads = 4;
  w.kv_heads = 4;
  w.head_dim = 64;
  w.causal = false;
  w.pass = Pass::kForwardBackward;
  const Topology topo = star(P, 100e9, 1e-6);
  const LinkModel links;
  const double alpha = links.params(LinkKind::kNvlink).p2p_overhead_s + 2e-6;  // two hops via the switch
  const double beta = 100e9 * links.params(LinkKind::kNvlink).p2p_efficiency;
  const double dkv_fp32_bytes = 2.0 * (1024 / P) * 4 * 64 * 4;
  const double block = 1e-3;
  for (RingBackward form : {RingBackward::kRingFlashAttn, RingBackward::kTransformerEngine}) {
    CAPTURE(ring_backward_name(form));
    StrategyOptions o{P};
    o.ring_backward = form;
    const Program p = lower_attention(*find_strategy("ring"), w, o);
    const FakeCosts costs(p, {{OpKind::kAttnFwd, block}, {OpKind::kAttnBwd, block}});
    const double expected = form == RingBackward::kRingFlashAttn ? 2 * P * block + alpha + dkv_fp32_bytes / beta
                                                                 : 2 * P * block;
    for (const char* net : {"analytical", "flow"}) {
      CAPTURE(net);
      CHECK(run(p, topo, costs, net).makespan_s == doctest::Approx(expected).epsilon(1e-9));
    }
  }
}

// One collective over all devices of a topology, 1 KiB rows: all-gather of
// `rows` per member (member r's block at rows r·rows), or all-reduce of the
// same `rows` on every member.
Program one_collective(CollectiveKind kind, std::uint32_t n, std::uint32_t rows) {
  ProgramBuilder b(n);
  const StreamId s = b.stream("coll");
  std::vector<RankId> all(n);
  for (RankId r = 0; r < n; ++r) all[r] = r;
  const GroupId g = b.group(all);
  const bool gather = kind == CollectiveKind::kAllGather;
  const LayoutId whole = b.layout(TokenLayout{{0, 0, std::int64_t{rows} * (gather ? n : 1), 1}});
  for (RankId r = 0; r < n; ++r) {
    const LayoutId mine = gather ? b.layout(TokenLayout{{0, std::int64_t{r} * rows, rows, 1}}) : whole;
    const BufferId in = b.token_buffer(r, "in", DType::kBF16, mine, 0, 1, 512);
    b.bind_input(in, Tensor::kQ);
    b.collective(s, {kind}, g, in, b.token_buffer(r, "out", DType::kBF16, whole, 0, 1, 512));
  }
  return std::move(b).finish();
}
Program all_gather(std::uint32_t n, std::uint32_t rows) { return one_collective(CollectiveKind::kAllGather, n, rows); }

TEST_CASE("all-reduce: NVLS on an H100 NVSwitch node, the ring on A100's") {
  // 8 members, B = 65536 rows x 1 KiB. h100-sxm8: NVLink SHARP
  // (costmodel/nvls.h): each GPU's switch link carries B(1 + 1/8) each way
  // at 0.85 of the NVLink collective rate, after NCCL's 25 us:
  //   25 us + 9/8 B / (0.85 beta).
  // a100-sxm8 (no NVLS on Ampere): the ring's 14 (alpha + B / (8 beta)).
  const double B = 65536 * 1024.0;
  const LinkModel links;
  const Program p = one_collective(CollectiveKind::kAllReduce, 8, 65536);
  const FakeCosts costs(p, {});
  auto check_both = [&](const Topology& topo, double expected) {
    for (const char* net : {"analytical", "flow"}) {
      INFO(net);
      CHECK(run(p, topo, costs, net).makespan_s == doctest::Approx(expected).scale(0).epsilon(1e-9));
    }
  };
  const Topology h100 = make_preset_topology("h100-sxm8");
  const AlphaBeta ab_h100 = links.route(h100, 0, 1);
  check_both(h100, 25e-6 + 9.0 / 8 * B / (0.85 * ab_h100.beta_bytes_per_s));
  const Topology a100 = make_preset_topology("a100-sxm8");
  const AlphaBeta ab_a100 = links.route(a100, 0, 1);
  check_both(a100, 14 * (ab_a100.alpha_s + B / (8 * ab_a100.beta_bytes_per_s)));
}

TEST_CASE("all-gather: ring on an NVSwitch node, direct on the HCCS mesh") {
  // 8 members, B = 1000 rows x 1 KiB per member.
  const double B = 1000 * 1024.0;
  const LinkModel links;
  const Program p = all_gather(8, 1000);
  const FakeCosts costs(p, {});
  {
    // h100-sxm8: NCCL rings: (n-1)(alpha + B/beta), alpha/beta of a GPU->switch->GPU route.
    const Topology topo = make_preset_topology("h100-sxm8");
    const AlphaBeta ab = links.route(topo, 0, 1);
    const double ring = 7 * (ab.alpha_s + B / ab.beta_bytes_per_s);
    CHECK(collective_seconds(CollectiveKind::kAllGather, CollectiveAlgorithm::kRing, 8, B, ab.alpha_s,
                             ab.beta_bytes_per_s) == doctest::Approx(ring));
    CHECK(run(p, topo, costs, "analytical").makespan_s == doctest::Approx(ring).epsilon(1e-12));
    // Flow model: each ring phase moves B over disjoint links at full beta.
    CHECK(run(p, topo, costs, "flow").makespan_s == doctest::Approx(ring).epsilon(1e-9));
  }
  {
    // ascend910b-8: HCCL Mesh, every pair on its own link at once: alpha + B/beta.
    const Topology topo = make_preset_topology("ascend910b-8");
    const AlphaBeta ab = links.route(topo, 0, 1);
    const double direct = ab.alpha_s + B / ab.beta_bytes_per_s;
    CHECK(run(p, topo, costs, "analytical").makespan_s == doctest::Approx(direct).epsilon(1e-12));
    CHECK(run(p, topo, costs, "flow").makespan_s == doctest::Approx(direct).epsilon(1e-9));
  }
}

TEST_CASE("all-gather across nodes: NCCL's rail rings use every NIC (regression: one NIC pair)") {
  // abci-a100 x 2 nodes: 16 members, 8 per node, 4 NICs per node (one per GPU
  // pair). Rail rings (costmodel/rail_rings.h): 8 rings of B/8; per ring step
  // a member's in-node hop carries 7/8 of its B and each NIC 1/4 of a node's
  // crossing B (two rings leave through it), so the step runs at
  //   beta = 1 / max(7/(8 beta_in), 1/(4 beta_across))
  // and the all-gather takes 15 (alpha + B / beta), alpha the slowest route's.
  // A single ring would cross on one NIC pair: 15 (alpha + B / beta_across).
  const double B = 64 * 1024 * 1024.0;
  const LinkModel links;
  const Program p = all_gather(16, 65536);
  const FakeCosts costs(p, {});
  const Topology topo = make_preset_topology("abci-a100", 2);
  const AlphaBeta in = links.route(topo, 0, 1), across = links.route(topo, 7, 8);
  const double beta = 1 / std::max(7 / (8 * in.beta_bytes_per_s), 1 / (4 * across.beta_bytes_per_s));
  const double alpha = std::max(in.alpha_s, across.alpha_s);
  const double rails = 15 * (alpha + B / beta);
  CHECK(run(p, topo, costs, "analytical").makespan_s == doctest::Approx(rails).epsilon(1e-12));
  // The flow model shares each NIC's PCIe link between the two rings that
  // leave through it, the bottleneck here (PCIe below HDR), and applies
  // PCIe's duplex factor (the link carries both directions at once), which
  // the closed form leaves out: between the two.
  const double flow = run(p, topo, costs, "flow").makespan_s;
  const double duplex = links.params(LinkKind::kPcie).duplex_factor;
  CHECK(duplex < 1);
  CHECK(flow >= rails * (1 - 1e-9));
  CHECK(flow <= rails / duplex * (1 + 1e-9));
  CHECK(flow < 0.5 * 15 * (alpha + B / across.beta_bytes_per_s));  // a single rail: 4x the crossing bytes
}

TEST_CASE("a message between DGX-1 GPUs without NVLink crosses PCIe and QPI") {
  // 0 -> 5 has no NVLink: its route is PCIe, CPU (QPI), PCIe, and the transfer
  // time is alpha + n / beta of that route (the QPI link is the narrowest).
  const Topology topo = make_preset_topology("dgx1-v100");
  ProgramBuilder b(8);
  const StreamId s = b.stream("send"), r = b.stream("recv");
  const LayoutId l = b.layout(TokenLayout{{0, 0, 1000, 1}});
  const BufferId x = b.token_buffer(0, "x", DType::kBF16, l, 0, 1, 512);
  b.bind_input(x, Tensor::kQ);
  b.send(s, x, 5, 0);
  b.recv(r, b.buffer_like(x, 5, "y"), 0, 0);
  const Program p = std::move(b).finish();
  const FakeCosts costs(p, {});
  const LinkModel links;
  bool crosses_cpu = false;
  for (LinkId id : topo.route(0, 5)) crosses_cpu |= topo.link(id).kind == LinkKind::kCpuInterconnect;
  CHECK(crosses_cpu);
  const AlphaBeta ab = links.route(topo, 0, 5);
  const Timeline tl = run(p, topo, costs, "flow");
  CHECK(tl.makespan_s == doctest::Approx(ab.seconds(1'024'000.0)).epsilon(1e-12));
  REQUIRE(tl.bottleneck.size() == 2);
  CHECK(topo.link(tl.bottleneck[0].second).kind == LinkKind::kCpuInterconnect);
}

TEST_CASE("compute slows by the device factor while communication runs on it") {
  // Rank 0 computes a 1 ms block while receiving a long message: the block
  // runs at 1/1.5 speed until the message ends at T_x, then at full speed.
  // With T_x < 1.5 ms: done = T_x / 1.5 of the work; end = T_x + (1 ms - T_x/1.5).
  ProgramBuilder b(2);
  const StreamId c = b.stream("compute"), s = b.stream("send"), r = b.stream("recv");
  const LayoutId l = b.layout(TokenLayout{{0, 0, 64, 1}});
  const BufferId q = b.token_buffer(0, "q", DType::kBF16, l, 0, 1, 64);
  const BufferId o = b.token_buffer(0, "o", DType::kBF16, l, 0, 1, 64);
  const BufferId lse = b.token_buffer(0, "lse", DType::kF32, l, 0, 1, 1);
  const BufferId x = b.token_buffer(1, "x", DType::kBF16, b.layout(TokenLayout{{0, 0, 1000, 1}}), 0, 1, 512);
  b.bind_input(q, Tensor::kQ);
  b.bind_input(x, Tensor::kK);
  b.attn_fwd(c, q, q, q, o, lse, false);
  b.send(s, x, 0, 0);
  b.recv(r, b.buffer_like(x, 0, "y"), 1, 0);
  const Program p = std::move(b).finish();
  const Topology topo = star(2, 1e9, 1e-6);
  const FakeCosts costs(p, {{OpKind::kAttnFwd, 1e-3}}, 1.5);
  const Timeline tl = run(p, topo, costs, "analytical");
  const double tx = tl.at(OpId{2}).end_s;
  REQUIRE(tx < 1.5e-3);
  CHECK(tl.at(OpId{0}).end_s == doctest::Approx(tx + (1e-3 - tx / 1.5)).epsilon(1e-12));
}

TEST_CASE("the same input gives the same timeline, bit for bit") {
  const RingCase rc(8);
  const Topology topo = make_preset_topology("h100-sxm8");
  const FakeCosts costs(rc.p, {{OpKind::kAttnFwd, 2e-5}, {OpKind::kAttnMerge, 1e-6}});
  for (const char* net : {"analytical", "flow"}) {
    const Timeline a = run(rc.p, topo, costs, net), b = run(rc.p, topo, costs, net);
    REQUIRE(a.ops.size() == b.ops.size());
    for (std::size_t i = 0; i < a.ops.size(); ++i) {
      CHECK(a.ops[i].ready_s == b.ops[i].ready_s);
      CHECK(a.ops[i].start_s == b.ops[i].start_s);
      CHECK(a.ops[i].end_s == b.ops[i].end_s);
    }
  }
}

TEST_CASE("bad placement is an input error") {
  const RingCase rc(4);
  const Topology topo = star(2, 1e9, 1e-6);  // 2 devices for 4 ranks
  const FakeCosts costs(rc.p, {});
  const CommMatching m = check_program(rc.p);
  auto net = make_network_model("flow", topo, LinkModel{});
  CHECK_THROWS_AS(simulate(EngineInput{rc.p, m, topo, {}, costs, *net}), InputError);
  CHECK_THROWS_AS(make_network_model("fluid", topo, LinkModel{}), InputError);
}

}  // namespace
}  // namespace spsim
