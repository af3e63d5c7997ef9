#include "costmodel/collective_flows.h"

#include <algorithm>
#include <bit>
#include <cassert>

namespace spsim {
namespace {

using Phases = std::vector<FlowPhase>;

// `count` phases where every member i sends `bytes` to i + shift(phase) mod n.
void shifted_phases(Phases& out, std::uint32_t n, std::uint32_t count, double bytes,
                    std::uint32_t (*shift)(std::uint32_t phase)) {
  for (std::uint32_t p = 0; p < count; ++p) {
    FlowPhase ph;
    ph.flows.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) ph.flows.push_back({i, (i + shift(p)) % n, bytes});
    out.push_back(std::move(ph));
  }
}

void all_pairs_phase(Phases& out, std::uint32_t n, double bytes) {
  FlowPhase ph;
  ph.flows.reserve(std::size_t{n} * (n - 1));
  for (std::uint32_t i = 0; i < n; ++i)
    for (std::uint32_t j = 0; j < n; ++j)
      if (i != j) ph.flows.push_back({i, j, bytes});
  out.push_back(std::move(ph));
}

// One phase where every member i sends `bytes` to i xor mask.
FlowPhase xor_phase(std::uint32_t n, std::uint32_t mask, double bytes) {
  FlowPhase ph;
  ph.flows.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) ph.flows.push_back({i, i ^ mask, bytes});
  return ph;
}

std::uint32_t next_member(std::uint32_t) { return 1; }
std::uint32_t kth_member(std::uint32_t p) { return p + 1; }

void ring_flows(Phases& out, CollectiveKind kind, std::uint32_t n, double B, std::uint32_t root) {
  const double chunk = B / n;
  switch (kind) {
    case CollectiveKind::kAllGather: shifted_phases(out, n, n - 1, B, next_member); return;
    case CollectiveKind::kReduceScatter: shifted_phases(out, n, n - 1, chunk, next_member); return;
    case CollectiveKind::kAllReduce: shifted_phases(out, n, 2 * (n - 1), chunk, next_member); return;
    case CollectiveKind::kAllToAll: shifted_phases(out, n, n - 1, chunk, kth_member); return;
    case CollectiveKind::kBroadcast:
      // Chain position j (member root + j) sends chunk p − j in phase p.
      for (std::uint32_t p = 0; p < 2 * (n - 1); ++p) {
        FlowPhase ph;
        for (std::uint32_t j = 0; j + 1 < n; ++j) {
          if (p < j || p - j >= n) continue;
          ph.flows.push_back({(root + j) % n, (root + j + 1) % n, chunk});
        }
        std::sort(ph.flows.begin(), ph.flows.end(),
                  [](const Flow& a, const Flow& b) { return a.src < b.src; });
        out.push_back(std::move(ph));
      }
      return;
  }
}

void direct_flows(Phases& out, CollectiveKind kind, std::uint32_t n, double B, std::uint32_t root) {
  switch (kind) {
    case CollectiveKind::kAllGather: all_pairs_phase(out, n, B); return;
    case CollectiveKind::kReduceScatter:
    case CollectiveKind::kAllToAll: all_pairs_phase(out, n, B / n); return;
    case CollectiveKind::kAllReduce:
      all_pairs_phase(out, n, B / n);
      all_pairs_phase(out, n, B / n);
      return;
    case CollectiveKind::kBroadcast: {
      FlowPhase ph;
      for (std::uint32_t j = 0; j < n; ++j)
        if (j != root) ph.flows.push_back({root, j, B});
      out.push_back(std::move(ph));
      return;
    }
  }
}

void halving_doubling_flows(Phases& out, CollectiveKind kind, std::uint32_t n, double B,
                            std::uint32_t root) {
  const auto k = static_cast<std::uint32_t>(std::countr_zero(n));
  switch (kind) {
    case CollectiveKind::kAllGather:
      for (std::uint32_t j = 0; j < k; ++j) out.push_back(xor_phase(n, 1u << j, B * (1u << j)));
      return;
    case CollectiveKind::kReduceScatter:
      for (std::uint32_t j = 0; j < k; ++j) out.push_back(xor_phase(n, n >> (j + 1), B / (2u << j)));
      return;
    case CollectiveKind::kAllReduce:
      for (std::uint32_t j = 0; j < k; ++j) out.push_back(xor_phase(n, n >> (j + 1), B / (2u << j)));
      for (std::uint32_t j = 0; j < k; ++j) out.push_back(xor_phase(n, 1u << j, B / n * (1u << j)));
      return;
    case CollectiveKind::kAllToAll:
      for (std::uint32_t j = 0; j < k; ++j) {
        FlowPhase ph;
        for (std::uint32_t i = 0; i < n; ++i) ph.flows.push_back({i, (i + (1u << j)) % n, B / 2});
        out.push_back(std::move(ph));
      }
      return;
    case CollectiveKind::kBroadcast:
      for (std::uint32_t j = 0; j < k; ++j) {
        FlowPhase ph;
        for (std::uint32_t r = 0; r < (1u << j); ++r)
          ph.flows.push_back({(root + r) % n, (root + r + (1u << j)) % n, B});
        std::sort(ph.flows.begin(), ph.flows.end(),
                  [](const Flow& a, const Flow& b) { return a.src < b.src; });
        out.push_back(std::move(ph));
      }
      return;
  }
}

}  // namespace

std::vector<FlowPhase> collective_flows(CollectiveKind kind, CollectiveAlgorithm algorithm, std::uint32_t n,
                                        double bytes_per_member, std::uint32_t root) {
  assert(n >= 1 && root < n && bytes_per_member >= 0 && "collective_flows: bad arguments");
  Phases out;
  if (n == 1) return out;
  switch (effective_collective_algorithm(algorithm, n)) {
    case CollectiveAlgorithm::kRing: ring_flows(out, kind, n, bytes_per_member, root); break;
    case CollectiveAlgorithm::kDirect: direct_flows(out, kind, n, bytes_per_member, root); break;
    case CollectiveAlgorithm::kHalvingDoubling:
      halving_doubling_flows(out, kind, n, bytes_per_member, root);
      break;
    case CollectiveAlgorithm::kNvls:
      if (kind == CollectiveKind::kAllReduce) {
        shifted_phases(out, n, 1, bytes_per_member * (1 + 1.0 / n), next_member);
      } else {
        ring_flows(out, kind, n, bytes_per_member, root);
      }
      break;
  }
  return out;
}

}  // namespace spsim
