#include "validate/reference_attention.h"

#include <Eigen/Dense>
#include <cmath>
#include <limits>

namespace spsim {
namespace {

using Mat = Eigen::MatrixXd;

// Rows [begin, begin+len) of one head of a global tensor as a matrix.
Mat head_matrix(const GlobalTensor& t, std::int64_t begin, std::int64_t len, std::uint32_t h) {
  Mat m(len, t.cols);
  for (std::int64_t i = 0; i < len; ++i)
    for (std::uint32_t c = 0; c < t.cols; ++c)
      m(i, c) = t.data[(static_cast<std::size_t>(begin + i) * t.heads + h) * t.cols + c];
  return m;
}

void add_head_matrix(GlobalTensor& t, std::int64_t begin, std::uint32_t h, const Mat& m) {
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index c = 0; c < m.cols(); ++c)
      t.data[(static_cast<std::size_t>(begin + i) * t.heads + h) * t.cols + static_cast<std::size_t>(c)] += m(i, c);
}

}  // namespace

ReferenceOutputs reference_attention(const ReferenceInputs& in) {
  const std::uint32_t H = in.q.heads, Hkv = in.k.heads, group = H / Hkv;
  const double scale = 1.0 / std::sqrt(static_cast<double>(in.q.cols));
  std::vector<std::int64_t> lens;
  for (std::size_t s = 0; s + 1 < in.q.seq_offset.size(); ++s)
    lens.push_back(in.q.seq_offset[s + 1] - in.q.seq_offset[s]);
  ReferenceOutputs r{GlobalTensor(lens, H, in.v.cols), GlobalTensor(lens, H, 1), {}, {}, {}};
  if (in.dout) {
    r.dq = GlobalTensor(lens, H, in.q.cols);
    r.dk = GlobalTensor(lens, Hkv, in.k.cols);
    r.dv = GlobalTensor(lens, Hkv, in.v.cols);
  }
  const double ninf = -std::numeric_limits<double>::infinity();
  for (std::size_t s = 0; s < lens.size(); ++s) {
    const std::int64_t begin = in.q.seq_offset[s], n = lens[s];
    for (std::uint32_t h = 0; h < H; ++h) {
      const std::uint32_t hk = h / group;
      const Mat Q = head_matrix(in.q, begin, n, h), K = head_matrix(in.k, begin, n, hk),
                V = head_matrix(in.v, begin, n, hk);
      Mat S = scale * Q * K.transpose();
      if (in.causal)
        for (std::int64_t i = 0; i < n; ++i)
          for (std::int64_t j = i + 1; j < n; ++j) S(i, j) = ninf;
      Mat Pm(n, n);
      Eigen::VectorXd lse(n);
      for (std::int64_t i = 0; i < n; ++i) {
        const double m = S.row(i).maxCoeff();
        double sum = 0;
        for (std::int64_t j = 0; j < n; ++j) sum += std::exp(S(i, j) - m);
        lse(i) = m + std::log(sum);
        for (std::int64_t j = 0; j < n; ++j) Pm(i, j) = std::exp(S(i, j) - lse(i));
      }
      const Mat O = Pm * V;
      add_head_matrix(r.out, begin, h, O);
      add_head_matrix(r.lse, begin, h, lse);
      if (!in.dout) continue;
      const Mat dO = head_matrix(*in.dout, begin, n, h);
      const Eigen::VectorXd delta = (dO.array() * O.array()).rowwise().sum();
      const Mat dP = dO * V.transpose();
      const Mat dS = Pm.array() * (dP.colwise() - delta).array();
      add_head_matrix(*r.dq, begin, h, scale * dS * K);
      add_head_matrix(*r.dk, begin, hk, scale * dS.transpose() * Q);
      add_head_matrix(*r.dv, begin, hk, Pm.transpose() * dO);
    }
  }
  return r;
}

}  // namespace spsim
