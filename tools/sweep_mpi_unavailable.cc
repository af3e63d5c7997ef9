// spsim built without MPI (no Open MPI found at configure time): a sweep
// started by mpirun is refused instead of running once per rank.
#include "program/input_error.h"
#include "tools/sweep_mpi.h"

namespace spsim::cli {

unsigned mpi_local_ranks() { return 1; }

MpiJob::MpiJob() {
  throw InputError("mpirun", "this spsim was built without MPI (scripts/install-deps.sh installs Open MPI; "
                             "reconfigure), so it cannot split a sweep over ranks; run it without mpirun, or "
                             "split it with --shard K/N");
}

MpiJob::~MpiJob() = default;

std::vector<std::string> MpiJob::gather(const std::string& mine) const { return {mine}; }

}  // namespace spsim::cli
