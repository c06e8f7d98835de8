#include "nnzero/parallel.h"

#include <omp.h>
#include <sched.h>

#include "nnzero/error.h"

#if NNZERO_HAVE_OPENBLAS
extern "C" void openblas_set_num_threads(int num_threads);
#endif

namespace nnzero {

void set_num_threads(int n) {
  if (n < 1) throw Error("threads: need at least 1, got " + std::to_string(n));
  omp_set_num_threads(n);
#if NNZERO_HAVE_OPENBLAS
  openblas_set_num_threads(n);
#endif
}

int num_threads() {
  return omp_get_max_threads();
}

void run_loops_serially_on_this_thread() {
  omp_set_num_threads(1);  // this thread's own setting, not the pool's
}

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

}  // namespace nnzero
