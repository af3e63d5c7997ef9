#include "program/op_kind.h"

#include <cassert>
#include <cmath>

namespace spsim {
namespace {

constexpr Access R = Access::kRead, W = Access::kWrite, U = Access::kUpdate;

constexpr OperandSpec kAttnFwdOps[] = {{"q", R}, {"k", R}, {"v", R}, {"out", W}, {"lse", W}};
constexpr OperandSpec kAttnMergeOps[] = {
    {"out", U}, {"lse", U}, {"part_out", R}, {"part_lse", R}};
constexpr OperandSpec kAttnBwdPrepOps[] = {{"out", R}, {"dout", R}, {"delta", W}};
constexpr OperandSpec kAttnBwdOps[] = {{"q", R},     {"k", R},  {"v", R},
                                       {"dout", R},  {"lse", R}, {"delta", R},
                                       {"dq", U},    {"dk", U}, {"dv", U}};
// Scores/probs buffers are written column block by column block: kUpdate
// (earlier columns stay live).
constexpr OperandSpec kRsaScoresOps[] = {{"q", R}, {"k", R}, {"scores", U}};
constexpr OperandSpec kRsaSoftmaxOps[] = {{"scores", R}, {"probs", W}};
constexpr OperandSpec kRsaProbsVOps[] = {{"probs", R}, {"v", R}, {"out", U}};
constexpr OperandSpec kRsaDProbsOps[] = {{"dout", R}, {"v", R}, {"dprobs", U}};
constexpr OperandSpec kRsaSoftmaxBwdOps[] = {{"probs", R}, {"dprobs", R}, {"dscores", W}};
constexpr OperandSpec kRsaDQOps[] = {{"dscores", R}, {"k", R}, {"dq", U}};
constexpr OperandSpec kRsaDKFullOps[] = {{"dscores", R}, {"q", R}, {"dk_full", U}};
constexpr OperandSpec kRsaDVFullOps[] = {{"probs", R}, {"dout", R}, {"dv_full", U}};
constexpr OperandSpec kCopyOps[] = {{"src", R}, {"dst", W}};
constexpr OperandSpec kAccumulateOps[] = {{"src", R}, {"dst", U}};
constexpr OperandSpec kSendOps[] = {{"buf", R}};
constexpr OperandSpec kRecvOps[] = {{"buf", W}};
constexpr OperandSpec kCollectiveOps[] = {{"in", R}, {"out", W}};
constexpr OperandSpec kDenseOps[] = {{"in", R}, {"out", W}};
constexpr OperandSpec kDenseBwdOps[] = {{"in", R}, {"dout", R}, {"din", W}};
constexpr OperandSpec kLinStateOps[] = {{"k", R}, {"v", R}, {"state", U}};
constexpr OperandSpec kLinIntraOps[] = {{"q", R}, {"k", R}, {"v", R}, {"out", U}};
constexpr OperandSpec kLinInterOps[] = {{"q", R}, {"state", R}, {"out", U}};
constexpr OperandSpec kLinStateSumOps[] = {{"gathered", R}, {"out", W}};
constexpr OperandSpec kLinIntraBwdOps[] = {{"q", R},  {"k", R},  {"v", R}, {"dout", R},
                                           {"dq", U}, {"dk", U}, {"dv", U}};
constexpr OperandSpec kLinInterBwdOps[] = {{"dout", R}, {"state", R}, {"dq", U}};
constexpr OperandSpec kLinDStateOps[] = {{"q", R}, {"dout", R}, {"dstate", U}};
constexpr OperandSpec kLinStateBwdOps[] = {{"k", R}, {"v", R}, {"dstate", R}, {"dk", U}, {"dv", U}};

constexpr OpCategory C = OpCategory::kCompute, M = OpCategory::kMemory, X = OpCategory::kComm;

const std::array<OpKindInfo, kNumOpKinds> kInfo = {{
    {"attn_fwd", C, kAttnFwdOps},
    {"attn_merge", M, kAttnMergeOps},
    {"attn_bwd_prep", M, kAttnBwdPrepOps},
    {"attn_bwd", C, kAttnBwdOps},
    {"rsa_scores", C, kRsaScoresOps},
    {"rsa_softmax", M, kRsaSoftmaxOps},
    {"rsa_probs_v", C, kRsaProbsVOps},
    {"rsa_dprobs", C, kRsaDProbsOps},
    {"rsa_softmax_bwd", M, kRsaSoftmaxBwdOps},
    {"rsa_dq", C, kRsaDQOps},
    {"rsa_dk_full", C, kRsaDKFullOps},
    {"rsa_dv_full", C, kRsaDVFullOps},
    {"copy", M, kCopyOps},
    {"accumulate", M, kAccumulateOps},
    {"send", X, kSendOps, true},
    {"recv", X, kRecvOps, true},
    {"collective", X, kCollectiveOps},
    {"lin_state", C, kLinStateOps},
    {"lin_intra", C, kLinIntraOps},
    {"lin_inter", C, kLinInterOps},
    {"lin_state_sum", M, kLinStateSumOps},
    {"lin_intra_bwd", C, kLinIntraBwdOps},
    {"lin_inter_bwd", C, kLinInterBwdOps},
    {"lin_dstate", C, kLinDStateOps},
    {"lin_state_bwd", C, kLinStateBwdOps},
    {"dense", C, kDenseOps},
    {"dense_bwd", C, kDenseBwdOps},
}};

}  // namespace

const OpKindInfo& op_kind_info(OpKind kind) {
  const auto i = static_cast<std::size_t>(kind);
  assert(i < kNumOpKinds && "op_kind_info: invalid OpKind");
  return kInfo[i];
}

double dense_weight(std::uint32_t seed, std::uint64_t i, std::uint64_t j, std::uint64_t in_features) {
  // splitmix64 of (seed, i, j): a fixed, platform-independent pseudo-random value.
  std::uint64_t z = (std::uint64_t{seed} << 40) ^ (i * 0x9E3779B97F4A7C15ull) ^ (j * 0xC2B2AE3D27D4EB4Full);
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  const double u = static_cast<double>(z >> 11) * 0x1.0p-52 - 1.0;  // [-1, 1)
  return u / std::sqrt(static_cast<double>(in_features));
}

Access operand_access(OpKind kind, std::size_t i) {
  const OpKindInfo& info = op_kind_info(kind);
  assert(!info.operands.empty());
  if (i >= info.operands.size()) {
    assert(info.variadic && "operand_access: operand index out of range");
    return info.operands.back().access;
  }
  return info.operands[i].access;
}

std::uint32_t CollectiveSpec::encode() const {
  assert(root < (1u << 24) && "CollectiveSpec: root member index too large");
  return static_cast<std::uint32_t>(kind) | static_cast<std::uint32_t>(axis) << 4 |
         static_cast<std::uint32_t>(split) << 6 | root << 8;
}

CollectiveSpec CollectiveSpec::decode(std::uint32_t bits) {
  CollectiveSpec s;
  s.kind = static_cast<CollectiveKind>(bits & 0xf);
  s.axis = static_cast<Axis>((bits >> 4) & 0x3);
  s.split = static_cast<Axis>((bits >> 6) & 0x3);
  s.root = bits >> 8;
  return s;
}

std::string_view collective_kind_name(CollectiveKind kind) {
  switch (kind) {
    case CollectiveKind::kAllGather: return "all_gather";
    case CollectiveKind::kReduceScatter: return "reduce_scatter";
    case CollectiveKind::kAllToAll: return "all_to_all";
    case CollectiveKind::kAllReduce: return "all_reduce";
    case CollectiveKind::kBroadcast: return "broadcast";
  }
  return "?";
}

std::string_view state_range_name(StateRange range) {
  switch (range) {
    case StateRange::kBefore: return "before";
    case StateRange::kAfter: return "after";
    case StateRange::kOthers: return "others";
    case StateRange::kAll: return "all";
  }
  return "?";
}

bool state_range_selects(StateRange range, std::uint32_t m, std::uint32_t j) {
  switch (range) {
    case StateRange::kBefore: return j < m;
    case StateRange::kAfter: return j > m;
    case StateRange::kOthers: return j != m;
    case StateRange::kAll: return true;
  }
  return false;
}

}  // namespace spsim
