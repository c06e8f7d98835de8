#include "nnzero/blas_setup.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

#if NNZERO_HAVE_OPENBLAS
extern "C" char* openblas_get_corename(void);
#endif

namespace nnzero {

std::string blas_core_name() {
#if NNZERO_HAVE_OPENBLAS
  return openblas_get_corename();
#else
  return "";
#endif
}

void use_best_blas_kernels(char** argv) {
#if NNZERO_HAVE_OPENBLAS
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  __builtin_cpu_init();
  const char* best = nullptr;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl")) {
    best = "SkylakeX";
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    best = "Haswell";
  }
  const std::string core = blas_core_name();
  // Only override the generic fallbacks: a core OpenBLAS recognised is its own best choice.
  const bool fallback = core == "Prescott" || core == "Core2" || core == "Nehalem" ||
                        core == "Penryn" || core == "Dunnington" || core == "Atom";
  if (best == nullptr || !fallback) return;
  setenv("OPENBLAS_CORETYPE", best, 1);
  execv("/proc/self/exe", argv);  // returns only on failure: then carry on with what we have
#else
  (void)argv;
#endif
}

}  // namespace nnzero
