#include "tools/sweep_mpi.h"

#include <mpi.h>

#include <cstdlib>
#include <stdexcept>

namespace spsim::cli {

namespace {

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("MPI: ") + what + " failed");
}

}  // namespace

unsigned mpi_local_ranks() {
  const char* v = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  const long n = v ? std::strtol(v, nullptr, 10) : 1;
  return n >= 1 ? static_cast<unsigned>(n) : 1u;
}

MpiJob::MpiJob() {
  check(MPI_Init(nullptr, nullptr), "MPI_Init");
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
}

MpiJob::~MpiJob() { MPI_Finalize(); }

std::vector<std::string> MpiJob::gather(const std::string& mine) const {
  // Sizes first (64-bit: a rank's rows may pass 2 GiB only in chunks MPI
  // counts as int; refused beyond that), then the bytes.
  const long long n = static_cast<long long>(mine.size());
  std::vector<long long> sizes(rank_ == 0 ? size_ : 0);
  check(MPI_Gather(&n, 1, MPI_LONG_LONG, sizes.data(), 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD), "MPI_Gather");
  std::vector<int> counts, displs;
  std::string all;
  if (rank_ == 0) {
    long long total = 0;
    for (long long s : sizes) {
      if (total + s > 0x7fffffff) throw std::runtime_error("MPI: the sweep's rows pass 2 GiB; split it with --shard");
      counts.push_back(static_cast<int>(s));
      displs.push_back(static_cast<int>(total));
      total += s;
    }
    all.resize(static_cast<std::size_t>(total));
  }
  check(MPI_Gatherv(mine.data(), static_cast<int>(n), MPI_CHAR, all.data(), counts.data(), displs.data(), MPI_CHAR, 0,
                    MPI_COMM_WORLD),
        "MPI_Gatherv");
  std::vector<std::string> out;
  for (std::size_t r = 0; r < counts.size(); ++r) out.push_back(all.substr(displs[r], counts[r]));
  return out;
}

}  // namespace spsim::cli
