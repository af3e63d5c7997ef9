#include "traces/kineto.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <nlohmann/json.hpp>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "program/input_error.h"
#include "program/input_json.h"

namespace spsim {
namespace {

using json = nlohmann::json;

bool has(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// "conv" as in convolution, conv2d, "4conv6kernel" (mangled), not "convert"
// (flash_bwd_convert_dq, type conversions).
bool mentions_convolution(std::string_view lower) {
  for (auto at = lower.find("conv"); at != std::string_view::npos; at = lower.find("conv", at + 1))
    if (at + 4 >= lower.size() || lower[at + 4] != 'e') return true;
  return false;
}

// ---------------------------------------------------------------- kernel names

struct CommOp {
  KernelClass kind;
  std::optional<CollectiveKind> collective;
};

// The operation of an NCCL kernel, from the token after the prefix:
// "ncclKernel_AllReduce_RING_LL_Sum_float(...)" (NCCL <= 2.18),
// "ncclDevKernel_AllGather_RING_LL(...)" (>= 2.19, no dtype),
// "ncclDevKernel_SendRecv(...)" (send, recv and alltoall, which PyTorch
// issues as grouped sends and receives). nullopt for another token
// ("ncclDevKernel_Generic") or no prefix.
std::optional<CommOp> nccl_kernel_op(std::string_view name) {
  static constexpr std::pair<std::string_view, CommOp> kTokens[] = {
      {"AllReduce", {KernelClass::kCollective, CollectiveKind::kAllReduce}},
      {"AllGather", {KernelClass::kCollective, CollectiveKind::kAllGather}},
      {"ReduceScatter", {KernelClass::kCollective, CollectiveKind::kReduceScatter}},
      {"Broadcast", {KernelClass::kCollective, CollectiveKind::kBroadcast}},
      {"Reduce", {KernelClass::kCollective, std::nullopt}},  // no CollectiveKind in spsim
      {"AllToAll", {KernelClass::kCollective, CollectiveKind::kAllToAll}},
      {"SendRecv", {KernelClass::kPointToPoint, std::nullopt}},
      {"Send", {KernelClass::kPointToPoint, std::nullopt}},
      {"Recv", {KernelClass::kPointToPoint, std::nullopt}},
  };
  for (std::string_view prefix : {"ncclKernel_", "ncclDevKernel_"}) {
    const auto at = name.find(prefix);
    if (at == std::string_view::npos) continue;
    std::string_view token = name.substr(at + prefix.size());
    token = token.substr(0, token.find_first_of("_(<"));
    for (const auto& [t, op] : kTokens)
      if (token == t) return op;
  }
  return std::nullopt;
}

// The operation a collective name says: PyTorch's "Collective name"
// ("allreduce", "_allgather_base", "all_to_all", "reduce_scatter_tensor_coalesced",
// "send", ...) or a communication kernel's name ("one_shot_all_reduce").
// Compared with '_' removed and in lower case.
std::optional<CommOp> named_comm_op(std::string_view name) {
  std::string n;
  for (char c : lowercase(name))
    if (c != '_') n += c;
  static constexpr std::pair<std::string_view, CollectiveKind> kContained[] = {
      {"alltoall", CollectiveKind::kAllToAll},       {"allreduce", CollectiveKind::kAllReduce},
      {"allgather", CollectiveKind::kAllGather},     {"reducescatter", CollectiveKind::kReduceScatter},
      {"broadcast", CollectiveKind::kBroadcast},
  };
  for (const auto& [part, kind] : kContained)
    if (has(n, part)) return CommOp{KernelClass::kCollective, kind};
  if (n == "send" || n == "recv" || n == "sendrecv") return CommOp{KernelClass::kPointToPoint, std::nullopt};
  if (n == "reduce" || n == "gather" || n == "scatter" || n == "barrier")
    return CommOp{KernelClass::kCollective, std::nullopt};
  return std::nullopt;
}

// The classification rules, first match wins; each matches the lower-cased
// kernel name. The order matters: communication before everything (a
// communication kernel is never compute), attention before the convolution
// rule (cuDNN's fused attention is "..._sdpa_..._fprop_..."), the convolution
// rule before GEMM (cuDNN's implicit-GEMM convolutions contain "gemm").
struct NameRule {
  KernelClass kind;
  bool (*matches)(std::string_view lower);
};
constexpr NameRule kNameRules[] = {
    // NCCL, every version: ncclKernel_* (<= 2.18), ncclDevKernel_* (>= 2.19);
    // refined by nccl_kernel_op below.
    {KernelClass::kCollective, [](std::string_view n) { return has(n, "nccl"); }},
    // Communication without NCCL: PyTorch symmetric memory (one_shot_all_reduce,
    // two_shot_all_reduce, multimem_all_reduce / all_gather, reduce_scatter,
    // all_to_all_vdev), vLLM's custom all-reduce (cross_device_reduce_*),
    // TensorRT-LLM's oneShotAllReduceKernel.
    {KernelClass::kCommunication,
     [](std::string_view n) {
       for (std::string_view p : {"all_reduce", "allreduce", "all_gather", "allgather", "reduce_scatter",
                                  "reducescatter", "all_to_all", "alltoall", "multimem", "two_shot",
                                  "cross_device_reduce"})
         if (has(n, p)) return true;
       return false;
     }},
    // Attention backward: FlashAttention-2 (flash::flash_bwd_*, PyTorch's
    // pytorch_flash::flash_bwd_*, helpers flash_bwd_dot_do_o_kernel and
    // flash_bwd_convert_dq_kernel), FlashAttention-3 (FlashAttnBwdSm90 and its
    // pre/post-processing), xFormers / PyTorch mem-efficient (fmha_cutlassB,
    // efficient_attention_backward), CK (fmha_bwd), cuDNN
    // (cudnn_generated_fort_native_sdpa_*_bprop_*).
    {KernelClass::kAttentionBwd,
     [](std::string_view n) {
       return has(n, "flash_bwd") || has(n, "flashattnbwd") || has(n, "fmha_cutlassb") ||
              has(n, "efficient_attention_backward") || has(n, "fmha_bwd") || has(n, "fmhabwd") ||
              (has(n, "sdpa") && (has(n, "bprop") || has(n, "bwd")));
     }},
    // Attention forward, the same families (flash_fwd_kernel,
    // flash_fwd_splitkv_*, FlashAttnFwdSm90, fmha_cutlassF, sdpa fprop).
    {KernelClass::kAttentionFwd,
     [](std::string_view n) {
       return has(n, "flash_fwd") || has(n, "flashattnfwd") || has(n, "fmha_cutlassf") ||
              has(n, "efficient_attention_forward") || has(n, "fmha_fwd") || has(n, "fmhafwd") ||
              (has(n, "sdpa") && (has(n, "fprop") || has(n, "fwd")));
     }},
    // Convolutions, also those built from GEMMs: sm80_xmma_fprop_implicit_gemm_*,
    // *_dgrad_* / *_wgrad_*, cutlass_tensorop_s1688fprop_*, ImplicitGemmConvolution.
    {KernelClass::kOther,
     [](std::string_view n) {
       return mentions_convolution(n) || has(n, "fprop") || has(n, "dgrad") || has(n, "wgrad");
     }},
    // GEMM: cuBLAS (ampere_sgemm_*, sm90_xmma_gemm_*, gemv*, and "nvjet_*" on
    // H100 with CUDA >= 12.6), cuBLASLt (incl. its splitKreduce_kernel),
    // CUTLASS (cutlass_80_tensorop_s1688gemm_*), rocBLAS/hipBLASLt Tensile (Cijk_*).
    {KernelClass::kGemm,
     [](std::string_view n) {
       return has(n, "gemm") || has(n, "gemv") || has(n, "cublaslt") || has(n, "nvjet") || has(n, "cijk_");
     }},
    // Copy kernels: at::native direct_copy_kernel_cuda / bfloat16_copy_kernel_cuda
    // (dtype casts, .contiguous()), CatArrayBatchedCopy (torch.cat), Memcpy kernels.
    {KernelClass::kCopy,
     [](std::string_view n) {
       return has(n, "copy_kernel") || has(n, "catarraybatchedcopy") || has(n, "memcpy");
     }},
};

// ---------------------------------------------------------------- JSON fields

// Where an event is: "<file>: event <index in traceEvents>".
struct At {
  const std::string& file;
  std::size_t event;
  std::string str() const { return file + ": event " + std::to_string(event); }
  [[noreturn]] void fail(std::string_view key, const std::string& expected) const {
    throw InputError(str() + ": key '" + std::string(key) + "'", expected);
  }
};

const json* find(const json& object, const std::string& key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::optional<std::int64_t> as_int64(const json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  return std::nullopt;
}

// The integer at `key` of `object` (nullopt when absent); anything but an
// integer >= min is an InputError.
std::optional<std::int64_t> get_int(const json& object, const std::string& key, const std::string& where,
                                    std::int64_t min = std::numeric_limits<std::int64_t>::min()) {
  const json* v = find(object, key);
  if (v == nullptr) return std::nullopt;
  const auto i = as_int64(*v);
  if (!i || *i < min)
    throw InputError(where + ": key '" + key + "'",
                     min == 0 ? "expected a non-negative integer" : "expected an integer");
  return i;
}

// The number / string at `key` (nullopt when absent); another type is an InputError.
template <typename T>
std::optional<T> get_typed(const json& object, const std::string& key, const std::string& where) {
  const json* v = find(object, key);
  if (v == nullptr) return std::nullopt;
  if (std::is_same_v<T, double> ? !v->is_number() : !v->is_string())
    throw InputError(where + ": key '" + key + "'", std::is_same_v<T, double> ? "expected a number" : "expected a string");
  return v->get<T>();
}
const auto get_number = get_typed<double>;
const auto get_string = get_typed<std::string>;

std::int64_t checked_product(std::int64_t a, std::int64_t b, const std::string& where) {
  std::int64_t p = 0;
  if (__builtin_mul_overflow(a, b, &p)) throw InputError(where + ": key 'Input Dims'", "sizes whose product overflows");
  return p;
}

// ---------------------------------------------------------------- CPU ops

struct CpuOp {
  const std::string* op_name;
  const json* args;  // nullptr when the op has no args
  double ts;
  std::size_t index;  // in traceEvents
  const std::string& name() const { return *op_name; }
};

// The args of a CPU op, read where they are used (only ops a kernel links to).
class OpArgs {
 public:
  OpArgs(const CpuOp& op, const std::string& file) : op_(op), at_{file, op.index} {}

  // The sizes of input i: nullopt when the op records no "Input Dims" or
  // input i is not one tensor ([] for None and scalars; a tensor list is an
  // array of arrays).
  std::optional<std::vector<std::int64_t>> dims(std::size_t i) const {
    const json* all = list("Input Dims");
    if (all == nullptr || i >= all->size()) return std::nullopt;
    const json& d = (*all)[i];
    if (!d.is_array()) at_.fail("Input Dims", "expected an array of sizes per input");
    if (d.empty() || d[0].is_array()) return std::nullopt;
    std::vector<std::int64_t> sizes;
    for (const json& s : d) {
      const auto v = as_int64(s);
      if (!v || *v < 0) at_.fail("Input Dims", "expected non-negative integer sizes");
      sizes.push_back(*v);
    }
    return sizes;
  }
  // Entry i of the string arrays "Input type" and "Concrete Inputs".
  std::optional<std::string> type(std::size_t i) const { return string_entry("Input type", i); }
  std::optional<std::string> concrete(std::size_t i) const { return string_entry("Concrete Inputs", i); }
  const std::string& name() const { return op_.name(); }
  std::string where() const { return at_.str(); }

 private:
  const json* list(const std::string& key) const {
    if (op_.args == nullptr) return nullptr;
    const json* v = find(*op_.args, key);
    if (v != nullptr && !v->is_array()) at_.fail(key, "expected an array");
    return v;
  }
  std::optional<std::string> string_entry(const std::string& key, std::size_t i) const {
    const json* all = list(key);
    if (all == nullptr || i >= all->size()) return std::nullopt;
    if (!(*all)[i].is_string()) at_.fail(key, "expected an array of strings");
    return (*all)[i].get<std::string>();
  }

  const CpuOp& op_;
  At at_;
};

// Tensor dtypes as "Input type" records them (caffe2::TypeMeta names).
std::string dtype_of(const std::optional<std::string>& input_type) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"c10::BFloat16", "bf16"}, {"c10::Half", "fp16"}, {"float", "fp32"}, {"double", "fp64"},
      {"c10::Float8_e4m3fn", "fp8_e4m3"}, {"c10::Float8_e5m2", "fp8_e5m2"},
  };
  if (!input_type) return "";
  for (const auto& [recorded, name] : kNames)
    if (*input_type == recorded) return std::string(name);
  return *input_type;
}

// ------------------------------------------------------------ attention shapes

enum class Layout : std::uint8_t { kBHSD, kBSHD };  // of q, k, v
enum class CausalArg : std::uint8_t { kIsCausal, kMaskType };

// The attention CPU ops and where their arguments are (PyTorch
// native_functions.yaml). scaled_dot_product_attention and the
// _scaled_dot_product_*_attention ops take [B, H, S, D]; the kernels' own
// _flash_attention_* / _efficient_attention_* take [B, S, H, D] (in the H100
// test trace: SDPA [16, 16, 559, 64], _flash_attention_forward [16, 559, 16, 64]).
// custom_mask_type: 0 none, 1 causal from the top left, 2 from the bottom right.
struct AttentionOpRule {
  std::string_view op;
  std::size_t q, k, v;  // input indices
  Layout layout;
  std::size_t causal;   // input index of is_causal / custom_mask_type
  CausalArg causal_arg;
};
constexpr AttentionOpRule kAttentionOps[] = {
    // (q, k, v, attn_mask, dropout_p, is_causal, scale, enable_gqa)
    {"aten::scaled_dot_product_attention", 0, 1, 2, Layout::kBHSD, 5, CausalArg::kIsCausal},
    // (q, k, v, dropout_p, is_causal, return_debug_mask, scale)
    {"aten::_scaled_dot_product_flash_attention", 0, 1, 2, Layout::kBHSD, 4, CausalArg::kIsCausal},
    // (q, k, v, attn_bias, compute_log_sumexp, dropout_p, is_causal, scale)
    {"aten::_scaled_dot_product_efficient_attention", 0, 1, 2, Layout::kBHSD, 6, CausalArg::kIsCausal},
    // (q, k, v, attn_bias, compute_log_sumexp, dropout_p, is_causal, return_debug_mask, scale)
    {"aten::_scaled_dot_product_cudnn_attention", 0, 1, 2, Layout::kBHSD, 6, CausalArg::kIsCausal},
    // (q, k, v, cum_seq_q, cum_seq_k, max_q, max_k, dropout_p, is_causal, ...)
    {"aten::_flash_attention_forward", 0, 1, 2, Layout::kBSHD, 8, CausalArg::kIsCausal},
    // (q, k, v, bias, cu_seqlens_q, cu_seqlens_k, max_seqlen_q, max_seqlen_k, dropout_p, custom_mask_type, ...)
    {"aten::_efficient_attention_forward", 0, 1, 2, Layout::kBSHD, 9, CausalArg::kMaskType},
    // (grad_out, q, k, v, out, logsumexp, cum_seq_q, cum_seq_k, max_q, max_k, dropout_p, is_causal, ...)
    {"aten::_scaled_dot_product_flash_attention_backward", 1, 2, 3, Layout::kBHSD, 11, CausalArg::kIsCausal},
    // (grad_out, q, k, v, attn_bias, out, logsumexp, philox_seed, philox_offset, dropout_p, grad_input_mask, is_causal, ...)
    {"aten::_scaled_dot_product_efficient_attention_backward", 1, 2, 3, Layout::kBHSD, 11, CausalArg::kIsCausal},
    // (grad_out, q, k, v, out, logsumexp, philox_seed, philox_offset, attn_bias, cum_seq_q, cum_seq_k,
    //  max_q, max_k, dropout_p, is_causal, ...)
    {"aten::_scaled_dot_product_cudnn_attention_backward", 1, 2, 3, Layout::kBHSD, 14, CausalArg::kIsCausal},
    // (grad_out, q, k, v, out, logsumexp, cum_seq_q, cum_seq_k, max_q, max_k, dropout_p, is_causal, ...)
    {"aten::_flash_attention_backward", 1, 2, 3, Layout::kBSHD, 11, CausalArg::kIsCausal},
    // (grad_out, q, k, v, bias, out, cu_seqlens_q, cu_seqlens_k, max_seqlen_q, max_seqlen_k, logsumexp,
    //  dropout_p, philox_seed, philox_offset, custom_mask_type, ...)
    {"aten::_efficient_attention_backward", 1, 2, 3, Layout::kBSHD, 14, CausalArg::kMaskType},
};

// nullopt when the op does not record the shapes (or is_causal), or they are
// not those of one padded batch (3-D varlen inputs, mismatched sizes).
std::optional<AttentionShape> attention_shape(const OpArgs& op) {
  const auto rule = std::find_if(std::begin(kAttentionOps), std::end(kAttentionOps),
                                 [&](const AttentionOpRule& r) { return r.op == op.name(); });
  if (rule == std::end(kAttentionOps)) return std::nullopt;
  const auto q = op.dims(rule->q), k = op.dims(rule->k), v = op.dims(rule->v);
  if (!q || !k || !v || q->size() != 4 || k->size() != 4 || v->size() != 4) return std::nullopt;
  const std::size_t h = rule->layout == Layout::kBHSD ? 1 : 2, s = 3 - h;  // index of heads, sequence
  AttentionShape a;
  a.batch = (*q)[0];
  a.heads_q = (*q)[h], a.heads_kv = (*k)[h];
  a.seq_q = (*q)[s], a.seq_k = (*k)[s];
  a.head_dim = (*q)[3], a.head_dim_v = (*v)[3];
  if ((*k)[0] != a.batch || (*v)[0] != a.batch || (*k)[3] != a.head_dim || (*v)[h] != a.heads_kv ||
      (*v)[s] != a.seq_k || a.heads_kv == 0 || a.heads_q % a.heads_kv != 0)
    return std::nullopt;
  // "Concrete Inputs" hold scalars as printed by c10::IValue: "True", "1".
  const auto causal = op.concrete(rule->causal);
  if (!causal) return std::nullopt;
  if (rule->causal_arg == CausalArg::kIsCausal) {
    if (*causal != "True" && *causal != "False") return std::nullopt;
    a.causal = *causal == "True";
  } else {
    if (*causal != "0" && *causal != "1" && *causal != "2") return std::nullopt;
    a.causal = *causal != "0";
  }
  a.dtype = dtype_of(op.type(rule->q));
  return a;
}

// ----------------------------------------------------------------- GEMM shapes

enum class GemmForm : std::uint8_t { kMatmul, kLinear };

// The matrix-multiply CPU ops and their operands (native_functions.yaml).
struct GemmOpRule {
  std::string_view op;
  GemmForm form;
  std::size_t a, b;  // input indices of the two matrices
  std::size_t rank;  // required rank of both (0: any, broadcasting as torch.matmul)
};
constexpr GemmOpRule kGemmOps[] = {
    {"aten::mm", GemmForm::kMatmul, 0, 1, 2},         // (self [M,K], mat2 [K,N])
    {"aten::addmm", GemmForm::kMatmul, 1, 2, 2},      // (bias, mat1 [M,K], mat2 [K,N], beta, alpha)
    {"aten::_scaled_mm", GemmForm::kMatmul, 0, 1, 2}, // (self [M,K], mat2 [K,N], scale_a, scale_b, ...)
    {"aten::bmm", GemmForm::kMatmul, 0, 1, 3},        // (self [B,M,K], mat2 [B,K,N])
    {"aten::baddbmm", GemmForm::kMatmul, 1, 2, 3},    // (bias, batch1 [B,M,K], batch2 [B,K,N], ...)
    {"aten::matmul", GemmForm::kMatmul, 0, 1, 0},     // (a [..., M, K], b [..., K, N]), 1-D allowed
    {"aten::linear", GemmForm::kLinear, 0, 1, 0},     // (input [..., K], weight [N, K], bias)
};

std::optional<GemmShape> gemm_shape(const OpArgs& op) {
  const auto rule = std::find_if(std::begin(kGemmOps), std::end(kGemmOps),
                                 [&](const GemmOpRule& r) { return r.op == op.name(); });
  if (rule == std::end(kGemmOps)) return std::nullopt;
  auto a = op.dims(rule->a), b = op.dims(rule->b);
  if (!a || !b) return std::nullopt;
  if (rule->rank != 0 && (a->size() != rule->rank || b->size() != rule->rank)) return std::nullopt;
  const std::string where = op.where();
  GemmShape g;
  g.dtype = dtype_of(op.type(rule->a));
  auto leading_product = [&](const std::vector<std::int64_t>& d, std::size_t count) {
    std::int64_t p = 1;
    for (std::size_t i = 0; i < count; ++i) p = checked_product(p, d[i], where);
    return p;
  };
  if (rule->form == GemmForm::kLinear) {  // out[..., N] = input[..., K] weight^T
    if (b->size() != 2 || a->back() != (*b)[1]) return std::nullopt;
    g.m = leading_product(*a, a->size() - 1), g.k = a->back(), g.n = (*b)[0];
    return g;
  }
  // torch.matmul: a 1-D a is a row [1, K], a 1-D b a column [K, 1]; with a
  // 2-D b the leading dims of a fold into M; else the batch dims broadcast.
  if (a->size() == 1) a->insert(a->begin(), 1);
  if (b->size() == 1) b->push_back(1);
  g.k = a->back();
  if ((*b)[b->size() - 2] != g.k) return std::nullopt;
  g.n = b->back();
  if (b->size() == 2) {
    g.m = leading_product(*a, a->size() - 1);
    return g;
  }
  g.m = (*a)[a->size() - 2];
  const std::size_t na = a->size() - 2, nb = b->size() - 2, n = std::max(na, nb);
  for (std::size_t i = 0; i < n; ++i) {  // right-aligned batch dims
    const std::int64_t da = i < n - na ? 1 : (*a)[i - (n - na)], db = i < n - nb ? 1 : (*b)[i - (n - nb)];
    if (da != db && da != 1 && db != 1) return std::nullopt;
    g.batch = checked_product(g.batch, std::max(da, db), where);
  }
  return g;
}

// ------------------------------------------------------------- NCCL metadata

// Bytes per element of the dtypes record_param_comms writes
// (c10::toString(ScalarType), c10/core/ScalarType.h).
std::int64_t element_bytes(std::string_view dtype) {
  static constexpr std::pair<std::string_view, std::int64_t> kBytes[] = {
      {"Byte", 1}, {"Char", 1}, {"Bool", 1}, {"QInt8", 1}, {"QUInt8", 1}, {"Float8_e4m3fn", 1},
      {"Float8_e5m2", 1}, {"Float8_e4m3fnuz", 1}, {"Float8_e5m2fnuz", 1}, {"Float8_e8m0fnu", 1},
      {"Short", 2}, {"Half", 2}, {"BFloat16", 2}, {"UInt16", 2}, {"Int", 4}, {"Float", 4},
      {"UInt32", 4}, {"QInt32", 4}, {"ComplexHalf", 4}, {"Long", 8}, {"Double", 8}, {"UInt64", 8},
      {"ComplexFloat", 8}, {"ComplexDouble", 16},
  };
  for (const auto& [name, bytes] : kBytes)
    if (dtype == name) return bytes;
  return 0;
}

// "Process Group Ranks": "[0, 1]", or, for more than 30 ranks, PyTorch's
// shortened "[0, 1, ..., 28, ..., 63]" (format_list in
// torch/csrc/profiler/util.cpp). Also accepted as a JSON array.
void read_group_ranks(const json& v, const std::string& where, CommInfo& c) {
  const std::string key_where = where + ": key 'Process Group Ranks'";
  if (v.is_array()) {
    for (const json& r : v) {
      const auto i = as_int64(r);
      if (!i) throw InputError(key_where, "expected an array of integer ranks");
      c.group_ranks.push_back(*i);
    }
    return;
  }
  const std::string expected = "expected a list of ranks like \"[0, 1]\"";
  if (!v.is_string()) throw InputError(key_where, expected);
  std::string_view s = v.get_ref<const std::string&>();
  auto trim = [](std::string_view t) {
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    return t;
  };
  s = trim(s);
  if (s.size() < 2 || s.front() != '[' || s.back() != ']') throw InputError(key_where, expected);
  s = trim(s.substr(1, s.size() - 2));
  while (!s.empty()) {
    const auto comma = s.find(',');
    const std::string_view item = trim(s.substr(0, comma));
    s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
    if (item == "...") {
      c.group_ranks_truncated = true;
      continue;
    }
    std::int64_t r = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), r);
    if (ec != std::errc() || end != item.data() + item.size()) throw InputError(key_where, expected);
    c.group_ranks.push_back(r);
  }
  if (c.group_ranks_truncated) c.group_ranks.clear();
}

// The record_param_comms keys of `args` (a kernel's or the CPU op's), each
// optional; a wrong type is an InputError.
CommInfo read_comm_metadata(const json& args, const std::string& where) {
  CommInfo c;
  if (auto name = get_string(args, "Collective name", where)) c.name = *name;
  c.in_elements = get_int(args, "In msg nelems", where, 0).value_or(0);
  c.out_elements = get_int(args, "Out msg nelems", where, 0).value_or(0);
  if (auto n = get_int(args, "Group size", where, 0)) {
    if (*n > std::numeric_limits<std::uint32_t>::max())
      throw InputError(where + ": key 'Group size'", "expected a group size below 2^32");
    c.group_size = static_cast<std::uint32_t>(*n);
  }
  if (auto dtype = get_string(args, "dtype", where)) {
    c.dtype = *dtype;
    c.element_bytes = element_bytes(c.dtype);
  }
  if (const json* ranks = find(args, "Process Group Ranks")) read_group_ranks(*ranks, where, c);
  c.src_rank = get_int(args, "Src Rank", where);
  c.dst_rank = get_int(args, "Dst Rank", where);
  return c;
}

// ------------------------------------------------------------------ the trace

std::string unclassified_key(std::string_view name) {
  // Cut at the first '(' that is not "(anonymous namespace)" (which would cut
  // "void at::native::(anonymous namespace)::CatArrayBatchedCopy..." to nothing).
  static constexpr std::string_view kAnonymous = "(anonymous namespace)";
  std::size_t cut = 0;
  while ((cut = name.find('(', cut)) != std::string_view::npos && name.substr(cut, kAnonymous.size()) == kAnonymous)
    cut += kAnonymous.size();
  return std::string(name.substr(0, std::min<std::size_t>(cut, 120)));
}

class TraceReader {
 public:
  TraceReader(const json& events, const std::string& where) : events_(events), where_(where) {}

  void read(KinetoTrace& trace) {
    std::vector<std::size_t> gpu;
    for (std::size_t i = 0; i < events_.size(); ++i) {
      const json& e = events_[i];
      const At at{where_, i};
      if (!e.is_object()) throw InputError(at.str(), "expected an event object");
      const json* ph = find(e, "ph");
      const json* cat = find(e, "cat");
      if (ph == nullptr || !ph->is_string() || *ph != "X" || cat == nullptr || !cat->is_string()) continue;
      const std::string& c = cat->get_ref<const std::string&>();
      if (c == "kernel" || c == "gpu_memcpy" || c == "gpu_memset") {
        gpu.push_back(i);
      } else if (c == "cpu_op") {
        ++trace.cpu_ops;
        index_cpu_op(e, at);
      } else if (c == "cuda_runtime" || c == "cuda_driver") {
        index_launch(e, at);
        if (const auto us = launch_duration(e, at)) trace.launch_us.push_back(*us);
      }
    }
    for (auto& [id, ops] : ops_by_external_)  // innermost (latest start) first
      std::sort(ops.begin(), ops.end(), [](const CpuOp& x, const CpuOp& y) {
        return x.ts != y.ts ? x.ts > y.ts : x.index > y.index;
      });
    trace.kernels.reserve(gpu.size());
    for (std::size_t i : gpu) {
      KinetoKernel k = read_gpu_event(events_[i], At{where_, i});
      if (k.kind == KernelClass::kOther) ++trace.unclassified[unclassified_key(k.name)];
      trace.kernels.push_back(std::move(k));
    }
    std::stable_sort(trace.kernels.begin(), trace.kernels.end(), [](const KinetoKernel& x, const KinetoKernel& y) {
      return std::tie(x.start_us, x.device, x.stream, x.correlation) <
             std::tie(y.start_us, y.device, y.stream, y.correlation);
    });
  }

 private:
  static const json* args_of(const json& e, const At& at) {
    const json* args = find(e, "args");
    if (args != nullptr && !args->is_object()) at.fail("args", "expected an object");
    return args;
  }

  void index_cpu_op(const json& e, const At& at) {
    const json* args = args_of(e, at);
    const std::string w = at.str();
    const json* name = find(e, "name");
    if (name == nullptr || !name->is_string()) at.fail("name", "expected the op's name, a string");
    const auto ts = get_number(e, "ts", w);
    if (!ts) at.fail("ts", "expected the start time, a number of µs");
    const auto id = args ? get_int(*args, "External id", w) : std::nullopt;
    if (id) ops_by_external_[*id].push_back(CpuOp{&name->get_ref<const std::string&>(), args, *ts, at.event});
  }

  void index_launch(const json& e, const At& at) {
    const json* args = args_of(e, at);
    if (args == nullptr) return;
    const std::string w = at.str();
    const auto correlation = get_int(*args, "correlation", w, 0);
    const auto id = get_int(*args, "External id", w);
    // Correlation ids are unique per process (CUPTI); the first launch with
    // one is kept.
    if (correlation && id) external_by_correlation_.emplace(*correlation, *id);
  }

  // The duration of a kernel launch API call; nullopt for other runtime calls.
  static std::optional<double> launch_duration(const json& e, const At& at) {
    static constexpr std::string_view kLaunches[] = {"cudaLaunchKernel", "cudaLaunchKernelExC",
                                                     "cudaLaunchCooperativeKernel", "cuLaunchKernel",
                                                     "cuLaunchKernelEx"};
    const json* name = find(e, "name");
    if (name == nullptr || !name->is_string()) return std::nullopt;
    const std::string& n = name->get_ref<const std::string&>();
    if (std::find(std::begin(kLaunches), std::end(kLaunches), n) == std::end(kLaunches)) return std::nullopt;
    const auto dur = get_number(e, "dur", at.str());
    if (!dur || !(*dur >= 0)) at.fail("dur", "expected the launch's duration, a number of µs >= 0");
    return *dur;
  }

  KinetoKernel read_gpu_event(const json& e, const At& at) {
    const std::string w = at.str();
    KinetoKernel k;
    const auto name = get_string(e, "name", w);
    if (!name) at.fail("name", "expected the kernel's name, a string");
    k.name = *name;
    const auto ts = get_number(e, "ts", w);
    if (!ts) at.fail("ts", "expected the start time, a number of µs");
    const auto dur = get_number(e, "dur", w);
    if (!dur || *dur < 0) at.fail("dur", "expected the duration, a non-negative number of µs");
    k.start_us = *ts, k.duration_us = *dur;
    const json* args = args_of(e, at);
    if (args == nullptr) at.fail("args", "expected the GPU event's args (device, stream, correlation)");
    // pid = device and tid = stream (ChromeTraceLogger::handleActivity), also in args.
    auto device = get_int(*args, "device", w, 0);
    if (!device) device = get_int(e, "pid", w, 0);
    if (!device) at.fail("args.device", "expected the device, a non-negative integer (or an integer pid)");
    auto stream = get_int(*args, "stream", w, 0);
    if (!stream) stream = get_int(e, "tid", w, 0);
    if (!stream) at.fail("args.stream", "expected the stream, a non-negative integer (or an integer tid)");
    const auto correlation = get_int(*args, "correlation", w, 0);
    if (!correlation) at.fail("args.correlation", "expected the correlation id, a non-negative integer");
    k.device = *device, k.stream = *stream, k.correlation = static_cast<std::uint64_t>(*correlation);

    k.external_id = get_int(*args, "External id", w);
    if (!k.external_id)
      if (const auto it = external_by_correlation_.find(*correlation); it != external_by_correlation_.end())
        k.external_id = it->second;
    static const std::vector<CpuOp> kNoOps;
    const std::vector<CpuOp>* ops = &kNoOps;
    if (k.external_id)
      if (const auto it = ops_by_external_.find(*k.external_id); it != ops_by_external_.end()) ops = &it->second;
    if (!ops->empty()) {
      const auto with_dims = std::find_if(ops->begin(), ops->end(),
                                          [](const CpuOp& op) { return op.args && find(*op.args, "Input Dims"); });
      k.cpu_op = (with_dims != ops->end() ? *with_dims : ops->front()).name();
    }

    const std::string& cat = e["cat"].get_ref<const std::string&>();
    k.kind = cat == "gpu_memcpy"   ? KernelClass::kCopy
             : cat == "gpu_memset" ? KernelClass::kMemset
                                   : classify_kernel_name(k.name);
    switch (k.kind) {
      case KernelClass::kAttentionFwd:
      case KernelClass::kAttentionBwd:
        for (const CpuOp& op : *ops)
          if ((k.attention = attention_shape(OpArgs(op, where_)))) break;
        break;
      case KernelClass::kGemm:
        // A GEMM a convolution launched (cuDNN runs some convolutions as
        // CUTLASS GEMMs: cutlass_80_tensorop_s1688gemm_* under
        // aten::cudnn_convolution in the A100 test trace) is the convolution's.
        if (std::any_of(ops->begin(), ops->end(),
                        [](const CpuOp& op) { return mentions_convolution(lowercase(op.name())); })) {
          k.kind = KernelClass::kOther;
          break;
        }
        for (const CpuOp& op : *ops)
          if ((k.gemm = gemm_shape(OpArgs(op, where_)))) break;
        break;
      case KernelClass::kCollective:
      case KernelClass::kPointToPoint:
      case KernelClass::kCommunication:
        read_comm(k, *args, w, *ops);
        break;
      default:
        break;
    }
    return k;
  }

  // The metadata from the kernel's args (PyTorch >= 2.3 copies it there),
  // else from the linked record_param_comms op; then the kernel's class.
  void read_comm(KinetoKernel& k, const json& args, const std::string& w, const std::vector<CpuOp>& ops) const {
    if (find(args, "Collective name")) {
      k.comm = read_comm_metadata(args, w);
    } else {
      for (const CpuOp& op : ops)
        if (op.args && find(*op.args, "Collective name")) {
          k.comm = read_comm_metadata(*op.args, At{where_, op.index}.str());
          break;
        }
      if (!k.comm) k.comm = CommInfo{};
    }
    const auto recorded = named_comm_op(k.comm->name);
    if (k.kind == KernelClass::kCommunication && !has(lowercase(k.name), "nccl")) {
      // Not NCCL: stays kCommunication; the collective if the metadata or the
      // kernel's name says it.
      const auto op = recorded ? recorded : named_comm_op(k.name);
      if (op) k.comm->collective = op->collective;
      return;
    }
    std::optional<CommOp> op = nccl_kernel_op(k.name);
    if (op && op->kind == KernelClass::kPointToPoint && recorded && recorded->collective == CollectiveKind::kAllToAll)
      op = recorded;  // an all_to_all runs as grouped SendRecv kernels
    if (!op) op = recorded;
    if (op) {
      k.kind = op->kind;
      k.comm->collective = op->collective;
    } else {
      k.kind = KernelClass::kCommunication;
    }
  }

  const json& events_;
  const std::string& where_;
  std::unordered_map<std::int64_t, std::vector<CpuOp>> ops_by_external_;
  std::unordered_map<std::int64_t, std::int64_t> external_by_correlation_;
};

void read_header(const json& doc, const std::string& where, KinetoTrace& trace) {
  trace.base_time_ns = get_int(doc, "baseTimeNanoseconds", where, 0);
  if (const json* info = find(doc, "distributedInfo")) {
    const std::string w = where + ": key 'distributedInfo'";
    if (!info->is_object()) throw InputError(w, "expected an object");
    trace.rank = get_int(*info, "rank", w, 0);
    trace.world_size = get_int(*info, "world_size", w, 0);
    trace.backend = get_string(*info, "backend", w).value_or("");
    trace.nccl_version = get_string(*info, "nccl_version", w).value_or("");
  }
  if (const json* devices = find(doc, "deviceProperties")) {
    if (!devices->is_array()) throw InputError(where + ": key 'deviceProperties'", "expected an array");
    for (std::size_t i = 0; i < devices->size(); ++i) {
      const json& d = (*devices)[i];
      const std::string w = where + ": key 'deviceProperties[" + std::to_string(i) + "]'";
      if (!d.is_object()) throw InputError(w, "expected an object");
      KinetoDevice dev;
      const auto id = get_int(d, "id", w, 0);
      if (!id) throw InputError(w + ": key 'id'", "expected the device id, a non-negative integer");
      dev.id = *id;
      dev.name = get_string(d, "name", w).value_or("");
      dev.num_sms = get_int(d, "numSms", w, 0).value_or(0);
      dev.memory_bytes = get_number(d, "totalGlobalMem", w).value_or(0);
      const auto major = get_int(d, "computeMajor", w, 0), minor = get_int(d, "computeMinor", w, 0);
      if (major.value_or(0) > 1000 || minor.value_or(0) > 1000)
        throw InputError(w, "expected a compute capability like 9.0");
      dev.compute_major = static_cast<int>(major.value_or(0)), dev.compute_minor = static_cast<int>(minor.value_or(0));
      trace.devices.push_back(std::move(dev));
    }
  }
}


}  // namespace

std::string_view kernel_class_name(KernelClass kind) {
  switch (kind) {
    case KernelClass::kAttentionFwd: return "attention_fwd";
    case KernelClass::kAttentionBwd: return "attention_bwd";
    case KernelClass::kGemm: return "gemm";
    case KernelClass::kCollective: return "collective";
    case KernelClass::kPointToPoint: return "p2p";
    case KernelClass::kCommunication: return "communication";
    case KernelClass::kCopy: return "copy";
    case KernelClass::kMemset: return "memset";
    case KernelClass::kOther: return "other";
  }
  return "other";
}

KernelClass classify_kernel_name(std::string_view name) {
  const std::string lower = lowercase(name);
  for (const NameRule& rule : kNameRules) {
    if (!rule.matches(lower)) continue;
    if (rule.kind != KernelClass::kCollective) return rule.kind;
    const auto op = nccl_kernel_op(name);
    return op ? op->kind : KernelClass::kCommunication;
  }
  return KernelClass::kOther;
}

KinetoTrace parse_kineto_trace(std::string_view json_text, const std::string& where) {
  const json doc = parse_input_json(json_text, where);
  const std::string expected = "expected a PyTorch profiler (Kineto) trace: a JSON object with a \"traceEvents\" array";
  if (!doc.is_object()) throw InputError(where, expected);
  const json* events = find(doc, "traceEvents");
  if (events == nullptr) throw InputError(where, "no \"traceEvents\"; " + expected);
  if (!events->is_array()) throw InputError(where + ": key 'traceEvents'", "expected an array of events");
  if (events->size() > kMaxKinetoEvents)
    throw InputError(where + ": key 'traceEvents'",
                     "more than " + std::to_string(kMaxKinetoEvents) + " events; cut the profiling window");
  KinetoTrace trace;
  read_header(doc, where, trace);
  TraceReader(*events, where).read(trace);
  return trace;
}

KinetoTrace read_kineto_trace(const std::string& path) {
  std::string bytes = read_input_file(path, "Kineto trace");
  // gzip magic bytes (RFC 1952, 2.3.1): ID1 = 0x1f, ID2 = 0x8b.
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f && static_cast<unsigned char>(bytes[1]) == 0x8b)
    bytes = inflate_gzip(bytes, path);
  return parse_kineto_trace(bytes, path);
}

}  // namespace spsim
