// The LAPACK routines nnzero calls, through the Fortran interface that OpenBLAS exports
// (Debian's libopenblas0-openmp holds LAPACK: sgesdd_, sgeqrf_, sorgqr_). LAPACKE, the C
// wrappers of liblapacke-dev, is not used: its library loads liblapack.so.3 through Debian's
// alternatives, which may be OpenBLAS's pthread build beside the OpenMP one linked here, two
// thread pools in one process. CMakeLists.txt checks that the CBLAS library has these.
//
// Fortran passes every argument by pointer and matrices column-major; a character argument
// takes its length as a hidden trailing argument (size_t with gfortran 8 and later).
#pragma once

#include <cstddef>

extern "C" {

// The SVD by divide and conquer: A (m, n) = U diag(S) VT.
void sgesdd_(const char* jobz, const int* m, const int* n, float* a, const int* lda, float* s,
             float* u, const int* ldu, float* vt, const int* ldvt, float* work, const int* lwork,
             int* iwork, int* info, size_t jobz_length);

// The QR factorization A (m, n) = Q R, m >= n, and Q's n orthonormal columns from it.
void sgeqrf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work,
             const int* lwork, int* info);
void sorgqr_(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau,
             float* work, const int* lwork, int* info);
}
