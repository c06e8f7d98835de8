// OpenBLAS picks its GEMM kernels from the CPU model at load time. Its 0.3.21 (Debian 12)
// does not know CPUs newer than it, such as Sapphire/Emerald Rapids, and falls back to its
// Prescott (SSE3) kernels, several times slower (docs/benchmarks.md, "OpenBLAS's kernels").
// OPENBLAS_CORETYPE overrides the choice, but it
// is read only when the library loads, so a program must be started with it set.
#pragma once

#include <optional>
#include <string>

namespace nnzero {

// The kernel set OpenBLAS uses ("SkylakeX", "Haswell", "Prescott"...), or "" without OpenBLAS.
std::string blas_core_name();

// If OpenBLAS fell back to kernels older than this CPU supports (AVX-512 -> SkylakeX,
// AVX2 -> Haswell) and OPENBLAS_CORETYPE is unset, sets it and re-executes the program with
// the same arguments (so call it first thing in main). Otherwise returns and does nothing.
void use_best_blas_kernels(char** argv);

// Whether the matrix products of kernels/matmul.h go through implicit_gemm
// (kernels/implicit_gemm.h) rather than OpenBLAS: when this build's vectors are AVX-512 and
// OpenBLAS runs narrower kernels (as with OPENBLAS_CORETYPE=Haswell on an AVX-512 CPU), whose
// blocks implicit_gemm's beats; with OpenBLAS's own AVX-512 kernels, OpenBLAS
// (docs/benchmarks.md, "nnzero's own GEMM").
bool own_gemm_is_faster();
// Tests pin the choice (true, false), or give it back to the kernels in use (nullopt).
void set_own_gemm(std::optional<bool> use);

}  // namespace nnzero
