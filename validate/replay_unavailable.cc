// replay_program() of a build without the CUDA executor (SPSIM_CUDA=OFF, or
// CUDA / NCCL not found at configure time): every replay is refused, saying why.
#include "validate/replay.h"

namespace spsim {

std::optional<std::string> replay_unavailable_reason() {
  return std::string(
      "this spsim was built without the CUDA executor (configure with -DSPSIM_CUDA=ON on a machine with CUDA and "
      "NCCL)");
}

std::uint32_t cuda_device_count() { return 0; }

ReplayResult replay_program(const Program&, const CommMatching&, const ReplayOptions&) {
  throw ReplayUnavailable(*replay_unavailable_reason());
}

}  // namespace spsim
