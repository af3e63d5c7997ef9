// Collective algorithms: closed forms against the formulas quoted in
// ../shared/reference/hardware.md, flow decompositions against the closed
// forms, against program/comm_volume.h's per-rank volumes, and against data
// dependencies (nobody forwards data it does not have yet).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "costmodel/collective.h"
#include "program/comm_volume.h"

namespace spsim {
namespace {

constexpr CollectiveKind kKinds[] = {CollectiveKind::kAllGather, CollectiveKind::kReduceScatter,
                                     CollectiveKind::kAllToAll, CollectiveKind::kAllReduce,
                                     CollectiveKind::kBroadcast};
constexpr CollectiveAlgorithm kAlgorithms[] = {CollectiveAlgorithm::kRing, CollectiveAlgorithm::kDirect,
                                               CollectiveAlgorithm::kHalvingDoubling, CollectiveAlgorithm::kNvls};
constexpr std::uint32_t kSizes[] = {1, 2, 3, 4, 5, 6, 8, 16};

std::vector<double> sent_per_member(const std::vector<FlowPhase>& phases, std::uint32_t n) {
  std::vector<double> sent(n, 0.0);
  for (const auto& ph : phases)
    for (const Flow& f : ph.flows) sent[f.src] += f.bytes;
  return sent;
}
std::vector<double> received_per_member(const std::vector<FlowPhase>& phases, std::uint32_t n) {
  std::vector<double> got(n, 0.0);
  for (const auto& ph : phases)
    for (const Flow& f : ph.flows) got[f.dst] += f.bytes;
  return got;
}

TEST_CASE("closed forms match hardware.md's HCCL and NCCL formulas") {
  // n = 8, B = 1 MB per member, α = 10 µs, β = 10 GB/s.
  const std::uint32_t n = 8;
  const double B = 1e6, a = 10e-6, beta = 1e10, total = n * B;
  // HCCL Ring all-gather: (p−1)α + (p−1)/p·(total)/β = 7·10 µs + 700 µs = 770 µs.
  CHECK(collective_seconds(CollectiveKind::kAllGather, CollectiveAlgorithm::kRing, n, B, a, beta) ==
        doctest::Approx((n - 1) * a + (n - 1.0) / n * total / beta));
  CHECK(collective_seconds(CollectiveKind::kAllGather, CollectiveAlgorithm::kRing, n, B, a, beta) ==
        doctest::Approx(770e-6));
  // HCCL Mesh all-gather: α + (total)/(pβ) = 10 µs + 100 µs = 110 µs.
  CHECK(collective_seconds(CollectiveKind::kAllGather, CollectiveAlgorithm::kDirect, n, B, a, beta) ==
        doctest::Approx(a + total / (n * beta)));
  CHECK(collective_seconds(CollectiveKind::kAllGather, CollectiveAlgorithm::kDirect, n, B, a, beta) ==
        doctest::Approx(110e-6));
  // NCCL ring all-reduce: 2(n−1) steps; busbw = algbw · 2(n−1)/n with algbw = B/t:
  // t = 2(n−1)α + 2(n−1)/n·B/β = 140 µs + 175 µs = 315 µs.
  CHECK(collective_seconds(CollectiveKind::kAllReduce, CollectiveAlgorithm::kRing, n, B, a, beta) ==
        doctest::Approx(315e-6));
  // Direct (mesh) all-reduce: reduce-scatter + all-gather: 2(α + B/(nβ)) = 45 µs.
  CHECK(collective_seconds(CollectiveKind::kAllReduce, CollectiveAlgorithm::kDirect, n, B, a, beta) ==
        doctest::Approx(45e-6));
  // Rabenseifner: 2·log2(n)·α + 2(n−1)/n·B/β = 60 µs + 175 µs = 235 µs.
  CHECK(collective_seconds(CollectiveKind::kAllReduce, CollectiveAlgorithm::kHalvingDoubling, n, B, a, beta) ==
        doctest::Approx(235e-6));
  // Ring vs direct: the mesh saves (n−2)α and (n−2)·B/β on an all-gather.
  CHECK(collective_seconds(CollectiveKind::kAllGather, CollectiveAlgorithm::kRing, n, B, a, beta) -
            collective_seconds(CollectiveKind::kAllGather, CollectiveAlgorithm::kDirect, n, B, a, beta) ==
        doctest::Approx((n - 2) * (a + B / beta)));
  // One member: nothing to do.
  CHECK(collective_seconds(CollectiveKind::kAllReduce, CollectiveAlgorithm::kRing, 1, B, a, beta) == 0);
}

TEST_CASE("every closed form is the sum over its flow phases of α + largest flow / β") {
  const double B = 3e6, a = 5e-6, beta = 2e10;
  for (CollectiveKind kind : kKinds) {
    for (CollectiveAlgorithm alg : kAlgorithms) {
      for (std::uint32_t n : kSizes) {
        for (std::uint32_t root : {0u, n - 1}) {
          INFO(collective_kind_name(kind) << " " << collective_algorithm_name(alg) << " n=" << n << " root=" << root);
          const auto phases = collective_flows(kind, alg, n, B, root);
          double t = 0;
          for (const auto& ph : phases) {
            double largest = 0;
            for (const Flow& f : ph.flows) largest = std::max(largest, f.bytes);
            t += a + largest / beta;
          }
          CHECK(collective_seconds(kind, alg, n, B, a, beta) == doctest::Approx(t).epsilon(1e-12));
          for (const auto& ph : phases) {
            CHECK(!ph.flows.empty());
            for (const Flow& f : ph.flows) {
              CHECK(f.src < n);
              CHECK(f.dst < n);
              CHECK(f.src != f.dst);
            }
          }
        }
      }
    }
  }
}

TEST_CASE("ring all-gather: n−1 phases of neighbour flows, (n−1)/n of the output per member") {
  const std::uint32_t n = 8;
  const double B = 1e6;  // output n·B
  const auto phases = collective_flows(CollectiveKind::kAllGather, CollectiveAlgorithm::kRing, n, B);
  CHECK(phases.size() == n - 1);
  for (const auto& ph : phases) {
    CHECK(ph.flows.size() == n);
    for (const Flow& f : ph.flows) CHECK(f.dst == (f.src + 1) % n);
  }
  for (double s : sent_per_member(phases, n)) CHECK(s == doctest::Approx((n - 1.0) / n * (n * B)));
  for (double r : received_per_member(phases, n)) CHECK(r == doctest::Approx((n - 1) * B));
}

// Program with one collective of `kind` over ranks 0..n-1, input [4n, 1, 16] f32.
Program one_collective(CollectiveKind kind, std::uint32_t n, std::uint32_t root) {
  ProgramBuilder b(n);
  const StreamId s = b.stream("coll");
  std::vector<RankId> ranks(n);
  for (std::uint32_t r = 0; r < n; ++r) ranks[r] = r;
  const GroupId g = b.group(ranks);
  const std::uint32_t rows = 4 * n;
  const std::uint32_t out_rows = kind == CollectiveKind::kAllGather       ? rows * n
                                 : kind == CollectiveKind::kReduceScatter ? rows / n
                                                                          : rows;
  CollectiveSpec spec;
  spec.kind = kind;
  spec.root = root;
  for (std::uint32_t r = 0; r < n; ++r) {
    const BufferId in = b.matrix_buffer(r, "in", DType::kF32, rows, 0, 1, 16);
    const BufferId out = b.matrix_buffer(r, "out", DType::kF32, out_rows, 0, 1, 16);
    b.collective(s, spec, g, in, out);
  }
  return std::move(b).finish();
}

TEST_CASE("ring and direct flows send exactly comm_volume.h's bytes per member; NVLS its own") {
  for (CollectiveKind kind : {CollectiveKind::kAllGather, CollectiveKind::kReduceScatter,
                              CollectiveKind::kAllToAll, CollectiveKind::kAllReduce}) {
    for (CollectiveAlgorithm alg : kAlgorithms) {
      // Halving-doubling's all-to-all (Bruck) trades volume for steps; skip it.
      if (alg == CollectiveAlgorithm::kHalvingDoubling && kind == CollectiveKind::kAllToAll) continue;
      for (std::uint32_t n : {2u, 3u, 4u, 5u, 8u}) {
        INFO(collective_kind_name(kind) << " " << collective_algorithm_name(alg) << " n=" << n);
        const Program p = one_collective(kind, n, 0);
        const std::vector<double> expect = bytes_sent_per_rank(p);
        const double B = 4.0 * n * 16 * 4;  // input bytes of one member
        const auto sent = sent_per_member(collective_flows(kind, alg, n, B), n);
        // NVLS all-reduce: the switch reduces, so a GPU sends B(1 + 1/n) on
        // its switch link (nvls.h), not the ring's 2(n−1)/n·B.
        const bool nvls = alg == CollectiveAlgorithm::kNvls && kind == CollectiveKind::kAllReduce;
        for (std::uint32_t r = 0; r < n; ++r)
          CHECK(sent[r] == doctest::Approx(nvls ? B * (1 + 1.0 / n) : expect[r]).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("data dependencies: nobody forwards what it has not received") {
  // A flow can carry at most what its sender holds when the phase starts
  // (copies to several peers are fine: data is replicated, not consumed).
  const double B = 1e6;
  for (CollectiveAlgorithm alg : kAlgorithms) {
    for (std::uint32_t n : kSizes) {
      // Broadcast: a non-root member holds what it received in earlier phases;
      // every non-root ends with B.
      for (std::uint32_t root : {0u, n / 2}) {
        INFO("broadcast " << collective_algorithm_name(alg) << " n=" << n << " root=" << root);
        const auto phases = collective_flows(CollectiveKind::kBroadcast, alg, n, B, root);
        std::vector<double> sent(n, 0.0), got(n, 0.0);
        for (const auto& ph : phases) {
          const std::vector<double> held = got;
          for (const Flow& f : ph.flows) {
            if (f.src != root) CHECK(f.bytes <= held[f.src] * (1 + 1e-12));
            sent[f.src] += f.bytes;
            got[f.dst] += f.bytes;
          }
          // The ring's chain passes each chunk on once: cumulative sends never
          // run ahead of cumulative receipts.
          if (alg == CollectiveAlgorithm::kRing)
            for (std::uint32_t m = 0; m < n; ++m)
              if (m != root) CHECK(sent[m] <= held[m] * (1 + 1e-12));
        }
        for (std::uint32_t m = 0; m < n; ++m) CHECK(got[m] == doctest::Approx(m == root ? 0.0 : B));
      }
      // All-gather: a member holds its own block plus what it received; every
      // member ends with the n−1 other blocks.
      INFO("all_gather " << collective_algorithm_name(alg) << " n=" << n);
      const auto phases = collective_flows(CollectiveKind::kAllGather, alg, n, B);
      std::vector<double> got(n, 0.0);
      for (const auto& ph : phases) {
        const std::vector<double> held = got;
        for (const Flow& f : ph.flows) {
          CHECK(f.bytes <= (B + held[f.src]) * (1 + 1e-12));
          got[f.dst] += f.bytes;
        }
      }
      for (std::uint32_t m = 0; m < n; ++m) CHECK(got[m] == doctest::Approx((n - 1) * B));
    }
  }
}

TEST_CASE("halving-doubling: log2 n phases; non-powers of two run as the ring") {
  for (std::uint32_t n : {2u, 4u, 8u, 16u, 64u}) {
    const auto k = static_cast<std::size_t>(std::log2(n));
    INFO("n=" << n);
    for (CollectiveKind kind : kKinds) {
      const auto phases = collective_flows(kind, CollectiveAlgorithm::kHalvingDoubling, n, 1e6);
      CHECK(phases.size() == (kind == CollectiveKind::kAllReduce ? 2 * k : k));
    }
    // Recursive doubling partners: i xor 2^j in phase j.
    const auto ag = collective_flows(CollectiveKind::kAllGather, CollectiveAlgorithm::kHalvingDoubling, n, 1e6);
    for (std::size_t j = 0; j < ag.size(); ++j)
      for (const Flow& f : ag[j].flows) CHECK(f.dst == (f.src ^ (1u << j)));
  }
  for (CollectiveKind kind : kKinds) {
    const auto hd = collective_flows(kind, CollectiveAlgorithm::kHalvingDoubling, 6, 1e6, 2);
    const auto ring = collective_flows(kind, CollectiveAlgorithm::kRing, 6, 1e6, 2);
    REQUIRE(hd.size() == ring.size());
    for (std::size_t p = 0; p < hd.size(); ++p) CHECK(hd[p].flows == ring[p].flows);
    CHECK(collective_seconds(kind, CollectiveAlgorithm::kHalvingDoubling, 6, 1e6, 1e-5, 1e10) ==
          collective_seconds(kind, CollectiveAlgorithm::kRing, 6, 1e6, 1e-5, 1e10));
  }
  CHECK(effective_collective_algorithm(CollectiveAlgorithm::kHalvingDoubling, 6) == CollectiveAlgorithm::kRing);
  CHECK(effective_collective_algorithm(CollectiveAlgorithm::kHalvingDoubling, 8) ==
        CollectiveAlgorithm::kHalvingDoubling);
}

TEST_CASE("direct: one phase of all pairs (two for all-reduce)") {
  const std::uint32_t n = 5;
  const auto ag = collective_flows(CollectiveKind::kAllGather, CollectiveAlgorithm::kDirect, n, 1e6);
  REQUIRE(ag.size() == 1);
  CHECK(ag[0].flows.size() == n * (n - 1));
  CHECK(collective_flows(CollectiveKind::kAllReduce, CollectiveAlgorithm::kDirect, n, 1e6).size() == 2);
  const auto bc = collective_flows(CollectiveKind::kBroadcast, CollectiveAlgorithm::kDirect, n, 1e6, 3);
  REQUIRE(bc.size() == 1);
  for (const Flow& f : bc[0].flows) CHECK(f.src == 3);
  CHECK(collective_flows(CollectiveKind::kAllReduce, CollectiveAlgorithm::kRing, 1, 1e6).empty());
}

TEST_CASE("algorithm names round-trip") {
  for (CollectiveAlgorithm a : kAlgorithms) CHECK(parse_collective_algorithm(collective_algorithm_name(a)) == a);
  CHECK(!parse_collective_algorithm("tree"));
}

}  // namespace
}  // namespace spsim
