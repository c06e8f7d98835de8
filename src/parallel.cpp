#include "nnzero/parallel.h"

#include <omp.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "nnzero/error.h"

#if NNZERO_HAVE_OPENBLAS
extern "C" void openblas_set_num_threads(int num_threads);
#endif

namespace nnzero {

void set_num_threads(int n) {
  if (n < 1) throw Error("threads: need at least 1, got " + std::to_string(n));
  if (const int fit = threads_that_fit(); n > fit) {
    throw Error(std::to_string(n) + " threads do not fit in this process's address-space limit " +
                "(ulimit -v): OpenBLAS reserves about " +
                std::to_string(kAddressSpacePerThread >> 20) + " MB per thread; " +
                (fit > 0 ? "use --threads " + std::to_string(fit) + " or fewer, or raise the limit"
                         : "raise the limit"));
  }
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

int threads_that_fit(int64_t limit, int64_t in_use) {
  const int64_t room = (limit - in_use) / 4 * 3;
  return static_cast<int>(std::clamp<int64_t>(room / kAddressSpacePerThread, 0, 1 << 16));
}

int threads_that_fit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 1 << 16;
  long pages = 0;  // the process's size now: the first field of /proc/self/statm, in pages
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld", &pages) != 1) pages = 0;
    std::fclose(f);
  }
  return threads_that_fit(static_cast<int64_t>(limit.rlim_cur),
                          static_cast<int64_t>(pages) * sysconf(_SC_PAGESIZE));
}

int default_threads() {
  return std::max(1, std::min({omp_get_max_threads(), available_cores(), threads_that_fit()}));
}

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

}  // namespace nnzero
