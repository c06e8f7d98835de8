#include "nnzero/parallel.h"

#include <omp.h>

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

}  // namespace nnzero
