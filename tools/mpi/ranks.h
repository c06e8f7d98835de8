// The ranks of `mpirun -np N nnzero train ...`: the communicator the Trainer sums gradients
// through (nnzero/train/data_parallel.h). Built with MPI (tools/mpi/mpi_communicator.cpp) it
// joins MPI_COMM_WORLD when a launcher started this process as one of several ranks; built
// without (tools/mpi/no_mpi.cpp) it refuses to run as one of several.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>

#include "nnzero/train/data_parallel.h"

namespace nnzero::cli {

// How many ranks the launcher started, from the environment it gives each process (Open
// MPI's mpirun, or a PMI launcher such as MPICH's or Slurm's); 1 when none did.
inline int launcher_world_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return std::max(1, std::atoi(v));
  }
  return 1;
}

// This process's ranks: SingleProcess unless a launcher started several.
std::unique_ptr<Communicator> join_ranks();

// "Open MPI 4.1.4", or "" in a build without MPI.
std::string mpi_library_version();

}  // namespace nnzero::cli
