// join_ranks() with MPI: the ranks of MPI_COMM_WORLD. Only the command includes mpi.h; the
// library sees the Communicator interface. The C API only: the deprecated C++ bindings that
// mpi.h pulls into C++ code would need Open MPI's libmpi_cxx.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <exception>
#include <string>

#if defined(__SANITIZE_ADDRESS__)
#include <dlfcn.h>
#include <link.h>
#endif

#include "nnzero/error.h"
#include "ranks.h"

namespace nnzero::cli {

namespace {

#if defined(__SANITIZE_ADDRESS__)
// Open MPI loads its components (mca_*.so) as plugins and unloads them in MPI_Finalize; the
// memory they keep for the process's life is then reported by LeakSanitizer from an
// "<unknown module>" that no suppression can name. Pinned in memory (RTLD_NODELETE) they keep
// their names, and scripts/lsan-suppressions.txt names Open MPI's folder: its own allocations
// are suppressed, nnzero's still checked. Sanitizer builds only.
void keep_mpi_plugins_loaded() {
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void*) {
        const std::string path = info->dlpi_name != nullptr ? info->dlpi_name : "";
        if (path.find("/openmpi/") != std::string::npos || path.find("pmix") != std::string::npos) {
          dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
        }
        return 0;
      },
      nullptr);
}
#else
void keep_mpi_plugins_loaded() {}
#endif

// MPI counts are int: longer buffers go in pieces.
template <class F>
void in_pieces(size_t n, F&& f) {
  constexpr size_t kMax = INT_MAX;
  for (size_t begin = 0; begin < n; begin += kMax) {
    f(begin, static_cast<int>(std::min(kMax, n - begin)));
  }
}

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    // Only this thread calls MPI; OpenMP's threads never do.
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    keep_mpi_plugins_loaded();
  }
  ~MpiCommunicator() override {
    // A rank that fails alone must not wait in MPI_Finalize for peers that wait for it in an
    // all-reduce: it leaves without, and the launcher ends the whole job with its status.
    if (std::uncaught_exceptions() == 0) MPI_Finalize();
  }
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void broadcast(std::span<float> data) override {
    in_pieces(data.size(), [&](size_t begin, int n) {
      MPI_Bcast(data.data() + begin, n, MPI_FLOAT, 0, MPI_COMM_WORLD);
    });
  }
  void broadcast(std::span<std::byte> data) override {
    in_pieces(data.size(), [&](size_t begin, int n) {
      MPI_Bcast(data.data() + begin, n, MPI_BYTE, 0, MPI_COMM_WORLD);
    });
  }
  void allreduce_sum(std::span<float> data) override {
    in_pieces(data.size(), [&](size_t begin, int n) {
      MPI_Allreduce(MPI_IN_PLACE, data.data() + begin, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    });
  }
  void barrier() override { MPI_Barrier(MPI_COMM_WORLD); }

 private:
  int rank_ = 0, size_ = 1;
};

}  // namespace

std::unique_ptr<Communicator> join_ranks() {
  // A single process stays out of MPI: initialising it alone costs time and opens sockets.
  if (launcher_world_size() <= 1) return std::make_unique<SingleProcess>();
  return std::make_unique<MpiCommunicator>();
}

std::string mpi_library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string v(text, static_cast<size_t>(std::max(0, length)));
  // The first line ("Open MPI v4.1.4, package: ...").
  return v.substr(0, std::min(v.find(','), v.find('\n')));
}

}  // namespace nnzero::cli
