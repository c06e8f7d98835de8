#include "nnzero/kernels/blas_setup.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "nnzero/kernels/implicit_gemm.h"

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

namespace {
std::optional<bool> g_own_gemm;  // pinned by a test

bool blas_kernels_are_avx512() {
  const std::string core = blas_core_name();
  return core == "SkylakeX" || core == "Cooperlake" || core == "SapphireRapids";
}
}  // namespace

bool own_gemm_is_faster() {
  if (g_own_gemm) return *g_own_gemm;
  static const bool faster = implicit_gemm_lanes() == 16 && !blas_kernels_are_avx512();
  return faster;
}

void set_own_gemm(std::optional<bool> use) {
  g_own_gemm = use;
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
