#include "validate/reference_linear_attention.h"

#include <Eigen/Dense>

namespace spsim {
namespace {

using Mat = Eigen::MatrixXd;

Mat rows_of_head(const GlobalTensor& t, std::int64_t begin, std::int64_t len, std::uint32_t h) {
  Mat m(len, t.cols);
  for (std::int64_t i = 0; i < len; ++i)
    for (std::uint32_t c = 0; c < t.cols; ++c)
      m(i, c) = t.data[(static_cast<std::size_t>(begin + i) * t.heads + h) * t.cols + c];
  return m;
}

void add_rows_of_head(GlobalTensor& t, std::int64_t begin, std::uint32_t h, const Mat& m) {
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index c = 0; c < m.cols(); ++c)
      t.data[(static_cast<std::size_t>(begin + i) * t.heads + h) * t.cols + static_cast<std::size_t>(c)] += m(i, c);
}

// Zeroes the entries a causal mask hides (key after query).
void apply_mask(Mat& m, bool causal) {
  if (!causal) return;
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = i + 1; j < m.cols(); ++j) m(i, j) = 0;
}

}  // namespace

LinearReferenceOutputs reference_linear_attention(const ReferenceInputs& in) {
  const std::uint32_t H = in.q.heads, Hkv = in.k.heads, group = H / Hkv;
  std::vector<std::int64_t> lens;
  for (std::size_t s = 0; s + 1 < in.q.seq_offset.size(); ++s)
    lens.push_back(in.q.seq_offset[s + 1] - in.q.seq_offset[s]);
  LinearReferenceOutputs r{GlobalTensor(lens, H, in.v.cols), {}, {}, {}};
  if (in.dout) {
    r.dq = GlobalTensor(lens, H, in.q.cols);
    r.dk = GlobalTensor(lens, Hkv, in.k.cols);
    r.dv = GlobalTensor(lens, Hkv, in.v.cols);
  }
  for (std::size_t s = 0; s < lens.size(); ++s) {
    const std::int64_t begin = in.q.seq_offset[s], n = lens[s];
    for (std::uint32_t h = 0; h < H; ++h) {
      const std::uint32_t hk = h / group;
      const Mat Q = rows_of_head(in.q, begin, n, h), K = rows_of_head(in.k, begin, n, hk),
                V = rows_of_head(in.v, begin, n, hk);
      Mat A = Q * K.transpose();
      apply_mask(A, in.causal);
      add_rows_of_head(r.out, begin, h, A * V);
      if (!in.dout) continue;
      const Mat dO = rows_of_head(*in.dout, begin, n, h);
      Mat dA = dO * V.transpose();
      apply_mask(dA, in.causal);
      add_rows_of_head(*r.dq, begin, h, dA * K);
      add_rows_of_head(*r.dk, begin, hk, dA.transpose() * Q);
      add_rows_of_head(*r.dv, begin, hk, A.transpose() * dO);
    }
  }
  return r;
}

}  // namespace spsim
