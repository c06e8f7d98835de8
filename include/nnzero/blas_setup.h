// OpenBLAS picks its GEMM kernels from the CPU model at load time. Its 0.3.21 (Debian 12)
// does not know CPUs newer than it, such as Sapphire/Emerald Rapids, and falls back to its
// Prescott (SSE3) kernels: 5-10x slower GEMM. OPENBLAS_CORETYPE overrides the choice, but it
// is read only when the library loads, so a program must be started with it set.
#pragma once

#include <string>

namespace nnzero {

// The kernel set OpenBLAS uses ("SkylakeX", "Haswell", "Prescott"...), or "" without OpenBLAS.
std::string blas_core_name();

// If OpenBLAS fell back to kernels older than this CPU supports (AVX-512 -> SkylakeX,
// AVX2 -> Haswell) and OPENBLAS_CORETYPE is unset, sets it and re-executes the program with
// the same arguments (so call it first thing in main). Otherwise returns and does nothing.
void use_best_blas_kernels(char** argv);

}  // namespace nnzero
