// join_ranks() in a build without MPI: one process, and a clear refusal under mpirun (N
// copies of a single-process run would each train alone and overwrite one another's files).
#include "nnzero/error.h"
#include "ranks.h"

namespace nnzero::cli {

std::unique_ptr<Communicator> join_ranks() {
  if (const int n = launcher_world_size(); n > 1) {
    throw Error("this nnzero was built without MPI, so it cannot train as one of " +
                std::to_string(n) +
                " ranks under mpirun: rebuild it with MPI (Debian: libopenmpi-dev; cmake "
                "-DNNZERO_MPI=ON), or run it without mpirun");
  }
  return std::make_unique<SingleProcess>();
}

std::string mpi_library_version() {
  return "";
}

}  // namespace nnzero::cli
