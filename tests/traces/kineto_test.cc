// The Kineto trace reader on the real traces of ../shared/reference/data/kineto/
// (counts taken independently with python3's json module over the
// decompressed file, written beside the assertions) and on small synthetic
// traces for what those files do not show: launch-only linking, nested CPU
// ops, GEMM forms, NCCL >= 2.19 names, all_to_all, symmetric memory, gzip,
// and each kind of bad input.

#include "traces/kineto.h"

#include <doctest/doctest.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <tuple>

#include "program/input_error.h"
#include "tests/support/test_files.h"

namespace spsim {
namespace {

std::size_t count_kind(const KinetoTrace& t, KernelClass kind) {
  return static_cast<std::size_t>(
      std::count_if(t.kernels.begin(), t.kernels.end(), [&](const KinetoKernel& k) { return k.kind == kind; }));
}

bool sorted(const KinetoTrace& t) {
  return std::is_sorted(t.kernels.begin(), t.kernels.end(), [](const KinetoKernel& x, const KinetoKernel& y) {
    return std::tie(x.start_us, x.device, x.stream, x.correlation) <
           std::tie(y.start_us, y.device, y.stream, y.correlation);
  });
}

std::size_t total(const std::map<std::string, std::size_t>& m) {
  std::size_t n = 0;
  for (const auto& [name, count] : m) n += count;
  return n;
}

// A trace of `events` (the inside of the traceEvents array).
std::string trace_json(const std::string& events, const std::string& top = "") {
  return "{" + top + (top.empty() ? "" : ",") + "\"traceEvents\":[" + events + "]}";
}

// A kernel event; `args` are extra args ("" for none).
std::string kernel(const std::string& name, double ts, int correlation, const std::string& args = "") {
  return R"({"ph":"X","cat":"kernel","name":")" + name + R"(","pid":0,"tid":7,"ts":)" + std::to_string(ts) +
         R"(,"dur":10,"args":{"device":0,"stream":7,"correlation":)" + std::to_string(correlation) +
         (args.empty() ? "" : "," + args) + "}}";
}

std::string cpu_op(const std::string& name, double ts, int external_id, const std::string& args = "") {
  return R"({"ph":"X","cat":"cpu_op","name":")" + name + R"(","pid":1,"tid":1,"ts":)" + std::to_string(ts) +
         R"(,"dur":50,"args":{"External id":)" + std::to_string(external_id) + (args.empty() ? "" : "," + args) + "}}";
}

std::string launch(int correlation, int external_id) {
  return R"({"ph":"X","cat":"cuda_runtime","name":"cudaLaunchKernel","pid":1,"tid":1,"ts":1,"dur":2,)"
         R"("args":{"External id":)" +
         std::to_string(external_id) + R"(,"correlation":)" + std::to_string(correlation) + "}}";
}

std::string gzip(const std::string& text) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&zs, text.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

TEST_CASE("kineto: the A100 rank-0 trace (NCCL metadata on the kernels, distributedInfo)") {
  const KinetoTrace t = read_kineto_trace(test::reference_data("kineto/a100_2rank_nccl_rank0.json.gz"));
  // 40573 events: 2700 kernel + 960 gpu_memcpy + 114 gpu_memset GPU events;
  // 14346 cpu_op; 8740 cuda_runtime; flows, annotations, metadata skipped.
  REQUIRE(t.kernels.size() == 2700 + 960 + 114);
  CHECK(t.cpu_ops == 14346);
  CHECK(sorted(t));
  CHECK(t.base_time_ns == 1711964646000000000);
  // Kernel launch calls: 2550 cudaLaunchKernel + 150 cudaLaunchKernelExC (one
  // per kernel event), host durations 4.497..75.688 µs, median 9.7135 µs
  // (counted and sorted with a script over the file).
  REQUIRE(t.launch_us.size() == 2550 + 150);
  CHECK(*std::min_element(t.launch_us.begin(), t.launch_us.end()) == doctest::Approx(4.497));
  CHECK(*std::max_element(t.launch_us.begin(), t.launch_us.end()) == doctest::Approx(75.688));
  std::vector<double> launches = t.launch_us;
  std::sort(launches.begin(), launches.end());
  CHECK((launches[1349] + launches[1350]) / 2 == doctest::Approx(9.7135));
  // distributedInfo {backend nccl, rank 0, world_size 2, nccl_version 2.17.1}.
  CHECK(t.backend == "nccl");
  CHECK(t.rank == 0);
  CHECK(t.world_size == 2);
  CHECK(t.nccl_version == "2.17.1");
  // deviceProperties: 8 x A100-PG509-200, 108 SMs, 42297524224 bytes, sm 8.0.
  REQUIRE(t.devices.size() == 8);
  CHECK(t.devices[0].name == "NVIDIA A100-PG509-200");
  CHECK(t.devices[7].id == 7);
  CHECK(t.devices[0].num_sms == 108);
  CHECK(t.devices[0].memory_bytes == 42297524224.0);
  CHECK(t.devices[0].compute_major == 8);
  CHECK(t.devices[0].compute_minor == 0);

  // By class: 21 NCCL kernels; 15 GEMMs (3 ampere_sgemm_32x32_sliced1x4_tn,
  // 3 ampere_sgemm_32x128_nt, 3 cutlass_80_simt_sgemm, 6 cublasLt
  // splitKreduce) — the 234 cutlass_80_tensorop_s1688gemm kernels are
  // launched by aten::cudnn_convolution (84) / aten::convolution_backward (150)
  // and count as other, like the implicit-GEMM convolution kernels; copy =
  // 960 memcpy + 6 CatArrayBatchedCopy; 114 memset; other 2658.
  CHECK(count_kind(t, KernelClass::kCollective) == 21);
  CHECK(count_kind(t, KernelClass::kPointToPoint) == 0);
  CHECK(count_kind(t, KernelClass::kCommunication) == 0);
  CHECK(count_kind(t, KernelClass::kGemm) == 15);
  CHECK(count_kind(t, KernelClass::kCopy) == 966);
  CHECK(count_kind(t, KernelClass::kMemset) == 114);
  CHECK(count_kind(t, KernelClass::kAttentionFwd) + count_kind(t, KernelClass::kAttentionBwd) == 0);
  CHECK(count_kind(t, KernelClass::kOther) == 2658);
  CHECK(total(t.unclassified) == 2658);
  CHECK(t.unclassified.size() == 57);  // distinct names, cut at '(' (not "(anonymous namespace)")
  CHECK(t.unclassified.at("void cudnn::ops::nchwToNhwcKernel<float, float, float, false, true, ") == 474);
  std::size_t conv_gemms = 0;
  for (const auto& k : t.kernels) {
    if (k.name.find("s1688gemm") != std::string::npos && k.kind == KernelClass::kOther) ++conv_gemms;
    // The trace was recorded without shapes: no GEMM has one.
    if (k.kind == KernelClass::kGemm) {
      CHECK_FALSE(k.gemm);
      CHECK((k.cpu_op == "aten::mm" || k.cpu_op == "aten::addmm"));
    }
  }
  CHECK(conv_gemms == 234);

  // NCCL: 15 ncclKernel_AllReduce_RING_LL_Sum_float (In msg nelems 2049000,
  // 2431040, 6563840, 6637568, 7875584, 3 each; dtype Float) and 6
  // ncclKernel_Broadcast_RING_LL_Sum_int8_t (53120 Float x 3, 53 Long x 3),
  // all on stream 40, Group size 2, ranks "[0, 1]", under record_param_comms.
  std::map<std::int64_t, int> allreduce_nelems, broadcast_nelems;
  for (const auto& k : t.kernels) {
    if (k.kind != KernelClass::kCollective) continue;
    REQUIRE(k.comm);
    const CommInfo& c = *k.comm;
    CHECK(k.stream == 40);
    CHECK(k.cpu_op == "record_param_comms");
    CHECK(c.group_size == 2);
    CHECK(c.group_ranks == std::vector<std::int64_t>{0, 1});
    CHECK(c.in_elements == c.out_elements);
    if (k.name.rfind("ncclKernel_AllReduce_RING_LL_Sum_float", 0) == 0) {
      CHECK(c.collective == CollectiveKind::kAllReduce);
      CHECK(c.name == "allreduce");
      CHECK(c.dtype == "Float");
      CHECK(c.element_bytes == 4);
      ++allreduce_nelems[c.in_elements];
    } else {
      CHECK(k.name.rfind("ncclKernel_Broadcast_RING_LL_Sum_int8_t", 0) == 0);
      CHECK(c.collective == CollectiveKind::kBroadcast);
      CHECK(c.name == "broadcast");
      CHECK(c.element_bytes == (c.dtype == "Long" ? 8 : 4));
      ++broadcast_nelems[c.in_elements];
    }
  }
  CHECK(allreduce_nelems == std::map<std::int64_t, int>{{2049000, 3}, {2431040, 3}, {6563840, 3}, {6637568, 3}, {7875584, 3}});
  CHECK(broadcast_nelems == std::map<std::int64_t, int>{{53, 3}, {53120, 3}});
  // The first GPU event (ts 4458676422880.181): a CatArrayBatchedCopy, 3.744 µs.
  CHECK(t.kernels.front().kind == KernelClass::kCopy);
  CHECK(t.kernels.front().start_us == doctest::Approx(4458676422880.181));
  CHECK(t.kernels.front().duration_us == doctest::Approx(3.744));
}

TEST_CASE("kineto: the H100 trace's flash-attention and GEMM shapes") {
  const KinetoTrace t = read_kineto_trace(test::reference_data("kineto/h100_1gpu_flash_fwd_qwen0.5b.json.gz"));
  // 1465 kernel + 1 gpu_memcpy + 241 gpu_memset; 4186 cpu_op; no distributedInfo.
  REQUIRE(t.kernels.size() == 1465 + 1 + 241);
  CHECK(t.cpu_ops == 4186);
  // Kernel launch calls: 860 cudaLaunchKernel + 168 cudaLaunchKernelExC + 1
  // cuLaunchKernel (cuda_driver); host durations median 3.33 µs (script).
  REQUIRE(t.launch_us.size() == 860 + 168 + 1);
  std::vector<double> launches = t.launch_us;
  std::sort(launches.begin(), launches.end());
  CHECK(launches[514] == doctest::Approx(3.33));
  CHECK(sorted(t));
  CHECK_FALSE(t.rank);
  CHECK(t.backend.empty());
  REQUIRE(t.devices.size() == 1);
  CHECK(t.devices[0].name == "NVIDIA H100 80GB HBM3");
  CHECK(t.devices[0].num_sms == 132);
  CHECK(t.devices[0].compute_major == 9);

  // 34 pytorch_flash::flash_fwd_kernel; 24 linked (External id 22359, ...:
  // the kernel's own and its cudaLaunchKernel's agree) to
  // aten::_flash_attention_forward, Input Dims [16, 559, 16, 64] x 3 (BSHD),
  // c10::BFloat16, Concrete Inputs[8] "True"; the first 10 (profiler warm-up)
  // have neither an External id nor a launch event.
  CHECK(count_kind(t, KernelClass::kAttentionFwd) == 34);
  CHECK(count_kind(t, KernelClass::kAttentionBwd) == 0);
  int with_shape = 0, without_op = 0;
  for (const auto& k : t.kernels) {
    if (k.kind != KernelClass::kAttentionFwd) continue;
    CHECK(k.name.find("pytorch_flash::flash_fwd_kernel") != std::string::npos);
    if (!k.attention) {
      CHECK(k.cpu_op.empty());
      CHECK_FALSE(k.external_id);
      ++without_op;
      continue;
    }
    ++with_shape;
    const AttentionShape& a = *k.attention;
    CHECK(k.cpu_op == "aten::_flash_attention_forward");
    CHECK(a.batch == 16);
    CHECK(a.seq_q == 559);
    CHECK(a.seq_k == 559);
    CHECK(a.heads_q == 16);
    CHECK(a.heads_kv == 16);
    CHECK(a.head_dim == 64);
    CHECK(a.head_dim_v == 64);
    CHECK(a.causal);
    CHECK(a.dtype == "bf16");
  }
  CHECK(with_shape == 24);
  CHECK(without_op == 10);

  // 242 GEMMs (241 sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_*, 1
  // cutlass_80_simt_sgemm); 169 with shapes: aten::addmm [8944,1024] x
  // [1024,1024] x 72; aten::mm [8944,1024] x [1024,2816] x 48, [8944,2816] x
  // [2816,1024] x 24, [8944,1024] x [1024,1024] x 24; aten::bmm [1,32,1] x
  // [1,1,559] (float) x 1; 73 without a CPU op.
  CHECK(count_kind(t, KernelClass::kGemm) == 242);
  std::map<std::tuple<std::string, std::int64_t, std::int64_t, std::int64_t, std::int64_t>, int> shapes;
  int gemm_without = 0;
  for (const auto& k : t.kernels) {
    if (k.kind != KernelClass::kGemm) continue;
    if (!k.gemm) {
      ++gemm_without;
      continue;
    }
    CHECK(k.gemm->dtype == (k.cpu_op == "aten::bmm" ? "fp32" : "bf16"));
    ++shapes[{k.cpu_op, k.gemm->batch, k.gemm->m, k.gemm->n, k.gemm->k}];
  }
  using Key = std::tuple<std::string, std::int64_t, std::int64_t, std::int64_t, std::int64_t>;
  CHECK(shapes == std::map<Key, int>{{{"aten::addmm", 1, 8944, 1024, 1024}, 72},
                                     {{"aten::mm", 1, 8944, 2816, 1024}, 48},
                                     {{"aten::mm", 1, 8944, 1024, 2816}, 24},
                                     {{"aten::mm", 1, 8944, 1024, 1024}, 24},
                                     {{"aten::bmm", 1, 32, 559, 1}, 1}});
  CHECK(gemm_without == 73);
  // copy: 349 copy kernels + 1 memcpy; 241 memset; 840 other in 18 names.
  CHECK(count_kind(t, KernelClass::kCopy) == 350);
  CHECK(count_kind(t, KernelClass::kMemset) == 241);
  CHECK(count_kind(t, KernelClass::kOther) == 840);
  CHECK(t.unclassified.size() == 18);
}

TEST_CASE("kineto: kernel names classify by the rule table") {
  const std::pair<const char*, KernelClass> cases[] = {
      {"void flash::flash_fwd_kernel<Flash_fwd_kernel_traits<128>>(Flash_fwd_params)", KernelClass::kAttentionFwd},
      {"void flash::flash_fwd_splitkv_combine_kernel<...>(Flash_fwd_params)", KernelClass::kAttentionFwd},
      {"void cutlass::device_kernel<flash::FlashAttnFwdSm90<...>>(...)", KernelClass::kAttentionFwd},
      {"fmha_cutlassF_bf16_aligned_64x64_rf_sm80(PyTorchMemEffAttention::AttentionKernel<...>::Params)",
       KernelClass::kAttentionFwd},
      {"cudnn_generated_fort_native_sdpa_sm90_flash_fprop_wgmma_f16_knob_3_64x64x128_4x1x1_kernel0_0",
       KernelClass::kAttentionFwd},
      {"void pytorch_flash::flash_bwd_dq_dk_dv_loop_seqk_parallel_kernel<...>(...)", KernelClass::kAttentionBwd},
      {"void flash::flash_bwd_dot_do_o_kernel<true, ...>(Flash_bwd_params)", KernelClass::kAttentionBwd},
      {"void flash::flash_bwd_convert_dq_kernel<...>(Flash_bwd_params, int)", KernelClass::kAttentionBwd},
      {"void cutlass::device_kernel<flash::FlashAttnBwdSm90<...>>(...)", KernelClass::kAttentionBwd},
      {"fmha_cutlassB_bf16_aligned_64x64_k64_sm80(...)", KernelClass::kAttentionBwd},
      {"cudnn_generated_fort_native_sdpa_sm80_flash_bprop_f16_knob_0_64x64x64_4x1x1_kernel0_0",
       KernelClass::kAttentionBwd},
      {"sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64_warpgroupsize1x1x1", KernelClass::kGemm},
      {"ampere_sgemm_32x128_nt", KernelClass::kGemm},
      {"void cutlass::Kernel2<cutlass_80_simt_sgemm_128x32_8x5_nn_align1>(...)", KernelClass::kGemm},
      {"nvjet_tst_128x256_64x4_1x2_h_bz_coopA_NTN", KernelClass::kGemm},
      {"void cublasLt::splitKreduce_kernel<32, 16, int, float, float>(...)", KernelClass::kGemm},
      {"sm80_xmma_fprop_implicit_gemm_indexed_tf32f32_tf32f32_f32_nhwckrsc_nchw", KernelClass::kOther},
      {"sm80_xmma_wgrad_implicit_gemm_indexed_tf32f32_tf32f32_f32_nhwckrsc_nhwc", KernelClass::kOther},
      {"_ZN19cutlass_cudnn_train6KernelINS_4conv6kernel23ImplicitGemmConvolutionINS1_11threadblock", KernelClass::kOther},
      {"ncclKernel_AllReduce_RING_LL_Sum_float(ncclDevComm*, unsigned long, ncclWork*)", KernelClass::kCollective},
      {"ncclDevKernel_ReduceScatter_Sum_bf16_RING_LL(ncclDevKernelArgsStorage<4096ul>)", KernelClass::kCollective},
      {"ncclDevKernel_Reduce_Sum_f32_RING_LL(ncclDevKernelArgsStorage<4096ul>)", KernelClass::kCollective},
      {"ncclDevKernel_SendRecv(ncclDevKernelArgsStorage<4096ul>)", KernelClass::kPointToPoint},
      {"ncclKernel_SendRecv_RING_SIMPLE_Sum_int8_t(ncclDevComm*, unsigned long, ncclWork*)", KernelClass::kPointToPoint},
      {"ncclDevKernel_Generic_4(ncclDevKernelArgsStorage<4096ul>)", KernelClass::kCommunication},
      {"void c10d::symmetric_memory::one_shot_all_reduce_kernel<c10::BFloat16, 8>(...)", KernelClass::kCommunication},
      {"void c10d::symmetric_memory::multimem_all_gather_kernel<16>(...)", KernelClass::kCommunication},
      {"void at::native::unrolled_elementwise_kernel<at::native::direct_copy_kernel_cuda(...)", KernelClass::kCopy},
      {"void at::native::(anonymous namespace)::CatArrayBatchedCopy<float, unsigned int, 1, 64, 64>(...)",
       KernelClass::kCopy},
      {"void at::native::vectorized_elementwise_kernel<4, at::native::FillFunctor<float>>(...)", KernelClass::kOther},
      {"void cudnn::bn_fw_tr_1C11_kernel_NCHW<float, float, int, 32, true, 1, true>(...)", KernelClass::kOther},
  };
  for (const auto& c : cases) {
    const auto& name = c.first;
    const auto& kind = c.second;
    CAPTURE(name);
    CHECK(kernel_class_name(classify_kernel_name(name)) == kernel_class_name(kind));
  }
  CHECK(kernel_class_name(KernelClass::kPointToPoint) == "p2p");
  CHECK(kernel_class_name(KernelClass::kAttentionFwd) == "attention_fwd");
}

TEST_CASE("kineto: a kernel links through its launch to the innermost of nested CPU ops with shapes") {
  // No "External id" on the kernel: cudaLaunchKernel correlation 5 -> External
  // id 40, shared by three nested ops (sdpa ts 100, its flash op ts 110, the
  // kernel op ts 120 with BSHD dims: B 2, S 1024, Hq 32, Hkv 8 (GQA), D 128).
  const std::string bshd = "[2, 1024, 32, 128], [2, 1024, 8, 128], [2, 1024, 8, 128]";
  const std::string events =
      cpu_op("aten::scaled_dot_product_attention", 100, 40,
             R"("Input Dims": [[2, 32, 1024, 128], [2, 8, 1024, 128], [2, 8, 1024, 128], [], [], []],)"
             R"("Input type": ["c10::Half", "c10::Half", "c10::Half", "", "Scalar", "Scalar"],)"
             R"("Concrete Inputs": ["", "", "", "", "0.", "True"])") +
      "," + cpu_op("aten::_flash_attention_forward", 120, 40,
                   R"("Input Dims": [)" + bshd + R"(, [], [], [], [], [], []],)"
                   R"("Input type": ["c10::Half", "c10::Half", "c10::Half", "", "", "Scalar", "Scalar", "Scalar", "Scalar"],)"
                   R"("Concrete Inputs": ["", "", "", "", "", "1024", "1024", "0.", "False"])") +
      "," + cpu_op("aten::_scaled_dot_product_flash_attention", 110, 40) + "," + launch(5, 40) + "," +
      kernel("void flash::flash_fwd_kernel<...>(Flash_fwd_params)", 200, 5);
  const KinetoTrace t = parse_kineto_trace(trace_json(events), "nested.json");
  REQUIRE(t.kernels.size() == 1);
  const KinetoKernel& k = t.kernels[0];
  CHECK(k.external_id == 40);
  CHECK(k.cpu_op == "aten::_flash_attention_forward");  // latest ts with Input Dims
  REQUIRE(k.attention);
  CHECK(k.attention->batch == 2);
  CHECK(k.attention->seq_q == 1024);
  CHECK(k.attention->heads_q == 32);
  CHECK(k.attention->heads_kv == 8);
  CHECK(k.attention->head_dim == 128);
  CHECK_FALSE(k.attention->causal);  // the innermost op's is_causal, index 8
  CHECK(k.attention->dtype == "fp16");
  CHECK(t.cpu_ops == 3);
}

TEST_CASE("kineto: GEMM shapes of linear, matmul and bmm; a convolution's GEMM is other") {
  const std::string events =
      // linear: input [4, 128, 512], weight [1024, 512] -> M = 4 x 128, N 1024, K 512.
      cpu_op("aten::linear", 1, 1, R"("Input Dims": [[4, 128, 512], [1024, 512], [1024]], "Input type": ["float", "float", "float"])") +
      "," + kernel("ampere_sgemm_128x64_tn", 10, 1, R"("External id": 1)") + "," +
      // matmul: [8, 1, 64, 32] x [3, 32, 16] broadcasts to batch 8 x 3, M 64, N 16, K 32.
      cpu_op("aten::matmul", 2, 2, R"("Input Dims": [[8, 1, 64, 32], [3, 32, 16]])") + "," +
      kernel("sm90_xmma_gemm_f32f32", 20, 2, R"("External id": 2)") + "," +
      // bmm with mismatched K: no shape.
      cpu_op("aten::bmm", 3, 3, R"("Input Dims": [[2, 4, 8], [2, 9, 4]])") + "," +
      kernel("sm90_xmma_gemm_f32f32", 30, 3, R"("External id": 3)") + "," +
      cpu_op("aten::cudnn_convolution", 4, 4) + "," +
      kernel("void cutlass::Kernel<cutlass_80_tensorop_s1688gemm_256x64_16x4_nn_align4>(Params)", 40, 4,
             R"("External id": 4)");
  const KinetoTrace t = parse_kineto_trace(trace_json(events), "gemm.json");
  REQUIRE(t.kernels.size() == 4);
  REQUIRE(t.kernels[0].gemm);
  CHECK(t.kernels[0].gemm->m == 512);
  CHECK(t.kernels[0].gemm->n == 1024);
  CHECK(t.kernels[0].gemm->k == 512);
  CHECK(t.kernels[0].gemm->dtype == "fp32");
  REQUIRE(t.kernels[1].gemm);
  CHECK(t.kernels[1].gemm->batch == 24);
  CHECK(t.kernels[1].gemm->m == 64);
  CHECK(t.kernels[1].gemm->n == 16);
  CHECK(t.kernels[1].gemm->k == 32);
  CHECK(t.kernels[1].gemm->dtype.empty());  // no "Input type" recorded
  CHECK(t.kernels[2].kind == KernelClass::kGemm);
  CHECK_FALSE(t.kernels[2].gemm);
  CHECK(t.kernels[3].kind == KernelClass::kOther);
  CHECK(t.kernels[3].cpu_op == "aten::cudnn_convolution");
  CHECK(t.unclassified.at("void cutlass::Kernel<cutlass_80_tensorop_s1688gemm_256x64_16x4_nn_align4>") == 1);
}

TEST_CASE("kineto: NCCL >= 2.19 names, all_to_all over SendRecv, p2p, metadata from record_param_comms") {
  const std::string events =
      // ncclDevKernel_AllGather_RING_LL: no dtype in the name, no metadata.
      kernel("ncclDevKernel_AllGather_RING_LL(ncclDevKernelArgsStorage<4096ul>)", 1, 1) + "," +
      // SendRecv of an all_to_all (PyTorch's grouped sends/receives).
      kernel("ncclDevKernel_SendRecv(ncclDevKernelArgsStorage<4096ul>)", 2, 2,
             R"("Collective name": "all_to_all", "In msg nelems": 4096, "Out msg nelems": 4096, "Group size": 4,)"
             R"("dtype": "BFloat16", "Process Group Ranks": "[0, 1, 2, 3]")") +
      "," +
      // A send: metadata on the record_param_comms op (before PyTorch 2.3),
      // through the launch (correlation 3 -> External id 30).
      cpu_op("record_param_comms", 0, 30,
             R"("Collective name": "send", "In msg nelems": 10, "Out msg nelems": 10, "Group size": 64,)"
             R"("dtype": "Float8_e4m3fn", "Dst Rank": 9, "Process Group Ranks": "[0, 1, 2, ..., 63]")") +
      "," + launch(3, 30) + "," + kernel("ncclDevKernel_SendRecv(ncclDevKernelArgsStorage<4096ul>)", 3, 3) + "," +
      // A generic NCCL kernel of a recorded allreduce.
      kernel("ncclDevKernel_Generic_4(ncclDevKernelArgsStorage<4096ul>)", 4, 4,
             R"("Collective name": "allreduce", "dtype": "Quantum")") +
      "," +
      // Symmetric memory: no nccl prefix, never compute.
      kernel("void c10d::symmetric_memory::one_shot_all_reduce_kernel<c10::BFloat16, 8>(...)", 5, 5);
  const KinetoTrace t = parse_kineto_trace(trace_json(events), "comm.json");
  REQUIRE(t.kernels.size() == 5);
  const auto& ag = t.kernels[0];
  CHECK(ag.kind == KernelClass::kCollective);
  REQUIRE(ag.comm);
  CHECK(ag.comm->collective == CollectiveKind::kAllGather);
  CHECK(ag.comm->name.empty());
  CHECK(ag.comm->dtype.empty());
  CHECK(ag.comm->element_bytes == 0);

  const auto& a2a = t.kernels[1];
  CHECK(a2a.kind == KernelClass::kCollective);
  REQUIRE(a2a.comm);
  CHECK(a2a.comm->collective == CollectiveKind::kAllToAll);
  CHECK(a2a.comm->name == "all_to_all");
  CHECK(a2a.comm->in_elements == 4096);
  CHECK(a2a.comm->element_bytes == 2);
  CHECK(a2a.comm->group_size == 4);
  CHECK(a2a.comm->group_ranks == std::vector<std::int64_t>{0, 1, 2, 3});

  const auto& send = t.kernels[2];
  CHECK(send.kind == KernelClass::kPointToPoint);
  CHECK(send.cpu_op == "record_param_comms");
  REQUIRE(send.comm);
  CHECK_FALSE(send.comm->collective);
  CHECK(send.comm->name == "send");
  CHECK(send.comm->dst_rank == 9);
  CHECK_FALSE(send.comm->src_rank);
  CHECK(send.comm->element_bytes == 1);
  CHECK(send.comm->group_size == 64);
  CHECK(send.comm->group_ranks.empty());  // PyTorch shortened the list
  CHECK(send.comm->group_ranks_truncated);

  const auto& generic = t.kernels[3];
  CHECK(generic.kind == KernelClass::kCollective);
  CHECK(generic.comm->collective == CollectiveKind::kAllReduce);
  CHECK(generic.comm->element_bytes == 0);  // an unknown dtype is not an error

  const auto& symm = t.kernels[4];
  CHECK(symm.kind == KernelClass::kCommunication);
  REQUIRE(symm.comm);
  CHECK(symm.comm->collective == CollectiveKind::kAllReduce);
}

TEST_CASE("kineto: events are sorted; unknown top-level keys and other events are accepted") {
  const std::string events = kernel("k_b", 20, 2) + "," + kernel("k_a", 10, 9) + "," + kernel("k_c", 10, 1) +
                             R"(,{"ph":"s","id":1,"pid":0,"tid":7,"ts":1,"cat":"ac2g","name":"ac2g"})"
                             R"(,{"name":"process_name","ph":"M","pid":0,"tid":0,"args":{"name":"x"}})"
                             R"(,{"ph":"X","cat":"Trace","ts":0,"dur":1,"pid":"Spans","tid":"PyTorch Profiler","name":"x"})"
                             R"(,{"name":"Record Window End","ph":"i","s":"g","pid":"","tid":"","ts":30})";
  const KinetoTrace t =
      parse_kineto_trace(trace_json(events, R"("schemaVersion":1,"with_flops":false,"baseTimeNanoseconds":5)"), "s.json");
  REQUIRE(t.kernels.size() == 3);
  CHECK(t.kernels[0].name == "k_c");  // ts 10, correlation 1
  CHECK(t.kernels[1].name == "k_a");  // ts 10, correlation 9
  CHECK(t.kernels[2].name == "k_b");
  CHECK(t.base_time_ns == 5);
  CHECK(t.unclassified.size() == 3);
}

TEST_CASE("kineto: a gzipped trace is recognized by its bytes, not its name") {
  const std::string text = trace_json(kernel("ncclDevKernel_AllGather_RING_LL(x)", 1, 1));
  const std::string gz = gzip(text);
  const auto plain = read_kineto_trace(test::write_temp("spsim_kineto_test_plain.json", text));
  const auto zipped = read_kineto_trace(test::write_temp("spsim_kineto_test_zipped.json", gz));  // no .gz suffix
  REQUIRE(zipped.kernels.size() == 1);
  CHECK(zipped.kernels[0].name == plain.kernels[0].name);
  CHECK(inflate_gzip(gz + gz, "two.gz") == text + text);  // concatenated members, as gunzip

  const std::string cut = test::write_temp("spsim_kineto_test_truncated.json.gz", gz.substr(0, gz.size() / 2));
  CHECK_THROWS_WITH_AS(read_kineto_trace(cut), doctest::Contains("ends early"), InputError);
  std::string corrupt = gz;
  corrupt[corrupt.size() / 2] = static_cast<char>(corrupt[corrupt.size() / 2] ^ 0x5a);
  corrupt[corrupt.size() / 2 + 1] = static_cast<char>(corrupt[corrupt.size() / 2 + 1] ^ 0x5a);
  CHECK_THROWS_AS(read_kineto_trace(test::write_temp("spsim_kineto_test_corrupt.json.gz", corrupt)), InputError);
  // The output limit is checked while inflating (kMaxInputFileBytes for files).
  const std::string spaces(3 << 20, ' ');
  CHECK_THROWS_WITH_AS(inflate_gzip(gzip(spaces), "bomb.gz", std::size_t{1} << 20),
                       doctest::Contains("bomb.gz: decompresses to more than 1 MiB"), InputError);
  CHECK(inflate_gzip(gzip(spaces), "ok.gz", std::size_t{3} << 20).size() == spaces.size());
}

TEST_CASE("kineto: the fuzz seeds read as they say") {
  const std::string dir = std::string(SPSIM_SOURCE_DIR) + "/fuzz/corpus/fuzz_kineto/";
  const auto attention = read_kineto_trace(dir + "attention_linked.json");
  REQUIRE(attention.kernels.size() == 2);  // the memset (ts 99) first, then the flash kernel
  CHECK(attention.kernels[0].kind == KernelClass::kMemset);
  REQUIRE(attention.kernels[1].attention);
  CHECK(attention.kernels[1].attention->heads_q == 8);
  CHECK(attention.kernels[1].attention->heads_kv == 2);
  CHECK(attention.kernels[1].attention->causal);

  const auto nccl = read_kineto_trace(dir + "nccl_rank0.json");
  REQUIRE(nccl.kernels.size() == 3);
  CHECK(nccl.kernels[0].comm->collective == CollectiveKind::kAllReduce);
  CHECK(nccl.kernels[1].comm->collective == CollectiveKind::kAllToAll);
  CHECK(nccl.kernels[1].comm->group_ranks_truncated);
  CHECK(nccl.kernels[2].kind == KernelClass::kCommunication);

  const auto gemm = read_kineto_trace(dir + "gemm_shapes.json");
  REQUIRE(gemm.kernels.size() == 3);
  CHECK(gemm.kernels[0].kind == KernelClass::kCopy);
  REQUIRE(gemm.kernels[1].gemm);
  CHECK(gemm.kernels[1].gemm->m == 64);  // linear [4, 16, 32] x [64, 32]^T: M 4 x 16
  REQUIRE(gemm.kernels[2].gemm);
  CHECK(gemm.kernels[2].gemm->batch == 6);  // [2, 1] x [3] batch dims broadcast
}

TEST_CASE("kineto: bad input is an InputError naming the file, event and key") {
  auto refuse = [](const std::string& text, const char* message) {
    CAPTURE(text);
    CHECK_THROWS_WITH_AS(parse_kineto_trace(text, "t.json"), doctest::Contains(message), InputError);
  };
  refuse("[]", "t.json: expected a PyTorch profiler (Kineto) trace");
  refuse(R"({"schemaVersion":1})", "t.json: no \"traceEvents\"");
  refuse(R"({"traceEvents":{}})", "t.json: key 'traceEvents': expected an array");
  refuse(R"({"traceEvents":[1]})", "t.json: event 0: expected an event object");
  refuse(R"({"traceEvents":[{"ph":"X","cat":"kernel","name":"k","ts":1,"dur":"5","args":{}}]})",
         "t.json: event 0: key 'dur': expected a number");
  refuse(trace_json(kernel("ok", 1, 1) + R"(,{"ph":"X","cat":"kernel","name":"k","ts":1,"dur":-1,"args":{}})"),
         "t.json: event 1: key 'dur': expected the duration, a non-negative number");
  refuse(R"({"traceEvents":[{"ph":"X","cat":"gpu_memset","name":"Memset","dur":1,"args":{}}]})",
         "t.json: event 0: key 'ts'");
  refuse(R"({"traceEvents":[{"ph":"X","cat":"kernel","ts":1,"dur":1,"args":{}}]})", "event 0: key 'name'");
  refuse(R"({"traceEvents":[{"ph":"X","cat":"kernel","name":"k","ts":1,"dur":1,"args":{"device":0,"stream":7}}]})",
         "event 0: key 'args.correlation'");
  refuse(R"({"traceEvents":[{"ph":"X","cat":"kernel","name":"k","ts":1e400,"dur":1}]})", "number overflow");
  refuse(R"({"traceEvents":[], "traceEvents":[]})", "appears twice");
  refuse(R"({"traceEvents":[{"ph":"X","cat":"cpu_op","name":"aten::mm","ts":1,"dur":1,"args":{"External id":"1"}}]})",
         "event 0: key 'External id': expected an integer");
  refuse(trace_json(cpu_op("aten::mm", 1, 1, R"("Input Dims": [[-4, 2], [2, 3]])") + "," +
                    kernel("ampere_sgemm", 2, 1, R"("External id": 1)")),
         "event 0: key 'Input Dims': expected non-negative integer sizes");
  refuse(trace_json(kernel("ncclDevKernel_SendRecv(x)", 1, 1, R"("Collective name": "send", "Process Group Ranks": "0,1")")),
         "key 'Process Group Ranks': expected a list of ranks");
  refuse(trace_json(kernel("ncclDevKernel_SendRecv(x)", 1, 1, R"("In msg nelems": -1, "Collective name": "send")")),
         "key 'In msg nelems': expected a non-negative integer");
  refuse(R"({"traceEvents":[{"ph":"X","cat":"cuda_runtime","name":"cudaLaunchKernel","ts":1,"dur":-2,"args":{}}]})",
         "t.json: event 0: key 'dur': expected the launch's duration, a number of µs >= 0");
  refuse(R"({"traceEvents":[{"ph":"X","cat":"cuda_driver","name":"cuLaunchKernel","ts":1,"args":{}}]})",
         "t.json: event 0: key 'dur': expected the launch's duration");
  refuse(trace_json("", R"("distributedInfo":{"rank":"0"})"), "key 'distributedInfo': key 'rank'");
  refuse(trace_json("", R"("deviceProperties":[{"name":"x"}])"), "key 'deviceProperties[0]': key 'id'");
  CHECK_THROWS_WITH_AS(read_kineto_trace(std::filesystem::temp_directory_path().string()),
                       doctest::Contains("is a directory"), InputError);
}

}  // namespace
}  // namespace spsim
