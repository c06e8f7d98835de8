// The matrix products of the layers, behind one facade (as dlib's tt:: functions): a layer
// says what it computes, here is decided how. Each call picks, from the shapes and the
// machine, OpenBLAS (kernels/gemm.h) or nnzero's own blocked kernel (kernels/implicit_gemm.h,
// where it beats the OpenBLAS kernels in use: blas_setup.h), and how to split the work over
// the threads. All matrices are row-major 2-D tensors.
//
// The book's Affine layer (section 5.6) is three of them:
//   forward   out = x W^T + b          matmul_transposed(x, W, &b, out, ws)
//   backward  dW += dout^T x           add_matmul_transposed_a(dout, x, dW, ws)
//             db += sum over rows of dout   add_column_sums(dout, db)
//             dx  = dout W             matmul(dout, W, dx, ws)
#pragma once

#include "nnzero/tensor.h"
#include "nnzero/workspace.h"

namespace nnzero {

// C (M, N) = A (M, K) B^T + bias (B: (N, K); bias: (N), added to every row, or nullptr).
void matmul_transposed(const Tensor& A, const Tensor& B, const Tensor* bias, Tensor& C,
                       Workspace& ws);
// C (M, N) += A^T B (A: (K, M), B: (K, N)).
void add_matmul_transposed_a(const Tensor& A, const Tensor& B, Tensor& C, Workspace& ws);
// C (M, N) = A (M, K) B (B: (K, N)).
void matmul(const Tensor& A, const Tensor& B, Tensor& C, Workspace& ws);
// sums (N) += the sum of A's (M, N) rows.
void add_column_sums(const Tensor& A, Tensor& sums);

}  // namespace nnzero
