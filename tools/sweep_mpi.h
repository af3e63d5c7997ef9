#pragma once
// `mpirun -np N spsim sweep ...`: the ranks of an MPI job (Open MPI,
// Debian's package; optional at build) split a sweep's configurations —
// rank r runs configurations r, r + N, ... — and rank 0 gathers every row
// and writes the outputs, the bytes a single process writes.
//
// Built without MPI (tools/sweep_mpi_unavailable.cc), a process started by
// an MPI launcher refuses to run a sweep (exit 2), rather than run the whole
// sweep once per rank.

#include <cstddef>
#include <cstdlib>
#include <string>
#include <vector>

namespace spsim::cli {

// Whether an MPI launcher started this process (Open MPI's mpirun sets
// OMPI_COMM_WORLD_SIZE; MPICH and Slurm's PMI set PMI_SIZE).
inline bool launched_by_mpi() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMI_SIZE") != nullptr;
}

// The processes an MPI launcher started on this node (for the default
// threads per rank); 1 when not launched by one.
unsigned mpi_local_ranks();

// An MPI job joined for the life of this object (MPI_Init ... MPI_Finalize).
class MpiJob {
 public:
  // Throws InputError("mpirun", ...) when spsim was built without MPI.
  MpiJob();
  ~MpiJob();
  MpiJob(const MpiJob&) = delete;
  MpiJob& operator=(const MpiJob&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // Every rank passes its text; rank 0 gets them all, in rank order (its own
  // first); the other ranks get an empty list.
  std::vector<std::string> gather(const std::string& mine) const;

 private:
  int rank_ = 0, size_ = 1;
};

}  // namespace spsim::cli
