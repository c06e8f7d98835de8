// MPI_Allreduce of float sums, as the trainer calls it, timed over message sizes (issue 23,
// docs/scaling.md): the inputs of the ring all-reduce cost model.
//
//   mpirun -np 2 build/bench/allreduce_bandwidth                      # shared memory
//   mpirun -np 2 --mca btl tcp,self build/bench/allreduce_bandwidth   # TCP, as between hosts
//
// One JSON line per size: the median time of the repetitions, the algorithm bandwidth
// (bytes / time) and the bus bandwidth (2 (p-1)/p bytes / time: what each link carries in a
// ring all-reduce, comparable across rank counts).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  for (long floats = 1024; floats <= 16L * 1024 * 1024; floats *= 4) {
    std::vector<float> buffer(static_cast<size_t>(floats), 1.0f);
    const int repetitions = floats <= 65536 ? 200 : floats <= 1048576 ? 40 : 10;
    std::vector<double> times;
    for (int i = 0; i < repetitions + 2; ++i) {
      MPI_Barrier(MPI_COMM_WORLD);
      const double t0 = MPI_Wtime();
      MPI_Allreduce(MPI_IN_PLACE, buffer.data(), static_cast<int>(floats), MPI_FLOAT, MPI_SUM,
                    MPI_COMM_WORLD);
      double t = MPI_Wtime() - t0;
      MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      if (i >= 2) times.push_back(t);  // two warm-up calls
    }
    std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
    const double median = times[times.size() / 2], bytes = 4.0 * static_cast<double>(floats);
    if (rank == 0) {
      std::printf(
          "{\"ranks\": %d, \"bytes\": %.0f, \"seconds\": %.3g, \"algbw_GBps\": %.3f, "
          "\"busbw_GBps\": %.3f}\n",
          ranks, bytes, median, bytes / median / 1e9,
          2.0 * (ranks - 1) / ranks * bytes / median / 1e9);
    }
  }
  MPI_Finalize();
  return 0;
}
