// Program checking (program/program_check.h) of randomly built programs: the
// bytes drive a ProgramBuilder — buffers of random shapes on random ranks,
// ops of every kind on random operands, dependencies, peers and tags, groups
// and collectives — and check_program must either accept the program or
// throw ProgramError; the builder may refuse an op with ProgramError.
#include <vector>

#include "fuzz/fuzz_input.h"
#include "program/program.h"
#include "program/program_check.h"

namespace {

// Reads the fuzz bytes as small numbers; zeros once they run out.
class Bytes {
 public:
  explicit Bytes(std::string_view t) : t_(t) {}
  bool empty() const { return pos_ >= t_.size(); }
  std::uint32_t next(std::uint32_t bound) {  // in [0, bound)
    if (bound == 0) return 0;
    std::uint32_t v = pos_ < t_.size() ? static_cast<std::uint8_t>(t_[pos_]) : 0;
    ++pos_;
    if (bound > 256 && pos_ < t_.size()) v = v << 8 | static_cast<std::uint8_t>(t_[pos_++]);
    return v % bound;
  }

 private:
  std::string_view t_;
  std::size_t pos_ = 0;
};

}  // namespace

void fuzz_one(std::string_view text) {
  using namespace spsim;
  Bytes in(text);
  const std::uint32_t ranks = 1 + in.next(4);
  ProgramBuilder b(ranks, 1 + in.next(2));
  std::vector<StreamId> streams{b.stream("compute"), b.stream("comm")};
  std::vector<BufferId> buffers;
  std::vector<OpId> ops;
  try {
    for (int step = 0; step < 64 && !in.empty(); ++step) {
      const RankId rank = in.next(ranks);
      switch (in.next(6)) {
        case 0: {  // a token buffer
          const std::vector<TokenRun> runs{TokenRun{in.next(2), in.next(64), in.next(32), 1 + in.next(3)}};
          const LayoutId layout = b.layout(runs);
          buffers.push_back(b.token_buffer(rank, "t", DType::kBF16, layout, in.next(4), 1 + in.next(4),
                                           1 + in.next(16), in.next(2) == 1));
          break;
        }
        case 1:  // a matrix buffer
          buffers.push_back(b.matrix_buffer(rank, "m", DType::kF32, in.next(32), in.next(4), 1 + in.next(4),
                                            1 + in.next(16), in.next(2) == 1));
          break;
        case 2:  // a row view
          if (!buffers.empty())
            buffers.push_back(b.row_view(buffers[in.next(static_cast<std::uint32_t>(buffers.size()))], in.next(16),
                                         in.next(16)));
          break;
        case 3: {  // a collective over a group
          if (buffers.size() < 2) break;
          std::vector<RankId> members;
          for (RankId r = 0; r < ranks; ++r)
            if (in.next(2) == 1) members.push_back(r);
          if (members.empty()) break;
          CollectiveSpec spec;
          spec.kind = static_cast<CollectiveKind>(in.next(5));
          spec.axis = static_cast<Axis>(in.next(2));
          spec.split = static_cast<Axis>(in.next(2));
          spec.root = in.next(4);
          const auto n = static_cast<std::uint32_t>(buffers.size());
          ops.push_back(b.collective(streams[in.next(2)], spec, b.group(members), buffers[in.next(n)],
                                     buffers[in.next(n)]));
          break;
        }
        default: {  // an op of any kind
          if (buffers.empty()) break;
          const auto kind = static_cast<OpKind>(in.next(static_cast<std::uint32_t>(kNumOpKinds)));
          std::vector<BufferId> operands(in.next(11));
          for (auto& o : operands) o = buffers[in.next(static_cast<std::uint32_t>(buffers.size()))];
          Deps deps;
          for (std::uint32_t d = in.next(3); d > 0 && !ops.empty(); --d)
            deps.add(ops[in.next(static_cast<std::uint32_t>(ops.size()))]);
          ops.push_back(b.op(kind, streams[in.next(2)], operands, deps, static_cast<std::uint8_t>(in.next(2)),
                             in.next(ranks + 1), in.next(4)));
          break;
        }
      }
    }
    if (!buffers.empty() && in.next(2) == 1) b.bind_input(buffers[0], Tensor::kQ);
    if (!buffers.empty() && in.next(2) == 1) b.bind_output(buffers.back(), Tensor::kOut);
    const Program p = std::move(b).finish();
    (void)check_program(p);
  } catch (const ProgramError&) {
    // the builder or the checker refused the program: the contract
  }
}
