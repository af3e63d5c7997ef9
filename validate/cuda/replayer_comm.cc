// Communication of the CUDA executor (replayer.h): the staging of
// collectives, NCCL units (multi-gpu) and emulated ones (device copies after
// a rendezvous of the members' streams).

#include "validate/cuda/replayer.h"

#include <algorithm>

#include "validate/cuda/cuda_check.h"

namespace spsim::cuda {

namespace {

ncclDataType_t nccl_type(DType t) {
  switch (t) {
    case DType::kF16: return ncclFloat16;
    case DType::kBF16: return ncclBfloat16;
    case DType::kF32: return ncclFloat32;
    case DType::kF64: return ncclFloat64;
  }
  return ncclFloat32;
}

}  // namespace

void Replayer::stage(OpId id, bool pack, cudaStream_t s) {
  const auto it = packing_.find(idx(id));
  const CollectivePacking& c = it->second;
  const auto b = p_.operands(id);
  const DevTensor in = tensor(b[0]), out = tensor(b[1]);
  const OpExtra& x = extra_[idx(id)];
  const std::size_t eb = dtype_bytes(in.dtype);
  for (const Window& w : pack ? c.pack : c.unpack) {
    if (pack) {
      char* base = static_cast<char*>(x.send_stage) + w.part * c.send_part_elements(in.cols) * eb;
      const DevTensor part{base, in.dtype, c.send_part_rows, c.send_part_heads, in.cols, 0};
      CUDA_OK(cuda::copy_window(in, w.src_row0, w.src_head0, part, w.dst_row0, w.dst_head0, w.rows, w.heads, s));
    } else {
      char* base = static_cast<char*>(x.recv_stage) + w.part * c.recv_part_elements(in.cols) * eb;
      const DevTensor part{base, out.dtype, c.recv_part_rows, c.recv_part_heads, out.cols, 0};
      CUDA_OK(cuda::copy_window(part, w.src_row0, w.src_head0, out, w.dst_row0, w.dst_head0, w.rows, w.heads, s));
    }
  }
}

void* Replayer::send_side(OpId id) const {
  const OpExtra& x = extra_[idx(id)];
  return x.send_stage ? x.send_stage : tensor(p_.operands(id)[0]).data;
}

void* Replayer::recv_side(OpId id) const {
  const OpExtra& x = extra_[idx(id)];
  return x.recv_stage ? x.recv_stage : tensor(p_.operands(id)[1]).data;
}

void Replayer::nccl_unit(const LaunchGroup& grp) {
  const Op& first = p_.op(grp.ops[0]);
  for (OpId id : grp.ops) {
    begin_op(id);
    if (first.kind == OpKind::kCollective) stage(id, true, stream_of(id));
  }
  NCCL_OK(ncclGroupStart());
  for (OpId id : grp.ops) {
    const Op& o = p_.op(id);
    const std::uint32_t c = plan_.ops[idx(id)].comm;
    ncclComm_t comm = nccl_[c][static_cast<std::size_t>(nccl_rank_.at({c, o.rank}))];
    const cudaStream_t s = stream_of(id);
    const auto b = p_.operands(id);
    if (o.kind == OpKind::kSend || o.kind == OpKind::kRecv) {
      const int peer = nccl_rank_.at({c, o.peer});
      for (BufferId buf : b) {
        const DevTensor t = tensor(buf);
        const std::size_t bytes = p_.buffer(buf).bytes();
        if (o.kind == OpKind::kSend) NCCL_OK(ncclSend(t.data, bytes, ncclChar, peer, comm, s));
        else NCCL_OK(ncclRecv(t.data, bytes, ncclChar, peer, comm, s));
      }
      continue;
    }
    const CollectiveSpec spec = CollectiveSpec::decode(o.tag);
    const CollectivePacking& pk = packing_.at(idx(id));
    const DevTensor in = tensor(b[0]);
    const ncclDataType_t dt = nccl_type(in.dtype);
    const std::size_t send_part = pk.send_part_elements(in.cols), recv_part = pk.recv_part_elements(in.cols);
    const std::size_t eb = dtype_bytes(in.dtype);
    char* sp = static_cast<char*>(send_side(id));
    char* rp = static_cast<char*>(recv_side(id));
    switch (spec.kind) {
      case CollectiveKind::kAllGather: NCCL_OK(ncclAllGather(sp, rp, recv_part, dt, comm, s)); break;
      case CollectiveKind::kReduceScatter: NCCL_OK(ncclReduceScatter(sp, rp, send_part, dt, ncclSum, comm, s)); break;
      case CollectiveKind::kAllReduce:
        NCCL_OK(ncclAllReduce(sp, rp, p_.buffer(b[0]).elements(), dt, ncclSum, comm, s));
        break;
      case CollectiveKind::kBroadcast:
        NCCL_OK(ncclBroadcast(sp, rp, p_.buffer(b[1]).elements(), dt, static_cast<int>(spec.root), comm, s));
        break;
      case CollectiveKind::kAllToAll:
        for (std::uint32_t j = 0; j < pk.parts; ++j) {
          NCCL_OK(ncclSend(sp + j * send_part * eb, send_part, dt, static_cast<int>(j), comm, s));
          NCCL_OK(ncclRecv(rp + j * recv_part * eb, recv_part, dt, static_cast<int>(j), comm, s));
        }
        break;
    }
  }
  NCCL_OK(ncclGroupEnd());
  for (OpId id : grp.ops) {
    if (first.kind == OpKind::kCollective) stage(id, false, stream_of(id));
    end_op(id);
  }
}

cudaEvent_t Replayer::scratch_event() {
  if (scratch_next_ == scratch_events_.size()) scratch_events_.push_back(make_event(static_cast<int>(o_.first_gpu), false));
  return scratch_events_[scratch_next_++];
}

void Replayer::emulated_unit(const LaunchGroup& grp) {
  const Op& first = p_.op(grp.ops[0]);
  const cudaStream_t exec = stream_of(grp.ops[0]);
  for (OpId id : grp.ops) {
    begin_op(id);
    if (first.kind == OpKind::kCollective) stage(id, true, stream_of(id));
    if (id != grp.ops[0]) {
      const cudaEvent_t arrived = scratch_event();
      CUDA_OK(cudaEventRecord(arrived, stream_of(id)));
      CUDA_OK(cudaStreamWaitEvent(exec, arrived, 0));
    }
  }
  if (first.kind == OpKind::kSend || first.kind == OpKind::kRecv) {
    const OpId send = first.kind == OpKind::kSend ? grp.ops[0] : grp.ops[1];
    const OpId recv = m_.partner(send);
    const auto sb = p_.operands(send), rb = p_.operands(recv);
    for (std::size_t k = 0; k < sb.size(); ++k)
      CUDA_OK(cudaMemcpyAsync(tensor(rb[k]).data, tensor(sb[k]).data, p_.buffer(sb[k]).bytes(),
                              cudaMemcpyDeviceToDevice, exec));
  } else {
    emulated_collective(grp, exec);
  }
  const cudaEvent_t done = scratch_event();
  CUDA_OK(cudaEventRecord(done, exec));
  for (OpId id : grp.ops) {
    if (id != grp.ops[0]) CUDA_OK(cudaStreamWaitEvent(stream_of(id), done, 0));
    if (first.kind == OpKind::kCollective) stage(id, false, stream_of(id));
    end_op(id);
  }
  scratch_next_ = 0;  // events may be re-recorded: every wait above was issued
}

void Replayer::emulated_collective(const LaunchGroup& grp, cudaStream_t s) {
  const std::size_t n = grp.ops.size();
  // Members in group order (the instance's order).
  const auto members = m_.members(m_.instance(grp.ops[0]));
  const Op& o = p_.op(members[0]);
  const CollectiveSpec spec = CollectiveSpec::decode(o.tag);
  const CollectivePacking& pk = packing_.at(idx(members[0]));
  const DevTensor in0 = tensor(p_.operands(members[0])[0]);
  const std::size_t eb = dtype_bytes(in0.dtype);
  const std::size_t sp = pk.send_part_elements(in0.cols) * eb, rp = pk.recv_part_elements(in0.cols) * eb;
  auto send = [&](std::size_t j) { return static_cast<char*>(send_side(members[j])); };
  auto recv = [&](std::size_t j) { return static_cast<char*>(recv_side(members[j])); };
  auto copy = [&](void* d, const void* from, std::size_t bytes) {
    CUDA_OK(cudaMemcpyAsync(d, from, bytes, cudaMemcpyDeviceToDevice, s));
  };
  switch (spec.kind) {
    case CollectiveKind::kAllGather:
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) copy(recv(i) + j * rp, send(j), rp);
      break;
    case CollectiveKind::kAllToAll:
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) copy(recv(i) + j * rp, send(j) + i * sp, rp);
      break;
    case CollectiveKind::kBroadcast: {
      const std::size_t bytes = p_.buffer(p_.operands(members[0])[1]).bytes();
      for (std::size_t i = 0; i < n; ++i)
        if (i != spec.root) copy(recv(i), send(spec.root), bytes);
      if (recv(spec.root) != send(spec.root)) copy(recv(spec.root), send(spec.root), bytes);
      break;
    }
    case CollectiveKind::kAllReduce:
    case CollectiveKind::kReduceScatter: {
      // Sums into a temporary first (an all-reduce may be in place).
      char* sum = static_cast<char*>(extra_[idx(members[0])].sum);
      const bool all = spec.kind == CollectiveKind::kAllReduce;
      const std::size_t bytes = all ? p_.buffer(p_.operands(members[0])[0]).bytes() : sp;
      const std::size_t parts = all ? 1 : n;
      for (std::size_t part = 0; part < parts; ++part) {
        char* dst = sum + part * bytes;
        copy(dst, send(0) + part * bytes, bytes);
        for (std::size_t j = 1; j < n; ++j) CUDA_OK(cuda::add_into(dst, send(j) + part * bytes, in0.dtype, bytes / eb, s));
      }
      for (std::size_t i = 0; i < n; ++i) copy(recv(i), sum + (all ? 0 : i * bytes), bytes);
      break;
    }
  }
}

}  // namespace spsim::cuda
